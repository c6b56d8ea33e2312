#include "replica/udp_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace stepwise {
namespace {

// Bursts (a new leader's appends, the harness's start) must not overflow
// the default 208 KiB receive queue; the kernel caps this at rmem_max.
constexpr int kSocketBufferBytes = 4 << 20;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address;
  memset(&address, 0, sizeof(address));
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      local_port_(std::exchange(other.local_port_, 0)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    local_port_ = std::exchange(other.local_port_, 0);
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

bool UdpSocket::Open(uint16_t port, std::string* error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  // Best effort: a smaller buffer still works, it just drops sooner.
  int size = kSocketBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

  sockaddr_in address = Loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = std::string("bind 127.0.0.1: ") + strerror(errno);
    close(fd);
    return false;
  }
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    *error = std::string("getsockname: ") + strerror(errno);
    close(fd);
    return false;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  local_port_ = ntohs(address.sin_port);
  return true;
}

int UdpSocket::SendTo(uint16_t port, std::string_view datagram) {
  sockaddr_in address = Loopback(port);
  for (;;) {
    ssize_t sent =
        sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    if (sent >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

ssize_t UdpSocket::Receive(char* buffer, size_t size, uint16_t* from_port,
                           int* error) {
  sockaddr_in address;
  for (;;) {
    socklen_t length = sizeof(address);
    ssize_t received = recvfrom(fd_, buffer, size, MSG_DONTWAIT | MSG_TRUNC,
                                reinterpret_cast<sockaddr*>(&address), &length);
    if (received >= 0) {
      *from_port = length >= sizeof(address) ? ntohs(address.sin_port) : 0;
      return received;
    }
    if (errno != EINTR) {
      *error = errno;
      return -1;
    }
  }
}

int UdpSocket::TakePendingError() {
  int pending = 0;
  socklen_t length = sizeof(pending);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &length) != 0) {
    return errno;
  }
  return pending;
}

}  // namespace stepwise

#ifndef STEPWISE_REPLICA_UDP_TRANSPORT_H_
#define STEPWISE_REPLICA_UDP_TRANSPORT_H_

// A non-blocking UDP socket on 127.0.0.1, the only address the harness uses.
// Errors are returned as errno values, never thrown.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace stepwise {

class UdpSocket {
 public:
  UdpSocket() = default;
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  // Binds a non-blocking socket to 127.0.0.1:`port` (0: any free port).
  // Returns false and sets `error` on failure.
  bool Open(uint16_t port, std::string* error);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  uint16_t local_port() const { return local_port_; }

  // Sends one datagram to 127.0.0.1:`port`. Returns 0, or the errno.
  int SendTo(uint16_t port, std::string_view datagram);

  // Receives one datagram into `buffer` (of `size` bytes). Returns its full
  // length, which exceeds `size` when it was truncated (MSG_TRUNC), or -1
  // with `*error` set (EAGAIN: nothing pending). `*from_port` is the
  // sender's port.
  ssize_t Receive(char* buffer, size_t size, uint16_t* from_port, int* error);

  // Reads and clears the socket's pending error (SO_ERROR), so that a
  // POLLERR cannot make poll() return at once forever. 0 if none.
  int TakePendingError();

 private:
  int fd_ = -1;
  uint16_t local_port_ = 0;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_UDP_TRANSPORT_H_

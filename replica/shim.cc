#include "replica/shim.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <cstdarg>
#include <exception>
#include <variant>

namespace stepwise {
namespace {

// Datagrams stepped before the Ready is delivered, so that under a flood
// replies still go out promptly instead of after the whole queue.
constexpr int kMaxBatch = 64;
// Batches read per wake-up before going back to ppoll(). Under an endless
// flood the socket never drains, and SIGTERM is only let in by ppoll(); it
// returns at once while datagrams are pending, so this costs nothing.
constexpr int kMaxBatchesPerWake = 16;

ReplicaConfig MakeConfig(const ShimFlags& flags, uint64_t seed) {
  ReplicaConfig config;
  config.id = flags.id;
  config.peers = flags.peers;
  config.seed = seed;
  return config;
}

// Milliseconds until `deadline`, rounded up so that we never wake early and
// spin; -1 (forever) for kNever.
int PollTimeoutMillis(Micros deadline, Micros now) {
  if (deadline == kNever) return -1;
  if (deadline <= now) return 0;
  Micros millis = (deadline - now + kMillis - 1) / kMillis;
  return millis > INT32_MAX ? INT32_MAX : static_cast<int>(millis);
}

}  // namespace

Micros MonotonicMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Micros>(ts.tv_sec) * kSeconds + ts.tv_nsec / 1000;
}

uint64_t ShimCounters::decode_drops() const {
  uint64_t total = 0;
  for (uint64_t count : decode_errors) total += count;
  return total;
}

std::string FormatCounters(const ShimCounters& c) {
  std::string out;
  auto add = [&out](const std::string& name, uint64_t value) {
    if (!out.empty()) out += ' ';
    out += name + "=" + std::to_string(value);
  };
  add("received", c.datagrams_received);
  add("stepped", c.messages_stepped);
  for (int i = 1; i < kNumDecodeErrors; ++i) {
    add(std::string("drop_") + DecodeErrorName(static_cast<DecodeError>(i)),
        c.decode_errors[i]);
  }
  add("drop_wrong_dst", c.wrong_dst);
  add("hellos_ignored", c.hellos_ignored);
  add("receive_errors", c.receive_errors);
  add("sent", c.messages_sent);
  add("send_would_block", c.send_would_block);
  add("send_refused", c.send_refused);
  add("send_too_large", c.send_too_large);
  add("send_other_errors", c.send_other_errors);
  add("exceptions", c.exceptions);
  return out;
}

Shim::Shim(const ShimFlags& flags, uint64_t seed, UdpSocket socket, Micros now,
           FILE* log)
    : harness_port_(flags.port),
      socket_(std::move(socket)),
      replica_(MakeConfig(flags, seed), now),
      log_(log),
      started_(now),
      // One byte more than the largest legal datagram, so that an oversize
      // one is seen as such (MSG_TRUNC also reports its real length).
      buffer_(kMaxDatagramBytes + 1),
      logged_role_(replica_.role()),
      logged_term_(replica_.term()),
      logged_leader_(replica_.leader()) {
  Log("started: port %u, %zu peers, seed %llu, local port %u",
      static_cast<unsigned>(harness_port_), flags.peers.size(),
      static_cast<unsigned long long>(seed),
      static_cast<unsigned>(socket_.local_port()));
}

void Shim::Log(const char* format, ...) {
  if (log_ == nullptr) return;
  char line[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  Micros elapsed = MonotonicMicros() - started_;
  fprintf(log_, "3700kvstore %s [%lld.%06lld] %s\n",
          FormatNodeId(replica_.id()).c_str(),
          static_cast<long long>(elapsed / kSeconds),
          static_cast<long long>(elapsed % kSeconds), line);
  fflush(log_);
}

bool Shim::SendHello() {
  Message hello;
  hello.src = replica_.id();
  hello.dst = kNoNode;
  hello.leader = kNoNode;
  hello.body = Hello{};
  std::string datagram = EncodeMessage(hello);
  // The harness cannot know us without it, so a transient failure (a full
  // send queue cannot happen this early, but be sure) is retried briefly.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int error = socket_.SendTo(harness_port_, datagram);
    if (error == 0) {
      ++counters_.messages_sent;
      return true;
    }
    Log("hello not sent: %s", strerror(error));
    if (error != EAGAIN && error != EWOULDBLOCK && error != ENOBUFS) break;
    poll(nullptr, 0, 10);
  }
  return false;
}

void Shim::Run(const volatile sig_atomic_t& stop, const sigset_t& wait_mask) {
  pollfd pfd;
  pfd.fd = socket_.fd();
  pfd.events = POLLIN;
  while (!stop) {
    try {
      Micros now = MonotonicMicros();
      int timeout_ms = PollTimeoutMillis(replica_.NextDeadline(), now);
      timespec timeout;
      timeout.tv_sec = timeout_ms / 1000;
      timeout.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000;
      pfd.revents = 0;
      int ready =
          ppoll(&pfd, 1, timeout_ms < 0 ? nullptr : &timeout, &wait_mask);
      if (ready < 0) {
        if (errno != EINTR) {
          Log("ppoll: %s", strerror(errno));
          // Not expected; do not spin on it.
          poll(nullptr, 0, 1);
        }
        continue;
      }
      if (pfd.revents & POLLERR) {
        int error = socket_.TakePendingError();
        if (error != 0) Log("socket error: %s", strerror(error));
      }
      if (pfd.revents & POLLIN) {
        ReadPending();
      } else {
        TickAndFlush(MonotonicMicros());
      }
    } catch (const std::exception& e) {
      ++counters_.exceptions;
      Log("exception in the loop: %s", e.what());
    } catch (...) {
      ++counters_.exceptions;
      Log("unknown exception in the loop");
    }
  }
  Log("stopping");
}

void Shim::ReadPending() {
  for (int batch = 0; batch < kMaxBatchesPerWake; ++batch) {
    bool drained = false;
    for (int i = 0; i < kMaxBatch; ++i) {
      uint16_t from_port = 0;
      int error = 0;
      ssize_t size =
          socket_.Receive(buffer_.data(), buffer_.size(), &from_port, &error);
      if (size < 0) {
        if (error != EAGAIN && error != EWOULDBLOCK) {
          ++counters_.receive_errors;
          Log("recvfrom: %s", strerror(error));
        }
        drained = true;
        break;
      }
      ++counters_.datagrams_received;
      Micros now = MonotonicMicros();
      try {
        // A truncated datagram is cut at the buffer's end, one byte past
        // the limit, so HandleDatagram still sees that it is too large.
        HandleDatagram(std::string_view(buffer_.data(),
                                        std::min<size_t>(size, buffer_.size())),
                       from_port, now);
      } catch (const std::exception& e) {
        ++counters_.exceptions;
        Log("exception on a datagram from port %u: %s",
            static_cast<unsigned>(from_port), e.what());
      } catch (...) {
        ++counters_.exceptions;
        Log("unknown exception on a datagram from port %u",
            static_cast<unsigned>(from_port));
      }
    }
    TickAndFlush(MonotonicMicros());
    if (drained) return;
  }
}

void Shim::HandleDatagram(std::string_view datagram, uint16_t from_port,
                          Micros now) {
  DecodeResult decoded;
  if (datagram.size() > kMaxDatagramBytes) {
    decoded.error = DecodeError::kTooLarge;
    decoded.detail =
        "more than " + std::to_string(kMaxDatagramBytes) + " bytes";
  } else {
    decoded = DecodeMessage(datagram);
  }
  if (!decoded.ok()) {
    int index = static_cast<int>(decoded.error);
    if (index > 0 && index < kNumDecodeErrors) ++counters_.decode_errors[index];
    Log("drop %zu bytes from port %u: %s: %s", datagram.size(),
        static_cast<unsigned>(from_port), DecodeErrorName(decoded.error),
        decoded.detail.c_str());
    return;
  }
  const Message& message = decoded.message;
  if (message.dst != replica_.id() && message.dst != kNoNode) {
    ++counters_.wrong_dst;
    Log("drop %s from %s: dst %s is not us", TypeName(message.body),
        FormatNodeId(message.src).c_str(), FormatNodeId(message.dst).c_str());
    return;
  }
  if (std::holds_alternative<Hello>(message.body)) {
    ++counters_.hellos_ignored;
    return;
  }
  ++counters_.messages_stepped;
  replica_.Step(message, now);
}

void Shim::TickAndFlush(Micros now) {
  try {
    replica_.Tick(now);
    if (replica_.HasReady()) {
      Ready ready = replica_.TakeReady();
      // Raft wants ready.hard_state and the log change (first_new_index,
      // new_entries) on stable storage before any of these messages leave.
      // The harness never restarts a replica, so memory suffices today; a
      // write-ahead log goes here, before the sends below.
      for (const Message& message : ready.messages) Send(message);
    }
  } catch (const std::exception& e) {
    ++counters_.exceptions;
    Log("exception in tick/send: %s", e.what());
  } catch (...) {
    ++counters_.exceptions;
    Log("unknown exception in tick/send");
  }
  LogStateChange();
}

void Shim::Send(const Message& message) {
  std::string datagram = EncodeMessage(message);
  int error = socket_.SendTo(harness_port_, datagram);
  if (error == 0) {
    ++counters_.messages_sent;
    return;
  }
  switch (error) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
      ++counters_.send_would_block;
      break;
    case ECONNREFUSED:
      ++counters_.send_refused;
      break;
    case EMSGSIZE:
      ++counters_.send_too_large;
      break;
    default:
      ++counters_.send_other_errors;
      break;
  }
  Log("send %s to %s (%zu bytes) failed: %s", TypeName(message.body),
      FormatNodeId(message.dst).c_str(), datagram.size(), strerror(error));
}

void Shim::LogStateChange() {
  if (replica_.role() == logged_role_ && replica_.term() == logged_term_ &&
      replica_.leader() == logged_leader_) {
    return;
  }
  Log("%s -> %s, term %llu -> %llu, leader %s -> %s", RoleName(logged_role_),
      RoleName(replica_.role()), static_cast<unsigned long long>(logged_term_),
      static_cast<unsigned long long>(replica_.term()),
      FormatNodeId(logged_leader_).c_str(),
      FormatNodeId(replica_.leader()).c_str());
  logged_role_ = replica_.role();
  logged_term_ = replica_.term();
  logged_leader_ = replica_.leader();
}

}  // namespace stepwise

#ifndef STEPWISE_REPLICA_SHIM_H_
#define STEPWISE_REPLICA_SHIM_H_

// The driver that runs one Replica on a real UDP socket: it owns the clock,
// the socket and (one day) the storage; the core owns every decision.
//
// One loop: ppoll() until a datagram arrives or the core's next deadline,
// read every pending datagram, Step() each one, Tick(), then deliver the
// Ready. Bad datagrams are dropped and counted, never fatal.

#include <signal.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "replica/codec.h"
#include "replica/replica.h"
#include "replica/shim_flags.h"
#include "replica/types.h"
#include "replica/udp_transport.h"

namespace stepwise {

// CLOCK_MONOTONIC in microseconds.
Micros MonotonicMicros();

struct ShimCounters {
  uint64_t datagrams_received = 0;
  uint64_t messages_stepped = 0;
  // Indexed by DecodeError; [kNone] stays 0.
  std::array<uint64_t, kNumDecodeErrors> decode_errors{};
  uint64_t wrong_dst = 0;       // dst neither us nor FFFF
  uint64_t hellos_ignored = 0;  // another replica's hello, relayed to us
  uint64_t receive_errors = 0;
  uint64_t messages_sent = 0;
  uint64_t send_would_block = 0;  // EAGAIN, EWOULDBLOCK, ENOBUFS
  uint64_t send_refused = 0;      // ECONNREFUSED: the harness is gone
  uint64_t send_too_large = 0;    // EMSGSIZE
  uint64_t send_other_errors = 0;
  uint64_t exceptions = 0;  // caught around one datagram or one step

  uint64_t decode_drops() const;
};

// One line, "key=value" pairs, stable names (tests parse it).
std::string FormatCounters(const ShimCounters& counters);

class Shim {
 public:
  // `log` receives the --verbose output; nullptr keeps the shim silent,
  // which is what the harness needs (it reads our pipes slowly).
  Shim(const ShimFlags& flags, uint64_t seed, UdpSocket socket, Micros now,
       FILE* log);

  // Sends the hello. It must be the first datagram: the harness learns our
  // port from it. Returns false if it could not be sent.
  bool SendHello();

  // Runs until `stop` becomes nonzero. Signals are delivered only inside
  // ppoll(), with `wait_mask` as the mask, so a SIGTERM that arrives while
  // we work cannot be missed until the next deadline.
  void Run(const volatile sig_atomic_t& stop, const sigset_t& wait_mask);

  const ShimCounters& counters() const { return counters_; }
  const Replica& replica() const { return replica_; }

 private:
  // Reads until the socket is empty (or kMaxBatchesPerWake batches),
  // delivering the Ready after each batch.
  void ReadPending();
  void HandleDatagram(std::string_view datagram, uint16_t from_port,
                      Micros now);
  void TickAndFlush(Micros now);
  void Send(const Message& message);
  void LogStateChange();
  void Log(const char* format, ...) __attribute__((format(printf, 2, 3)));

  const uint16_t harness_port_;
  UdpSocket socket_;
  Replica replica_;
  FILE* log_;
  const Micros started_;
  std::vector<char> buffer_;
  ShimCounters counters_;

  // Last logged (role, term, leader), to log changes only.
  Role logged_role_;
  Term logged_term_;
  NodeId logged_leader_;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_SHIM_H_

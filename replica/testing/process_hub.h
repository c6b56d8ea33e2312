#ifndef STEPWISE_REPLICA_TESTING_PROCESS_HUB_H_
#define STEPWISE_REPLICA_TESTING_PROCESS_HUB_H_

// Test helpers that stand in for the grading harness with real processes:
// start replicas as children (each in its own process group, as the harness
// does), and a hub that owns the UDP port they all talk to, routes their
// messages by dst, and checks every datagram they send against the wire
// rules of shared/harness-protocol.md.

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "replica/types.h"
#include "replica/udp_transport.h"

namespace stepwise::hub {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A wall-clock budget for a whole test, so that a broken replica fails the
// test instead of hanging it. The waits are bounds, not assertions of speed.
class Budget {
 public:
  explicit Budget(milliseconds total) : end_(Clock::now() + total) {}
  // The earlier of now + `wait` and the end of the budget.
  Clock::time_point Until(milliseconds wait) const {
    return std::min(Clock::now() + wait, end_);
  }
  // `wait`, cut to what is left of the budget but never below `floor`
  // (shutting down deserves a moment even when the budget is spent).
  milliseconds Left(milliseconds wait,
                    milliseconds floor = milliseconds(500)) const {
    auto left = std::chrono::duration_cast<milliseconds>(end_ - Clock::now());
    return std::max(std::min(wait, left), floor);
  }

 private:
  Clock::time_point end_;
};

// The shim binary in the test's runfiles.
std::string ShimBinaryPath();
// Where a test may leave logs: the undeclared-outputs directory if Bazel
// gives one (kept after the test), else the test's temporary directory.
std::string TestOutputDir();
std::string ReadWholeFile(const std::string& path);

// A child process in its own process group, so that a SIGTERM reaches it
// the way the harness sends it. The destructor SIGKILLs what is left.
class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  // Starts argv[0] with stdout and stderr sent to the given files.
  bool Start(const std::vector<std::string>& argv,
             const std::string& stdout_path, const std::string& stderr_path,
             std::string* error);

  pid_t pid() const { return pid_; }
  // False once it has exited (reaps it: waitpid with WNOHANG).
  bool Running();
  // Waits up to `timeout` for an exit; the wait status is then available.
  bool WaitExit(milliseconds timeout);
  // SIGTERM to the process group, then WaitExit. On timeout, SIGKILL.
  bool Terminate(milliseconds timeout);
  std::optional<int> wait_status() const { return wait_status_; }
  // True if it exited normally with `code`.
  bool ExitedWith(int code) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
};

struct CommandResult {
  bool timed_out = false;
  int wait_status = 0;
  std::string out;
  std::string err;
  // -1 unless it exited normally.
  int exit_code() const;
};

// Runs a command to completion (killed after `timeout`).
CommandResult RunCommand(const std::vector<std::string>& argv,
                         milliseconds timeout);

// A datagram a replica addressed to a client.
struct ClientBound {
  NodeId client = kNoNode;
  nlohmann::json json;
  Clock::time_point received;
};

struct HubStats {
  uint64_t from_replicas = 0;
  uint64_t relayed = 0;  // copies delivered to a living replica
  uint64_t to_dead = 0;  // copies dropped: the replica was killed
  uint64_t to_clients = 0;
  std::map<std::string, uint64_t> by_type;
};

class Hub {
 public:
  // Binds 127.0.0.1:0. `replicas` are the ids the hub expects hellos from;
  // `clients` are the only other legal destinations.
  bool Open(std::vector<NodeId> replicas, std::vector<NodeId> clients,
            std::string* error);
  uint16_t port() const { return socket_.local_port(); }

  // Receives and routes datagrams until `deadline`, or until `done` (checked
  // after every datagram and on every wake-up) returns true. Returns
  // whether `done` returned true.
  bool PumpUntil(Clock::time_point deadline,
                 const std::function<bool()>& done = nullptr);
  void PumpFor(milliseconds duration) { PumpUntil(Clock::now() + duration); }

  bool AllHellosSeen() const {
    return first_datagram_.size() == replicas_.size();
  }
  // The first datagram each replica sent (the hello, if it behaved).
  const std::map<NodeId, std::string>& first_datagrams() const {
    return first_datagram_;
  }
  // Sends raw bytes to a replica from the hub's port. Returns 0 or errno.
  int SendRaw(NodeId replica, std::string_view datagram);
  // Sends a client's message (already JSON text) to a replica.
  int SendFromClient(NodeId replica, const nlohmann::json& message);

  // After a kill: drop every copy addressed to it, as the harness counts.
  void MarkDead(NodeId replica) { dead_.insert(replica); }
  bool IsAlive(NodeId replica) const;
  std::vector<NodeId> LivingReplicas() const;
  const std::vector<NodeId>& replicas() const { return replicas_; }

  // The last leader field other than FFFF seen in any replica message, and
  // when one was first seen at all.
  NodeId last_leader() const { return last_leader_; }
  std::optional<Clock::time_point> first_leader_seen() const {
    return first_leader_seen_;
  }

  std::deque<ClientBound>& client_inbox() { return client_inbox_; }
  // Every breach of the wire rules, in words. Empty if all was well.
  const std::vector<std::string>& violations() const { return violations_; }
  const HubStats& stats() const { return stats_; }

 private:
  void Handle(std::string_view datagram, uint16_t from_port);
  void Deliver(NodeId to, std::string_view datagram, const std::string& what);
  void Violation(std::string text);

  UdpSocket socket_;
  std::vector<NodeId> replicas_;
  std::set<NodeId> clients_;
  std::map<uint16_t, NodeId> port_to_replica_;
  std::map<NodeId, uint16_t> replica_port_;
  std::map<NodeId, std::string> first_datagram_;
  std::set<NodeId> dead_;
  NodeId last_leader_ = kNoNode;
  std::optional<Clock::time_point> first_leader_seen_;
  std::deque<ClientBound> client_inbox_;
  std::vector<std::string> violations_;
  HubStats stats_;
  std::vector<char> buffer_ = std::vector<char>(65536);
};

// The "key=value ..." counters line a --verbose shim prints when it stops;
// empty if there is none.
std::map<std::string, uint64_t> ParseShimCounters(const std::string& log);

// Whether `value` is a JSON string of exactly four upper-case hex digits.
bool IsWireId(const nlohmann::json& value);

}  // namespace stepwise::hub

#endif  // STEPWISE_REPLICA_TESTING_PROCESS_HUB_H_

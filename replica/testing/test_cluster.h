#ifndef STEPWISE_REPLICA_TESTING_TEST_CLUSTER_H_
#define STEPWISE_REPLICA_TESTING_TEST_CLUSTER_H_

// A tiny in-memory network of Replicas with a manual virtual clock, for
// scenario tests that read like transcripts:
//
//   TestCluster c(3, {1000 * kMillis, 1500 * kMillis, 2000 * kMillis});
//   c.AdvanceTo(1000 * kMillis);   // replica 0's election timer fires
//   c.DeliverAll();                // its pre-votes reach 1 and 2
//   c.DeliverAll();                // their grants come back
//
// Two ways to move messages:
//   - by hand: everything a replica emits waits in `pending()` until the
//     test delivers it (DeliverAll, Deliver(filter)) or drops it;
//   - automatically: RunUntil() interleaves timers and deliveries in time
//     order, each message arriving `latency()` after it was sent.
// Partitions (Partition, Isolate, Heal) drop replica-to-replica messages
// at delivery. Client traffic never crosses the network: Put/Get step the
// replica at once, and replies are captured per MID.
//
// After every step the cluster checks invariants that hold in any correct
// run and reports violations as test failures (ADD_FAILURE): the Ready
// stream reproduces the replica's durable state, commit and apply indices
// never go back, the state machine is the in-order replay of the applied
// prefix, committed entries never change anywhere, at most one leader per
// term, and no MID is answered twice or answered without being asked.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "replica/messages.h"
#include "replica/replica.h"
#include "replica/types.h"

namespace stepwise {

// Readable gtest output for the core's enums.
void PrintTo(Role role, std::ostream* os);
void PrintTo(ReplyKind kind, std::ostream* os);

}  // namespace stepwise

namespace stepwise::testing {

// Test defaults: deterministic timeouts (min == max), fast heartbeats.
ReplicaConfig TestConfig();

// One config per replica (ids 0..n-1, peers = the others). A non-empty
// `election_timeouts` gives replica i the fixed timeout election_timeouts[i]
// (min == max), so the test decides who campaigns first.
std::vector<ReplicaConfig> MakeConfigs(
    int n, const std::vector<Micros>& election_timeouts = {},
    const ReplicaConfig& base = TestConfig());

// Log entries with the given terms, each a put of a distinct key (so that a
// test can tell them apart); `tag` makes the payloads differ between logs.
std::vector<LogEntry> EntriesWithTerms(const std::vector<Term>& terms,
                                       const std::string& tag = "e");

// An AppendEntries as a leader of `term` would send it, for tests that feed
// a replica by hand.
AppendEntries Append(Term term, LogIndex prev_index, Term prev_term,
                     std::vector<LogEntry> entries, LogIndex commit = 0);

// The terms of a log, index 1 first, for readable EXPECTs.
std::vector<Term> TermsOf(const RaftLog& log);

// A short human-readable rendering, for traces and failure messages.
std::string Describe(const Message& message);

// The body of `message` as T, or nullptr.
template <typename T>
const T* BodyAs(const Message& message) {
  return std::get_if<T>(&message.body);
}

// Matches the messages from `from` to `to` (for Deliver, Drop, Pending).
inline std::function<bool(const Message&)> FromTo(NodeId from, NodeId to) {
  return [from, to](const Message& m) { return m.src == from && m.dst == to; };
}

struct CapturedReply {
  NodeId from = kNoNode;    // the replica that answered
  NodeId leader = kNoNode;  // the leader field of the reply
  ClientReply reply;
  Micros at = 0;
};

class TestCluster {
 public:
  using Filter = std::function<bool(const Message&)>;

  // A message in the network, with the time it was sent.
  struct Envelope {
    Message message;
    Micros sent_at = 0;
  };

  explicit TestCluster(std::vector<ReplicaConfig> configs, Micros start = 0);
  TestCluster(int n, const std::vector<Micros>& election_timeouts,
              const ReplicaConfig& base = TestConfig());

  int size() const { return static_cast<int>(replicas_.size()); }
  Replica& replica(NodeId id) { return *replicas_.at(id); }
  const Replica& replica(NodeId id) const { return *replicas_.at(id); }
  Micros now() const { return now_; }

  // --- Clock (timers only; messages stay pending) ------------------------
  // Fires every timer due up to `t`, in time order, then sets now = t.
  void AdvanceTo(Micros t);
  void AdvanceBy(Micros d) { AdvanceTo(now_ + d); }

  // --- Manual network ------------------------------------------------------
  const std::vector<Envelope>& pending() const { return pending_; }
  // Pending messages matching `filter` (all if none), oldest first.
  std::vector<Message> Pending(const Filter& filter = nullptr) const;
  // Pending bodies of type T from `from` to `to`.
  template <typename T>
  std::vector<T> PendingBodies(NodeId from, NodeId to) const {
    std::vector<T> out;
    for (const Envelope& e : pending_) {
      const T* body = BodyAs<T>(e.message);
      if (body && e.message.src == from && e.message.dst == to) {
        out.push_back(*body);
      }
    }
    return out;
  }

  // Delivers every pending message matching `filter` (all if none), oldest
  // first, at the current time; the others stay pending. Messages emitted
  // meanwhile queue for the next call, so one call is one network hop.
  // Messages blocked by a partition are dropped. Returns how many arrived.
  int Deliver(const Filter& filter);
  int DeliverAll() { return Deliver(nullptr); }
  // DeliverAll until nothing is pending (or `max_hops`); returns the hops.
  int Stabilize(int max_hops = 100);
  // Removes pending messages without delivering them.
  int Drop(const Filter& filter);
  int DropAll() { return Drop(nullptr); }
  int DropFrom(NodeId id);
  int DropTo(NodeId id);

  // Steps `to` with a message from `from` at once, bypassing the network
  // (partitions included): the way to hand-craft a replica's history.
  void Inject(NodeId from, NodeId to, MessageBody body,
              NodeId leader = kNoNode);

  // --- Faults --------------------------------------------------------------
  // Replicas in different groups cannot talk; unlisted replicas form one
  // more group of their own each.
  void Partition(const std::vector<std::vector<NodeId>>& groups);
  void Partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
    Partition({a, b});
  }
  void Isolate(NodeId id);
  void Heal();
  bool Blocked(NodeId src, NodeId dst) const;

  // --- Automatic run -------------------------------------------------------
  void set_latency(Micros latency) { latency_ = latency; }
  Micros latency() const { return latency_; }
  // Runs timers and deliveries in time order until `t`.
  void RunUntil(Micros t);
  void RunFor(Micros d) { RunUntil(now_ + d); }
  // Runs until `done()` holds (checked after every event) or `deadline`;
  // returns done().
  bool RunUntil(const std::function<bool()>& done, Micros deadline);

  // --- Clients -------------------------------------------------------------
  void Put(NodeId replica, NodeId client, const std::string& mid,
           const std::string& key, const std::string& value);
  void Get(NodeId replica, NodeId client, const std::string& mid,
           const std::string& key);
  // The reply to `mid`, if any (the first one; a second is already a
  // failure reported by the cluster).
  const CapturedReply* ReplyTo(const std::string& mid) const;
  int ReplyCount(const std::string& mid) const;
  // Second ok replies to one MID (scored by the harness, not incorrect).
  int duplicates() const { return duplicates_; }
  // MIDs asked and never answered.
  std::vector<std::string> Unanswered() const;

  // --- Queries -------------------------------------------------------------
  // The replica among `ids` (all if empty) that is leader in the highest
  // term, or kNoNode.
  NodeId LeaderAmong(const std::vector<NodeId>& ids = {}) const;
  // True if `leader` is leader and every replica in `ids` (all if empty) is
  // in its term and believes in it.
  bool AllFollow(NodeId leader, const std::vector<NodeId>& ids = {}) const;
  // Every message delivered so far (not dropped), in delivery order.
  const std::vector<Envelope>& delivered() const { return delivered_; }
  int CountDelivered(const Filter& filter) const;

  // Prints every step to stderr (also on with STEPWISE_TRACE=1).
  void set_trace(bool on) { trace_ = on; }

 private:
  struct Mirror {  // what the Ready stream told the driver to persist
    HardState hard_state;
    std::vector<LogEntry> log;
  };
  struct Request {
    NodeId client = kNoNode;
    bool is_put = false;
    std::string key;
    std::string value;
  };

  bool IsReplica(NodeId id) const { return id < replicas_.size(); }
  void StepReplica(NodeId id, const Message& message);
  void TickReplica(NodeId id);
  void Collect(NodeId id);
  void CaptureReply(NodeId id, const Message& message);
  void CheckInvariants(NodeId id);
  // The replica with the earliest deadline <= limit (lowest id on ties).
  std::optional<NodeId> NextTimer(Micros limit) const;
  bool FireNextTimer(Micros limit);
  void DeliverEnvelope(const Envelope& envelope);

  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<Mirror> mirrors_;
  std::vector<LogIndex> last_commit_;
  std::vector<LogIndex> last_applied_;
  std::map<LogIndex, LogEntry> committed_;  // first seen committed anywhere
  std::map<Term, NodeId> leader_of_term_;
  std::vector<int> group_;
  Micros now_ = 0;
  Micros latency_ = 1 * kMillis;
  std::vector<Envelope> pending_;
  std::vector<Envelope> delivered_;
  std::map<std::string, Request> requests_;
  std::map<std::string, std::vector<CapturedReply>> replies_;
  bool stuck_ = false;
  bool trace_ = false;
  int duplicates_ = 0;
};

// Runs until 0 leads, everyone knows it and its first no-op is committed
// (a test failure if that takes over 3 s), then lets whatever is in flight
// arrive: the usual start of a test whose replica 0 times out first.
void SettleWithLeaderZero(TestCluster& c);

// Clusters whose replica i times out first after i * 500 ms (from 1 s):
// replica 0 campaigns first.
TestCluster ThreeReplicas();
TestCluster FiveReplicas();

// Whether `mid` got a reply.
bool Replied(const TestCluster& c, const std::string& mid);

}  // namespace stepwise::testing

#endif  // STEPWISE_REPLICA_TESTING_TEST_CLUSTER_H_

#ifndef STEPWISE_SIMULATOR_HUB_H_
#define STEPWISE_SIMULATOR_HUB_H_

// The hub's network rules, as harness-protocol.md states them: what happens
// to each datagram a replica sends (routing, counting, drops, partitions),
// which replicas are alive, and whom the harness believes is the leader.
// Time and transport are the caller's: the virtual-time simulation and the
// live hub both route through this class, so the rules exist once.

#include <cstdint>
#include <string>
#include <vector>

#include "replica/messages.h"
#include "replica/rng.h"
#include "replica/types.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

// What became of one replica-to-replica copy.
enum class CopyFate {
  kDelivered,
  kDropped,          // the random `drops` rule
  kPartition,        // the two replicas are on different sides
  kOneWay,           // a one-way partition blocks this direction
  kDeadDestination,  // counted, but nobody is there to receive it
};
const char* CopyFateName(CopyFate fate);

struct Copy {
  NodeId dst = kNoNode;
  CopyFate fate = CopyFate::kDelivered;
  Micros extra_delay = 0;  // reordering and latency spikes
  bool duplicate = false;  // an extra copy made by the network
};

struct Routing {
  enum class Kind {
    kReplicas,   // to one replica or to all others (`copies`)
    kClient,     // a reply: to `client`, never dropped, not counted
    kHello,      // consumed by the hub
    kIncorrect,  // fails the run; `why` says what was wrong
  };
  Kind kind = Kind::kIncorrect;
  std::vector<Copy> copies;
  NodeId client = kNoNode;
  std::string why;
};

class Hub {
 public:
  Hub(const Scenario& scenario, uint64_t seed);

  int replicas() const { return replicas_; }

  // A datagram from replica `from`. Applies every rule of the protocol and
  // updates the counters and the leader belief.
  Routing Route(NodeId from, const Message& message);

  // Before handing a client request to `replica`. The harness declares a
  // replica dead if it must deliver to it before its hello: returns false
  // (and records the death) in that case.
  bool CanDeliverTo(NodeId replica);

  // Liveness, as the harness knows it.
  bool alive(NodeId replica) const;
  bool said_hello(NodeId replica) const { return hello_[replica]; }
  std::vector<NodeId> Living() const;
  void Kill(NodeId replica);  // a fault: SIGTERM, never restarted
  // A replica that died on its own (or was declared dead): fails the run.
  void MarkDiedUnexpectedly(NodeId replica, const std::string& why);

  // The harness's leader belief: the last `leader` field seen in a replica
  // message (outside a partition, or from its majority side).
  NodeId believed_leader() const { return believed_leader_; }

  // Faults. A partition is a side number per replica; -1: none.
  void SetPartition(const std::vector<std::vector<NodeId>>& groups);
  void AddOneWay(const std::vector<NodeId>& from,
                 const std::vector<NodeId>& to);
  void HealPartitions();
  bool partitioned() const { return partitioned_; }
  int side(NodeId replica) const { return side_[replica]; }
  void set_drop_probability(double p) { drops_ = p; }
  void set_duplicate_probability(double p) { duplicate_ = p; }
  void set_reorder_max(Micros us) { reorder_max_ = us; }
  void set_spike(Micros us) { spike_ = us; }

  // Counters for the report.
  int64_t total_messages() const { return total_messages_; }
  int64_t dropped() const { return dropped_; }
  int64_t partitioned_drops() const { return partition_drops_; }
  int64_t duplicated() const { return duplicated_; }
  bool storm() const { return total_messages_ > max_packets_; }
  const std::vector<NodeId>& leaders() const { return leaders_; }
  const std::vector<NodeId>& killed() const { return killed_; }
  const std::vector<std::string>& died_unexpectedly() const { return died_; }
  const std::vector<std::string>& incorrect() const { return incorrect_; }

 private:
  void NoteLeader(NodeId from, NodeId leader);
  bool OnMajoritySide(NodeId replica) const;
  Copy MakeCopy(NodeId from, NodeId dst);

  int replicas_;
  int64_t max_packets_;
  std::vector<bool> alive_, hello_, dead_reported_;
  std::vector<int> side_;
  std::vector<std::vector<bool>> one_way_;  // [from][to] blocked
  bool partitioned_ = false;
  double drops_;
  double duplicate_ = 0;
  Micros reorder_max_ = 0;
  Micros spike_ = 0;
  Rng drop_rng_, duplicate_rng_, reorder_rng_;

  NodeId believed_leader_ = kNoNode;
  std::vector<NodeId> leaders_;
  std::vector<NodeId> killed_;
  std::vector<std::string> died_;
  std::vector<std::string> incorrect_;
  int64_t total_messages_ = 0;
  int64_t dropped_ = 0;
  int64_t partition_drops_ = 0;
  int64_t duplicated_ = 0;
};

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_HUB_H_

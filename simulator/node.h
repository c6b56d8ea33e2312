#ifndef STEPWISE_SIMULATOR_NODE_H_
#define STEPWISE_SIMULATOR_NODE_H_

// What the simulator drives: one replica, stepped in virtual time. The real
// thing is stepwise::Replica behind ReplicaNode (replica_node.h); tests plug
// in small stand-ins so that a hub or client rule can be checked without
// Raft in the way. The engine itself depends only on this interface.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "replica/messages.h"
#include "replica/types.h"
#include "simulator/report.h"

namespace stepwise {
class Replica;  // replica/replica.h
}  // namespace stepwise

namespace stepwise::sim {

// What the engine observes of a replica after each step, to trace role,
// term and commit changes. `role` is a static string ("leader", ...).
struct NodeView {
  std::string_view role = "follower";
  Term term = 0;
  NodeId leader = kNoNode;
  LogIndex commit_index = 0;
  bool operator==(const NodeView&) const = default;
};

struct NodeSpec {
  NodeId id = 0;
  std::vector<NodeId> peers;  // every other replica
  uint64_t seed = 1;          // from the scenario seed, per replica
};

class SimNode {
 public:
  virtual ~SimNode() = default;
  virtual void Step(const Message& message, Micros now) = 0;
  virtual void Tick(Micros now) = 0;
  virtual Micros NextDeadline() const = 0;
  // The datagrams to send now, in order. The very first batch must begin
  // with the hello (the shim's job for a real replica).
  virtual std::vector<Message> TakeMessages() = 0;
  virtual NodeView View() const = 0;
  // The Raft core inside, for the safety checker (simulator/safety.h);
  // null for stand-ins that have none.
  virtual const Replica* core() const { return nullptr; }
};

// Watches every step of every replica; the engine stops the run at the
// first finding.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual std::optional<SafetyFinding> AfterStep(NodeId id, const SimNode& node,
                                                 Micros now) = 0;
  // The replica was killed or crashed: it takes no more steps.
  virtual void Stopped(NodeId id) = 0;
};

// Builds a node that starts at `now`.
using NodeFactory =
    std::function<std::unique_ptr<SimNode>(const NodeSpec& spec, Micros now)>;

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_NODE_H_

#include "simulator/replica_node.h"

#include <memory>
#include <utility>
#include <variant>

#include "replica/replica.h"

namespace stepwise::sim {
namespace {

class ReplicaNode : public SimNode {
 public:
  ReplicaNode(const NodeSpec& spec, Micros now)
      : replica_(SimReplicaConfig(spec), now) {
    // The shim, not the core, says hello; if the core ever does it itself,
    // the hub must not see two.
    std::vector<Message> first = Take();
    bool core_says_hello =
        !first.empty() && std::holds_alternative<Hello>(first.front().body);
    if (!core_says_hello) {
      pending_.push_back(
          Message{spec.id, kNoNode, kNoNode, MessageBody{Hello{}}});
    }
    for (Message& m : first) pending_.push_back(std::move(m));
  }

  void Step(const Message& message, Micros now) override {
    replica_.Step(message, now);
  }
  void Tick(Micros now) override { replica_.Tick(now); }
  Micros NextDeadline() const override { return replica_.NextDeadline(); }

  std::vector<Message> TakeMessages() override {
    std::vector<Message> out = std::move(pending_);
    pending_.clear();
    std::vector<Message> more = Take();
    if (out.empty()) return more;
    for (Message& m : more) out.push_back(std::move(m));
    return out;
  }

  const Replica* core() const override { return &replica_; }

  NodeView View() const override {
    return NodeView{RoleName(replica_.role()), replica_.term(),
                    replica_.leader(), replica_.commit_index()};
  }

 private:
  // Durable state needs no storage here: replicas are never restarted.
  std::vector<Message> Take() {
    if (!replica_.HasReady()) return {};
    return std::move(replica_.TakeReady().messages);
  }

  Replica replica_;
  std::vector<Message> pending_;
};

}  // namespace

ReplicaConfig SimReplicaConfig(const NodeSpec& spec) {
  ReplicaConfig config;
  config.id = spec.id;
  config.peers = spec.peers;
  config.seed = spec.seed;
  return config;
}

NodeFactory ReplicaNodeFactory() {
  return [](const NodeSpec& spec, Micros now) -> std::unique_ptr<SimNode> {
    return std::make_unique<ReplicaNode>(spec, now);
  };
}

}  // namespace stepwise::sim

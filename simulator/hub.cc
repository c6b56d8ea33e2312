#include "simulator/hub.h"

#include <variant>

#include "simulator/ids.h"
#include "simulator/streams.h"

namespace stepwise::sim {

const char* CopyFateName(CopyFate fate) {
  switch (fate) {
    case CopyFate::kDelivered:
      return "delivered";
    case CopyFate::kDropped:
      return "dropped";
    case CopyFate::kPartition:
      return "partition";
    case CopyFate::kOneWay:
      return "one_way";
    case CopyFate::kDeadDestination:
      return "dead";
  }
  return "?";
}

Hub::Hub(const Scenario& scenario, uint64_t seed)
    : replicas_(scenario.replicas),
      max_packets_(scenario.max_packets),
      alive_(replicas_, true),
      hello_(replicas_, false),
      dead_reported_(replicas_, false),
      side_(replicas_, -1),
      one_way_(replicas_, std::vector<bool>(replicas_, false)),
      drops_(scenario.drops),
      drop_rng_(Stream(seed, streams::kDrops)),
      duplicate_rng_(Stream(seed, streams::kDuplicate)),
      reorder_rng_(Stream(seed, streams::kReorder)) {}

bool Hub::alive(NodeId replica) const {
  return IsReplicaId(replicas_, replica) && alive_[replica];
}

std::vector<NodeId> Hub::Living() const {
  std::vector<NodeId> out;
  for (int i = 0; i < replicas_; ++i) {
    if (alive_[i]) out.push_back(static_cast<NodeId>(i));
  }
  return out;
}

void Hub::Kill(NodeId replica) {
  if (!alive(replica)) return;
  alive_[replica] = false;
  killed_.push_back(replica);
}

void Hub::MarkDiedUnexpectedly(NodeId replica, const std::string& why) {
  if (!IsReplicaId(replicas_, replica)) return;
  alive_[replica] = false;
  if (dead_reported_[replica]) return;
  dead_reported_[replica] = true;
  died_.push_back(FormatNodeId(replica) + ": " + why);
}

bool Hub::CanDeliverTo(NodeId replica) {
  if (!alive(replica)) return false;
  if (!hello_[replica]) {
    MarkDiedUnexpectedly(replica, "a datagram was due before its hello");
    return false;
  }
  return true;
}

bool Hub::OnMajoritySide(NodeId replica) const {
  int mine = side_[replica];
  int same = 0;
  for (int s : side_) same += (s == mine);
  return same > replicas_ / 2;
}

void Hub::NoteLeader(NodeId from, NodeId leader) {
  // A message saying "no leader known" leaves the belief alone, and so does
  // a leader field naming no replica (ambiguous in the harness doc; this
  // keeps the last real belief, which is what kill_leader needs).
  if (!IsReplicaId(replicas_, leader)) return;
  if (partitioned_ && !OnMajoritySide(from)) return;
  if (leader != believed_leader_) {
    believed_leader_ = leader;
    if (leaders_.empty() || leaders_.back() != leader)
      leaders_.push_back(leader);
  }
}

Copy Hub::MakeCopy(NodeId from, NodeId dst) {
  Copy copy;
  copy.dst = dst;
  // One draw per copy whatever happens to it, so a partition elsewhere in
  // the scenario does not shift which later copies are dropped.
  bool random_drop = drop_rng_.Chance(drops_);
  if (!alive_[dst]) {
    copy.fate = CopyFate::kDeadDestination;
  } else if (partitioned_ && side_[from] != side_[dst]) {
    copy.fate = CopyFate::kPartition;
    ++partition_drops_;
  } else if (one_way_[from][dst]) {
    copy.fate = CopyFate::kOneWay;
    ++partition_drops_;
  } else if (random_drop) {
    copy.fate = CopyFate::kDropped;
    ++dropped_;
  } else if (!hello_[dst]) {
    MarkDiedUnexpectedly(dst, "a datagram was due before its hello");
    copy.fate = CopyFate::kDeadDestination;
  }
  if (reorder_max_ > 0)
    copy.extra_delay += reorder_rng_.Uniform(0, reorder_max_);
  copy.extra_delay += spike_;
  return copy;
}

Routing Hub::Route(NodeId from, const Message& message) {
  Routing routing;
  if (!IsReplicaId(replicas_, from)) {
    routing.why = "datagram from " + FormatNodeId(from) + ", not a replica";
    incorrect_.push_back(routing.why);
    return routing;
  }
  if (std::holds_alternative<Hello>(message.body)) {
    hello_[from] = true;
    routing.kind = Routing::Kind::kHello;
    return routing;
  }
  if (!hello_[from]) {
    // The harness learns a replica's port from its hello: anything before
    // it comes from an unknown sender.
    routing.why = FormatNodeId(from) + " sent " + TypeName(message.body) +
                  " before its hello";
    incorrect_.push_back(routing.why);
    return routing;
  }
  NoteLeader(from, message.leader);
  const NodeId dst = message.dst;
  if (IsClientId(replicas_, dst)) {
    // Client traffic: never dropped, never partitioned, not counted.
    routing.kind = Routing::Kind::kClient;
    routing.client = dst;
    return routing;
  }
  if (dst == kNoNode) {
    // Broadcast: replicas - 1 toward the total, dead replicas included, each
    // copy dropped independently.
    routing.kind = Routing::Kind::kReplicas;
    for (int i = 0; i < replicas_; ++i) {
      if (i == from) continue;
      ++total_messages_;
      routing.copies.push_back(MakeCopy(from, static_cast<NodeId>(i)));
    }
  } else if (IsReplicaId(replicas_, dst)) {
    routing.kind = Routing::Kind::kReplicas;
    ++total_messages_;
    routing.copies.push_back(MakeCopy(from, dst));
  } else {
    routing.why = FormatNodeId(from) + " sent " + TypeName(message.body) +
                  " to " + FormatNodeId(dst) +
                  ", neither a replica nor a client";
    incorrect_.push_back(routing.why);
    return routing;
  }
  if (duplicate_ > 0) {
    size_t n = routing.copies.size();
    for (size_t i = 0; i < n; ++i) {
      if (!duplicate_rng_.Chance(duplicate_)) continue;
      if (routing.copies[i].fate != CopyFate::kDelivered) continue;
      Copy extra = routing.copies[i];
      extra.duplicate = true;
      if (reorder_max_ > 0)
        extra.extra_delay += reorder_rng_.Uniform(0, reorder_max_);
      routing.copies.push_back(extra);
      ++duplicated_;
    }
  }
  return routing;
}

void Hub::SetPartition(const std::vector<std::vector<NodeId>>& groups) {
  // Replicas named in no group form one more side together.
  const int rest = static_cast<int>(groups.size());
  side_.assign(replicas_, rest);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (NodeId id : groups[g]) side_[id] = static_cast<int>(g);
  }
  partitioned_ = true;
}

void Hub::AddOneWay(const std::vector<NodeId>& from,
                    const std::vector<NodeId>& to) {
  for (NodeId f : from) {
    for (NodeId t : to) {
      if (f != t) one_way_[f][t] = true;
    }
  }
}

void Hub::HealPartitions() {
  partitioned_ = false;
  side_.assign(replicas_, -1);
  for (auto& row : one_way_) row.assign(replicas_, false);
}

}  // namespace stepwise::sim

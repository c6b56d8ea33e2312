#include "simulator/faults.h"

#include <algorithm>
#include <utility>

#include "simulator/streams.h"

namespace stepwise::sim {

Faults::Faults(const Scenario& scenario, uint64_t seed)
    : kill_rng_(Stream(seed, streams::kKill)),
      partition_rng_(Stream(seed, streams::kPartition)) {
  for (const FaultEvent& e : scenario.events) {
    timeline_.push_back(e);
    if (e.type == FaultType::kLatencySpike && e.duration.has_value()) {
      FaultEvent end;
      end.type = FaultType::kLatencySpikeEnd;
      end.time = e.time + *e.duration;
      timeline_.push_back(end);
    }
  }
  std::stable_sort(
      timeline_.begin(), timeline_.end(),
      [](const FaultEvent& a, const FaultEvent& b) { return a.time < b.time; });
}

// `first` (if a replica) plus random others: replicas / 2 + 1 in all. The
// others are drawn from every replica, dead ones included, as the harness
// draws from its list of replicas.
std::vector<NodeId> Faults::MajorityWith(NodeId first, int replicas) {
  std::vector<NodeId> pool;
  for (int i = 0; i < replicas; ++i) {
    if (i != first) pool.push_back(static_cast<NodeId>(i));
  }
  // Fisher-Yates with our own generator: std::shuffle's use of the
  // generator is implementation-defined.
  for (size_t i = pool.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(
        partition_rng_.Uniform(0, static_cast<int64_t>(i) - 1));
    std::swap(pool[i - 1], pool[j]);
  }
  std::vector<NodeId> side;
  if (first < replicas) side.push_back(first);
  const size_t majority = static_cast<size_t>(replicas / 2 + 1);
  for (NodeId id : pool) {
    if (side.size() >= majority) break;
    side.push_back(id);
  }
  std::sort(side.begin(), side.end());
  return side;
}

FaultOutcome Faults::Apply(const FaultEvent& e, Hub& hub, Clients& clients) {
  FaultOutcome out;
  const int n = hub.replicas();
  auto split = [&](std::vector<NodeId> majority) {
    std::vector<NodeId> rest;
    for (int i = 0; i < n; ++i) {
      if (!std::binary_search(majority.begin(), majority.end(), i)) {
        rest.push_back(static_cast<NodeId>(i));
      }
    }
    out.sides = {std::move(majority), std::move(rest)};
    hub.SetPartition(out.sides);
  };
  switch (e.type) {
    case FaultType::kKillLeader: {
      NodeId leader = hub.believed_leader();
      if (hub.alive(leader)) {
        hub.Kill(leader);
        out.killed.push_back(leader);
      } else {
        // Nothing to kill: the harness's belief names no living replica
        // (no leader field seen yet, or only the one killed before).
        out.note = leader == kNoNode
                       ? "kill_leader: no leader known, nothing killed"
                       : "kill_leader: believed leader " +
                             FormatNodeId(leader) +
                             " is already dead, nothing killed";
      }
      clients.ForgetLeader();
      break;
    }
    case FaultType::kKillNonLeader: {
      std::vector<NodeId> candidates;
      for (NodeId id : hub.Living()) {
        if (id != hub.believed_leader()) candidates.push_back(id);
      }
      if (candidates.empty()) {
        out.note = "kill_non_leader: no living non-leader, nothing killed";
        break;
      }
      NodeId victim = candidates[kill_rng_.Uniform(
          0, static_cast<int64_t>(candidates.size()) - 1)];
      hub.Kill(victim);
      out.killed.push_back(victim);
      break;
    }
    case FaultType::kKill:
      if (hub.alive(e.replica)) {
        hub.Kill(e.replica);
        out.killed.push_back(e.replica);
      } else {
        out.note = "kill: " + FormatNodeId(e.replica) + " is already dead";
      }
      break;
    case FaultType::kPartEasy:
      // With no leader known, the leader cannot be placed: a random
      // majority, as part_hard (but the clients keep their leader).
      split(MajorityWith(hub.believed_leader(), n));
      if (hub.believed_leader() == kNoNode) {
        out.note = "part_easy: no leader known, random majority";
      }
      break;
    case FaultType::kPartHard:
      split(MajorityWith(kNoNode, n));
      clients.ForgetLeader();
      break;
    case FaultType::kPartition:
      hub.SetPartition(e.groups);
      out.sides = e.groups;
      // Like part_hard: the leader may be cut off, so the clients forget it.
      clients.ForgetLeader();
      break;
    case FaultType::kOneWay:
      hub.AddOneWay(e.from, e.to);
      break;
    case FaultType::kPartEnd:
      hub.HealPartitions();
      break;
    case FaultType::kDrops:
      hub.set_drop_probability(e.probability);
      break;
    case FaultType::kDuplicate:
      hub.set_duplicate_probability(e.probability);
      break;
    case FaultType::kDuplicateEnd:
      hub.set_duplicate_probability(0);
      break;
    case FaultType::kReorder:
      hub.set_reorder_max(e.max_extra_us);
      break;
    case FaultType::kReorderEnd:
      hub.set_reorder_max(0);
      break;
    case FaultType::kLatencySpike:
      hub.set_spike(e.extra_us);
      break;
    case FaultType::kLatencySpikeEnd:
      hub.set_spike(0);
      break;
  }
  return out;
}

}  // namespace stepwise::sim

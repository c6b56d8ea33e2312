#include "simulator/swarm.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "replica/rng.h"
#include "simulator/streams.h"

namespace stepwise::sim {
namespace {

// Fault kinds a seed may enable. part_end is always on: it is what makes
// healing periods in the middle of a run.
constexpr FaultType kKinds[] = {
    FaultType::kKillLeader, FaultType::kKillNonLeader, FaultType::kKill,
    FaultType::kPartEasy,   FaultType::kPartHard,      FaultType::kPartition,
    FaultType::kOneWay,     FaultType::kDrops,         FaultType::kDuplicate,
    FaultType::kReorder,    FaultType::kLatencySpike,
};

// Divided by an exact integer, so that the result prints as the short
// decimal it stands for (0.575, not 0.57500000000000007).
double Round(double x, double per_unit) {
  return std::round(x * per_unit) / per_unit;
}

std::vector<NodeId> Shuffled(int n, Rng& rng) {
  std::vector<NodeId> ids;
  for (int i = 0; i < n; ++i) ids.push_back(static_cast<NodeId>(i));
  for (int i = n - 1; i > 0; --i) {
    std::swap(ids[i], ids[rng.Uniform(0, i)]);
  }
  return ids;
}

// A random split into 2 or 3 non-empty groups.
std::vector<std::vector<NodeId>> RandomGroups(int n, Rng& rng) {
  std::vector<NodeId> ids = Shuffled(n, rng);
  int groups = n >= 3 && rng.Chance(0.3) ? 3 : 2;
  std::vector<std::vector<NodeId>> out(groups);
  for (int g = 0; g < groups; ++g) out[g].push_back(ids[g]);
  for (int i = groups; i < n; ++i) {
    out[rng.Uniform(0, groups - 1)].push_back(ids[i]);
  }
  for (auto& g : out) std::sort(g.begin(), g.end());
  return out;
}

std::vector<NodeId> RandomSubset(int n, Rng& rng) {
  std::vector<NodeId> ids = Shuffled(n, rng);
  ids.resize(rng.Uniform(1, std::max(1, n / 2)));
  std::sort(ids.begin(), ids.end());
  return ids;
}

LatencyModel RandomLatency(Rng& rng) {
  LatencyModel m;  // the harness's, half of the time
  double pick = rng.NextDouble();
  if (pick < 0.5) return m;
  if (pick < 0.7) {
    // Our live hub on loopback (simulator/README.md).
    m.hop_us = 60;
    m.hop_jitter_us = 20;
    m.hub_us = 8;
    m.client_send_us = 10;
    m.replica_us = 20;
    return m;
  }
  m.hop_us = rng.Uniform(5, 300);
  m.hop_jitter_us = rng.Uniform(0, 300);
  m.hub_us = rng.Uniform(5, 200);
  m.client_send_us = rng.Uniform(10, 250);
  m.replica_us = rng.Uniform(1, 60);
  m.start_stagger_us = rng.Uniform(0, 3000);
  return m;
}

}  // namespace

Scenario GenerateSwarmScenario(uint64_t seed) {
  Rng rng = Stream(seed, "swarm");
  Scenario s;
  s.seed = seed;
  s.replicas = static_cast<int>(rng.Uniform(3, 9));
  s.drops = rng.Chance(0.3) ? 0 : Round(rng.NextDouble() * 0.4, 100);
  s.latency = RandomLatency(rng);
  s.lifetime = static_cast<double>(rng.Uniform(16, 30));
  const double rate = static_cast<double>(rng.Uniform(5, 50));
  s.requests = static_cast<int>(rate * s.lifetime);
  s.mix = Round(rng.NextDouble() * 0.95, 20);
  s.start_wait = static_cast<double>(rng.Uniform(2, 5));
  s.liveness_bound = kSwarmLivenessBound;
  s.end_wait = kSwarmLivenessBound + 1;
  s.max_packets = int64_t{1} << 40;  // judged on safety, not on storms
  // Faults are judged by the checks, not by the harness's fail limits.
  s.max_get_fail_fraction = 1;
  s.max_put_fail_fraction = 1;
  s.max_get_generation_fail_fraction = 1;
  s.total_msgs = s.failures = s.duplicates = {1e12, 1e12, 1e12};
  s.median_latency = {1e6, 1e6, 1e6};

  std::vector<FaultType> kinds;
  std::string names;
  for (FaultType k : kKinds) {
    if (!rng.Chance(0.5)) continue;
    kinds.push_back(k);
    names += std::string(names.empty() ? "" : ", ") + FaultTypeName(k);
  }
  // At least a few seconds of judged requests after heal + bound.
  const double heal = s.lifetime - kSwarmLivenessBound - 4;
  const int max_kills = (s.replicas - 1) / 2;
  int kills = 0;
  const int count = kinds.empty() ? 0 : static_cast<int>(rng.Uniform(1, 14));
  for (int i = 0; i < count; ++i) {
    FaultEvent e;
    e.type = kinds[rng.Uniform(0, static_cast<int64_t>(kinds.size()) - 1)];
    e.time = Round(rng.NextDouble() * heal, 1000);
    // One in four events is a partial heal instead.
    if (rng.Chance(0.25)) e.type = FaultType::kPartEnd;
    switch (e.type) {
      case FaultType::kKillLeader:
      case FaultType::kKillNonLeader:
      case FaultType::kKill:
        if (kills == max_kills) continue;
        ++kills;
        if (e.type == FaultType::kKill) {
          e.replica = static_cast<NodeId>(rng.Uniform(0, s.replicas - 1));
        }
        break;
      case FaultType::kPartition:
        e.groups = RandomGroups(s.replicas, rng);
        break;
      case FaultType::kOneWay:
        e.from = RandomSubset(s.replicas, rng);
        e.to = RandomSubset(s.replicas, rng);
        break;
      case FaultType::kDrops:
        e.probability = Round(rng.NextDouble() * 0.5, 100);
        break;
      case FaultType::kDuplicate:
        e.probability = Round(rng.NextDouble() * 0.3, 100);
        break;
      case FaultType::kReorder:
        e.max_extra_us = rng.Uniform(0, 50'000);
        break;
      case FaultType::kLatencySpike:
        e.extra_us = rng.Uniform(1'000, 500'000);
        if (rng.Chance(0.5)) {
          e.duration = std::min(heal - e.time,
                                Round(0.5 + rng.NextDouble() * 4.5, 1000));
          if (*e.duration <= 0) e.duration.reset();
        }
        break;
      default:
        break;
    }
    s.events.push_back(std::move(e));
  }
  // Everything ends at the heal time.
  for (FaultType end : {FaultType::kPartEnd, FaultType::kDuplicateEnd,
                        FaultType::kReorderEnd, FaultType::kLatencySpikeEnd}) {
    FaultEvent e;
    e.type = end;
    e.time = heal;
    s.events.push_back(std::move(e));
  }
  FaultEvent base_drops;
  base_drops.type = FaultType::kDrops;
  base_drops.time = heal;
  base_drops.probability = s.drops;
  s.events.push_back(std::move(base_drops));
  std::stable_sort(
      s.events.begin(), s.events.end(),
      [](const FaultEvent& a, const FaultEvent& b) { return a.time < b.time; });
  char drops[16];
  std::snprintf(drops, sizeof(drops), "%.2f", s.drops);
  s.description = "swarm seed " + std::to_string(seed) + ": " +
                  std::to_string(s.replicas) + " replicas, drops " + drops +
                  ", faults: " + (names.empty() ? "none" : names);
  return s;
}

}  // namespace stepwise::sim

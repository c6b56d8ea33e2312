#include "simulator/shrink.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace stepwise::sim {
namespace {

void RemoveId(std::vector<NodeId>* ids, NodeId id) {
  ids->erase(std::remove(ids->begin(), ids->end(), id), ids->end());
}

class Shrinker {
 public:
  Shrinker(const Scenario& failing, const StillFails& still_fails, int max_runs)
      : best_(failing), still_fails_(still_fails), max_runs_(max_runs) {}

  ShrinkResult Run() {
    bool progress = true;
    while (progress && budget_left()) {
      progress = false;
      progress |= ShrinkEvents();
      progress |= ShrinkReplicas();
      progress |= ShrinkRequests();
      progress |= Simplify();
    }
    return ShrinkResult{best_, runs_, accepted_};
  }

 private:
  bool budget_left() const { return runs_ < max_runs_; }

  // Keeps `candidate` if it still fails.
  bool Try(const Scenario& candidate) {
    if (!budget_left()) return false;
    ++runs_;
    if (!still_fails_(candidate)) return false;
    best_ = candidate;
    ++accepted_;
    return true;
  }

  // Delta debugging over the event list: remove halves, then quarters, ...
  // then single events.
  bool ShrinkEvents() {
    bool progress = false;
    size_t chunk = std::max<size_t>(1, best_.events.size() / 2);
    while (!best_.events.empty() && budget_left()) {
      bool removed = false;
      for (size_t at = 0; at < best_.events.size() && budget_left();) {
        Scenario c = best_;
        size_t end = std::min(at + chunk, c.events.size());
        c.events.erase(c.events.begin() + at, c.events.begin() + end);
        if (Try(c)) {
          removed = progress = true;  // same `at`: the next chunk moved in
        } else {
          at += chunk;
        }
      }
      if (chunk == 1 && !removed) break;
      if (!removed) chunk = std::max<size_t>(1, chunk / 2);
    }
    return progress;
  }

  bool ShrinkReplicas() {
    bool progress = false;
    while (budget_left()) {
      std::optional<Scenario> c = WithoutLastReplica(best_);
      if (!c || !Try(*c)) break;
      progress = true;
    }
    return progress;
  }

  // Halves the requests, then the request period, keeping event times that
  // still fit.
  bool ShrinkRequests() {
    bool progress = false;
    while (best_.requests > 1 && budget_left()) {
      Scenario c = best_;
      c.requests = best_.requests / 2;
      if (!Try(c)) break;
      progress = true;
    }
    while (best_.lifetime > 2 && budget_left()) {
      Scenario c = best_;
      c.lifetime = best_.lifetime / 2;
      c.requests = std::max(1, best_.requests / 2);  // the same rate
      const double last = c.lifetime + c.end_wait;
      c.events.erase(
          std::remove_if(c.events.begin(), c.events.end(),
                         [&](const FaultEvent& e) { return e.time > last; }),
          c.events.end());
      if (!Try(c)) break;
      progress = true;
    }
    return progress;
  }

  // Random drops off, the harness's latency model, no start stagger.
  bool Simplify() {
    bool progress = false;
    if (best_.drops > 0) {
      Scenario c = best_;
      c.drops = 0;
      for (FaultEvent& e : c.events) {
        if (e.type == FaultType::kDrops) e.probability = 0;
      }
      progress |= Try(c);
    }
    if (!(best_.latency.hop_us == LatencyModel{}.hop_us &&
          best_.latency.hub_us == LatencyModel{}.hub_us &&
          best_.latency.hop_jitter_us == LatencyModel{}.hop_jitter_us)) {
      Scenario c = best_;
      c.latency = LatencyModel{};
      progress |= Try(c);
    }
    return progress;
  }

  Scenario best_;
  const StillFails& still_fails_;
  const int max_runs_;
  int runs_ = 0;
  int accepted_ = 0;
};

}  // namespace

std::optional<Scenario> WithoutLastReplica(const Scenario& scenario) {
  if (scenario.replicas <= 3) return std::nullopt;
  Scenario c = scenario;
  c.replicas = scenario.replicas - 1;
  const NodeId gone = static_cast<NodeId>(c.replicas);
  std::vector<FaultEvent> kept;
  for (FaultEvent e : c.events) {
    switch (e.type) {
      case FaultType::kKill:
        if (e.replica == gone) continue;
        break;
      case FaultType::kPartition: {
        for (auto& g : e.groups) RemoveId(&g, gone);
        e.groups.erase(std::remove_if(e.groups.begin(), e.groups.end(),
                                      [](const auto& g) { return g.empty(); }),
                       e.groups.end());
        if (e.groups.empty()) continue;
        break;
      }
      case FaultType::kOneWay:
        RemoveId(&e.from, gone);
        RemoveId(&e.to, gone);
        if (e.from.empty() || e.to.empty()) continue;
        break;
      default:
        break;
    }
    kept.push_back(std::move(e));
  }
  c.events = std::move(kept);
  return c;
}

ShrinkResult Shrink(const Scenario& failing, const StillFails& still_fails,
                    int max_runs) {
  return Shrinker(failing, still_fails, max_runs).Run();
}

}  // namespace stepwise::sim

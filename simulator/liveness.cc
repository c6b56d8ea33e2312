#include "simulator/liveness.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace stepwise::sim {
namespace {

std::string Seconds(Micros t) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f s", t / 1e6);
  return buf;
}

}  // namespace

Micros HealTime(const Scenario& scenario) {
  Micros heal = 0;
  for (const FaultEvent& e : scenario.events) {
    double end = e.time;
    if (e.type == FaultType::kLatencySpike && e.duration) end += *e.duration;
    heal = std::max(heal, Scenario::ToMicros(scenario.start_wait + end));
  }
  return heal;
}

bool EndsHealed(const Scenario& scenario) {
  bool cut = false, duplicate = false, reorder = false, spike = false;
  double drops = scenario.drops;
  for (const FaultEvent& e : scenario.events) {
    switch (e.type) {
      case FaultType::kPartEasy:
      case FaultType::kPartHard:
      case FaultType::kPartition:
      case FaultType::kOneWay:
        cut = true;
        break;
      case FaultType::kPartEnd:
        cut = false;
        break;
      case FaultType::kDuplicate:
        duplicate = e.probability > 0;
        break;
      case FaultType::kDuplicateEnd:
        duplicate = false;
        break;
      case FaultType::kReorder:
        reorder = e.max_extra_us > 0;
        break;
      case FaultType::kReorderEnd:
        reorder = false;
        break;
      case FaultType::kLatencySpike:
        // One with a duration ends by itself (HealTime counts it).
        if (!e.duration) spike = e.extra_us > 0;
        break;
      case FaultType::kLatencySpikeEnd:
        spike = false;
        break;
      case FaultType::kDrops:
        drops = e.probability;
        break;
      case FaultType::kKillLeader:
      case FaultType::kKillNonLeader:
      case FaultType::kKill:
        break;  // judged by counting the living
    }
  }
  return !cut && !duplicate && !reorder && !spike && drops <= scenario.drops;
}

namespace {

// The judged requests (simulator/liveness.h), each with its deadline; none
// where liveness is not judged.
template <typename Visit>
void ForEachJudged(const Scenario& scenario, const RunResult& run,
                   Visit visit) {
  if (!scenario.liveness_bound || !EndsHealed(scenario)) return;
  const int dead = static_cast<int>(run.killed.size() + run.died.size());
  const int alive = scenario.replicas - dead;
  if (alive < scenario.replicas / 2 + 1) return;
  // A run stopped early (a storm or a safety finding) is judged up to
  // where it got.
  const Micros bound = Scenario::ToMicros(*scenario.liveness_bound);
  const Micros judged_from = HealTime(scenario) + bound;
  for (const RequestTiming& r : run.requests) {
    if (r.first_sent == kNever || r.first_sent < judged_from) continue;
    const Micros deadline = r.first_sent + bound;
    if (deadline > run.end_time) continue;
    if (!visit(r, deadline)) return;
  }
}

}  // namespace

std::optional<SafetyFinding> CheckLiveness(const Scenario& scenario,
                                           const RunResult& run) {
  std::optional<SafetyFinding> finding;
  ForEachJudged(scenario, run, [&](const RequestTiming& r, Micros deadline) {
    if (r.ok_at != kNever && r.ok_at <= deadline) return true;
    const Micros bound = deadline - r.first_sent;
    SafetyFinding f;
    f.property = kLiveness;
    f.time = deadline;
    f.detail = std::string("a ") + (r.is_get ? "get" : "put") +
               " first sent at " + Seconds(r.first_sent) + " was " +
               (r.ok_at == kNever ? "never answered ok"
                                  : "answered ok only at " + Seconds(r.ok_at)) +
               "; the faults healed at " + Seconds(HealTime(scenario)) +
               " and the bound is " + Seconds(bound);
    finding = f;
    return false;
  });
  return finding;
}

std::optional<Micros> LongestJudgedWait(const Scenario& scenario,
                                        const RunResult& run) {
  std::optional<Micros> longest;
  ForEachJudged(scenario, run, [&](const RequestTiming& r, Micros deadline) {
    const Micros answered = r.ok_at == kNever ? run.end_time : r.ok_at;
    const Micros wait = std::min(answered, deadline) - r.first_sent;
    longest = std::max(longest.value_or(0), wait);
    return true;
  });
  return longest;
}

}  // namespace stepwise::sim

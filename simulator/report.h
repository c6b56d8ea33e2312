#ifndef STEPWISE_SIMULATOR_REPORT_H_
#define STEPWISE_SIMULATOR_REPORT_H_

// Scoring, in the harness's words: the correctness checks, then the four
// metrics each graded against the config's [bonus, full, partial] tiers.

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/history.h"
#include "replica/types.h"
#include "simulator/clients.h"
#include "simulator/hub.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

// SafetyFinding::property of a history that is not linearizable, and the
// verdict of one that is.
inline constexpr char kLinearizability[] = "linearizability";
inline constexpr char kLinearizableVerdict[] = "linearizable";
// SafetyFinding::property of a cluster that did not recover after healing.
inline constexpr char kLiveness[] = "liveness";

// What a step observer reports: a safety property that no longer holds.
struct SafetyFinding {
  std::string property;  // e.g. "election_safety", "linearizability"
  Micros time = 0;       // virtual time it was seen
  NodeId replica = kNoNode;
  std::string detail;  // one line: the index, term, key, replicas involved
  // The relevant events: for a Raft property, the trace's last lines up to
  // the violation; for linearizability, the key's operations.
  std::vector<std::string> events;
};

// Everything a run produced that the report needs (virtual or live).
struct RunResult {
  uint64_t seed = 0;
  bool live = false;
  Micros end_time = 0;  // when the run stopped (virtual or real µs)
  bool storm = false;   // stopped early: more than max_packets messages
  int64_t total_messages = 0;
  int64_t dropped = 0;          // random drops
  int64_t partition_drops = 0;  // partitions and one-way partitions
  int64_t duplicated = 0;       // extra copies made by `duplicate`
  std::vector<NodeId> leaders;  // the harness's belief, each change
  std::vector<NodeId> killed;
  std::vector<std::string> died;  // died unexpectedly, with why
  std::vector<std::string> hub_incorrect;
  ClientStats clients;
  std::vector<std::string> notes;  // faults that could not act, ...

  // Every client operation (analysis/history.h), for the linearizability
  // check.
  History history;
  std::vector<RequestTiming> requests;  // for the liveness check
  // Safety checks (simulator/safety.h). Unchecked runs leave them empty.
  bool raft_checked = false;    // Raft's properties after every step
  std::string history_verdict;  // "linearizable", "not linearizable", ...
  std::vector<SafetyFinding> safety;
};

// The part of a RunResult the hub and the clients know, the same in a
// virtual and a live run; the caller adds the seed, times, storm and notes.
RunResult CollectRunResult(const Hub& hub, const Clients& clients);

enum class Tier { kBonus, kFull, kPartial, kNone };
const char* TierName(Tier tier);  // "Bonus", "Full credit", ...
// Below the first threshold is Bonus, below the second Full credit, below
// the third Partial credit, else No credit.
Tier Grade(double value, const Tiers& tiers);

// Python's statistics.median: the mean of the two middle values for an
// even count. In seconds; NaN when there is no reply at all.
double MedianSeconds(std::vector<Micros> latencies);

struct Check {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct Metric {
  std::string name;
  double value = 0;
  Tiers tiers;
  Tier tier = Tier::kNone;
  bool seconds = false;  // print as a latency
};

struct Report {
  std::vector<Check> checks;
  std::vector<Metric> metrics;
  bool passed = false;  // every check passed
};

Report Evaluate(const Scenario& scenario, const RunResult& run);

// `replay` is the command that reproduces the run.
std::string FormatText(const Scenario& scenario, const RunResult& run,
                       const Report& report, const std::string& replay);
std::string FormatJson(const Scenario& scenario, const RunResult& run,
                       const Report& report, const std::string& replay);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_REPORT_H_

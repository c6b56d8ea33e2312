#ifndef STEPWISE_SIMULATOR_REPORT_H_
#define STEPWISE_SIMULATOR_REPORT_H_

// Scoring, in the harness's words: the correctness checks, then the four
// metrics each graded against the config's [bonus, full, partial] tiers.

#include <cstdint>
#include <string>
#include <vector>

#include "replica/types.h"
#include "simulator/clients.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

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
};

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

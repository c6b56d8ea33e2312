#ifndef STEPWISE_ANALYSIS_BENCH_TIER_TABLE_H_
#define STEPWISE_ANALYSIS_BENCH_TIER_TABLE_H_

// The tier table: per config, each of the four scored metrics over many
// seeds reduced to its median and its worst value, graded against the
// config's [bonus, full, partial] tiers, next to the best tier the grading
// harness lets a correct replica reach at all on its machine. Pure: the
// runs come in as numbers, nothing here runs anything.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/report.h"
#include "simulator/scenario.h"

namespace stepwise::bench {

using sim::Tier;
using sim::Tiers;

// In the order sim::Evaluate reports them.
enum MetricIndex { kMessages = 0, kFailures, kDuplicates, kLatency };
inline constexpr int kNumMetrics = 4;
const char* MetricName(int metric);  // "total messages", ...

// What the table needs of a config.
struct ConfigSpec {
  std::string name;  // the file's stem: "simple-1"
  int replicas = 5;
  int requests = 0;
  double mix = 0.8;  // fraction of gets
  std::array<Tiers, kNumMetrics> tiers;
};
ConfigSpec SpecFromScenario(const std::string& name, const sim::Scenario& s);

// One seed's run: the four metric values (latency in seconds, NaN when no
// request got a reply) and whether every correctness check passed.
struct SeedRun {
  uint64_t seed = 0;
  bool passed = true;
  std::array<double, kNumMetrics> values{};
  std::string failed_checks;  // names of the failed checks, for the report
};

// Larger is worse for all four metrics; a NaN (no reply at all) is the worst
// possible value and is taken as +infinity. Median as Python's
// statistics.median (the mean of the two middle values for an even count),
// the harness's own convention. Both are NaN for no values.
double MedianOver(std::vector<double> values);
double WorstOver(const std::vector<double>& values);

// The lowest median latency, in seconds, a correct replica can reach under
// the harness for this request mix and cluster size (see tier_table.cc).
double LatencyFloorSeconds(double mix, int replicas);

// The lowest value of a metric that a correct run can have: the message
// floor of the correctness checks, 0 failures, 0 duplicates, the latency
// floor.
double LowestAttainable(int metric, const ConfigSpec& spec);

// The best tier reachable: the grade of the lowest attainable value.
Tier BestAttainable(int metric, const ConfigSpec& spec);

struct MetricCell {
  double median = 0;
  double worst = 0;
  Tier median_tier = Tier::kNone;
  Tier worst_tier = Tier::kNone;
  Tier best = Tier::kNone;   // best attainable
  int seeds_below_best = 0;  // seeds whose own value grades below `best`
};

struct ConfigRow {
  ConfigSpec spec;
  int seeds = 0;
  std::vector<uint64_t> failed_seeds;      // correctness failures, in order
  std::vector<std::string> failed_checks;  // one entry per failed seed
  std::array<MetricCell, kNumMetrics> cells;
};

ConfigRow SummarizeConfig(const ConfigSpec& spec,
                          const std::vector<SeedRun>& runs);

// Cells (config x metric) counted by tier: "lower" is Partial or No credit.
struct TierCounts {
  int bonus = 0, full = 0, lower = 0;
  int total() const { return bonus + full + lower; }
};

struct Summary {
  TierCounts reached;  // by the worst (or the median) over seeds
  TierCounts best;     // best attainable
  // "simple-2 median latency" for each cell that reached less than the
  // best attainable tier.
  std::vector<std::string> short_of_best;
  // With kWorst: "simple-2 median latency 3 of 20" for the same cells, how
  // many seeds fell short: the worst of 20 seeds hides whether that was
  // one unlucky seed or most of them.
  std::vector<std::string> seeds_short_of_best;
};

enum class Over { kWorst, kMedian };
Summary Summarize(const std::vector<ConfigRow>& rows, Over over);

// "worst over seeds: Bonus 27, Full 41, lower 0 of 68; best attainable
// 29/39/0"
std::string SummaryLine(const Summary& summary, Over over);

}  // namespace stepwise::bench

#endif  // STEPWISE_ANALYSIS_BENCH_TIER_TABLE_H_

#include "analysis/bench/tier_table.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace stepwise::bench {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// shared/harness-protocol.md, "Timing measured on this kind of machine",
// medians for simple-2 with a trivial responder:
//   "replied at once (one hop: the request in, the reply out) | 340–380 µs"
//   "round-tripped one message with one peer first | 630–760 µs"
//   "waited for replies from two peers (a 5-replica quorum) | 820–890 µs"
// and "A correct replica cannot answer in less than about 350 µs here".
constexpr double kNoPeerSeconds = 350e-6;
constexpr double kOnePeerSeconds = 700e-6;
constexpr double kTwoPeersSeconds = 850e-6;

double NanToInf(double v) { return std::isnan(v) ? kInf : v; }

}  // namespace

const char* MetricName(int metric) {
  switch (metric) {
    case kMessages:
      return "total messages";
    case kFailures:
      return "failures";
    case kDuplicates:
      return "duplicates";
    case kLatency:
      return "median latency";
  }
  return "?";
}

ConfigSpec SpecFromScenario(const std::string& name, const sim::Scenario& s) {
  ConfigSpec spec;
  spec.name = name;
  spec.replicas = s.replicas;
  spec.requests = s.requests;
  spec.mix = s.mix;
  spec.tiers = {s.total_msgs, s.failures, s.duplicates, s.median_latency};
  return spec;
}

double MedianOver(std::vector<double> values) {
  if (values.empty()) return kNaN;
  for (double& v : values) v = NanToInf(v);
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n % 2 == 1) return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

double WorstOver(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  double worst = -kInf;
  for (double v : values) worst = std::max(worst, NanToInf(v));
  return worst;
}

// The protocol scores "median latency in seconds over every reply". A get
// needs no peer round trip (a leader that knows it still leads answers at
// once: the ~350 µs floor). A put is answered only once a majority holds it:
// the leader waits for replicas/2 peers, one (3 replicas, ~700 µs) or two
// (5 replicas, ~850 µs; more peers only wait longer, so 850 µs stays a lower
// bound for larger clusters). A fraction `mix` of the replies are gets,
// the rest puts, so the median reply is a get when gets are the majority
// (simple-1, "mostly gets": 350 µs), a put when puts are ("the other no-fault
// configs, mostly puts": 850 µs), and for exactly half the mean of the two
// middle replies, one of each. A design that lets the last replica of a
// replication chain answer the client instead of the leader needs two
// relays per put, which costs the hub what a one-peer round trip does
// (~700 µs): below this floor. No course config has a threshold between
// the two (the latency Bonus thresholds are 150-250 µs, 400 µs for mostly
// gets, or 1 ms), so the best attainable tiers are the same either way.
double LatencyFloorSeconds(double mix, int replicas) {
  const int peers = replicas / 2;
  const double put = peers == 0   ? kNoPeerSeconds
                     : peers == 1 ? kOnePeerSeconds
                                  : kTwoPeersSeconds;
  const double get = kNoPeerSeconds;
  if (mix > 0.5) return get;
  if (mix < 0.5) return put;
  return (get + put) / 2;
}

double LowestAttainable(int metric, const ConfigSpec& spec) {
  switch (metric) {
    case kMessages:
      // The correctness check "total messages >= requests x replicas x
      // (1 - mix) x 0.5": fewer fails the run instead of scoring better.
      return static_cast<double>(spec.requests) * spec.replicas *
             (1 - spec.mix) * 0.5;
    case kFailures:
    case kDuplicates:
      return 0;
    case kLatency:
      return LatencyFloorSeconds(spec.mix, spec.replicas);
  }
  return kNaN;
}

Tier BestAttainable(int metric, const ConfigSpec& spec) {
  // "a value below the first is Bonus": where the bonus threshold is 0, the
  // best value, 0, is only Full credit.
  return sim::Grade(LowestAttainable(metric, spec), spec.tiers[metric]);
}

ConfigRow SummarizeConfig(const ConfigSpec& spec,
                          const std::vector<SeedRun>& runs) {
  ConfigRow row;
  row.spec = spec;
  row.seeds = static_cast<int>(runs.size());
  for (const SeedRun& run : runs) {
    if (run.passed) continue;
    row.failed_seeds.push_back(run.seed);
    row.failed_checks.push_back(run.failed_checks);
  }
  for (int m = 0; m < kNumMetrics; ++m) {
    std::vector<double> values;
    values.reserve(runs.size());
    for (const SeedRun& run : runs) values.push_back(run.values[m]);
    MetricCell& cell = row.cells[m];
    cell.median = MedianOver(values);
    cell.worst = WorstOver(values);
    cell.median_tier = sim::Grade(cell.median, spec.tiers[m]);
    cell.worst_tier = sim::Grade(cell.worst, spec.tiers[m]);
    cell.best = BestAttainable(m, spec);
    for (double value : values) {
      // Tier values are ordered best first.
      if (sim::Grade(value, spec.tiers[m]) > cell.best) ++cell.seeds_below_best;
    }
  }
  return row;
}

namespace {

void Tally(Tier tier, TierCounts* counts) {
  if (tier == Tier::kBonus) {
    ++counts->bonus;
  } else if (tier == Tier::kFull) {
    ++counts->full;
  } else {
    ++counts->lower;
  }
}

}  // namespace

Summary Summarize(const std::vector<ConfigRow>& rows, Over over) {
  Summary summary;
  for (const ConfigRow& row : rows) {
    for (int m = 0; m < kNumMetrics; ++m) {
      const MetricCell& cell = row.cells[m];
      const Tier reached =
          over == Over::kWorst ? cell.worst_tier : cell.median_tier;
      Tally(reached, &summary.reached);
      Tally(cell.best, &summary.best);
      // Tier values are ordered best first.
      if (reached > cell.best) {
        summary.short_of_best.push_back(row.spec.name + " " + MetricName(m));
        summary.seeds_short_of_best.push_back(
            row.spec.name + " " + MetricName(m) + " " +
            std::to_string(cell.seeds_below_best) + " of " +
            std::to_string(row.seeds));
      }
    }
  }
  return summary;
}

std::string SummaryLine(const Summary& s, Over over) {
  return std::string(over == Over::kWorst ? "worst" : "median") +
         " over seeds: Bonus " + std::to_string(s.reached.bonus) + ", Full " +
         std::to_string(s.reached.full) + ", lower " +
         std::to_string(s.reached.lower) + " of " +
         std::to_string(s.reached.total()) + "; best attainable " +
         std::to_string(s.best.bonus) + "/" + std::to_string(s.best.full) +
         "/" + std::to_string(s.best.lower);
}

}  // namespace stepwise::bench

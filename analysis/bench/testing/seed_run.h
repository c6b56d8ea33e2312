#ifndef STEPWISE_ANALYSIS_BENCH_TESTING_SEED_RUN_H_
#define STEPWISE_ANALYSIS_BENCH_TESTING_SEED_RUN_H_

// For the tier table's tests: one seed's result, made up.

#include <cstdint>

#include "analysis/bench/tier_table.h"

namespace stepwise::bench {

// A failed run names the check it failed, as a real one would.
inline SeedRun SeedResult(uint64_t seed, bool passed, double messages,
                          double failures, double duplicates, double latency) {
  SeedRun run;
  run.seed = seed;
  run.passed = passed;
  run.values = {messages, failures, duplicates, latency};
  if (!passed) run.failed_checks = "Some state was stored (0 puts answered ok)";
  return run;
}

}  // namespace stepwise::bench

#endif  // STEPWISE_ANALYSIS_BENCH_TESTING_SEED_RUN_H_

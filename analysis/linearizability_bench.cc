#include <benchmark/benchmark.h>

#include <cstdint>

#include "analysis/linearizability.h"
#include "analysis/random_history.h"

namespace stepwise {
namespace {

// Arguments: operations, keys, max jitter (us; linearization points are 100
// us apart, so about 2 * jitter / 100 operations are in flight at once).
void BM_CheckLinearizable(benchmark::State& state) {
  RandomHistoryOptions options;
  options.operations = static_cast<size_t>(state.range(0));
  options.keys = static_cast<size_t>(state.range(1));
  options.max_jitter = state.range(2);
  options.spacing = 100;
  options.unknown_put_fraction = 0.05;
  History history = RandomLinearizableHistory(options);
  uint64_t steps = 0;
  for (auto _ : state) {
    CheckResult result = CheckLinearizable(history);
    if (!result.ok()) state.SkipWithError("not linearizable");
    steps = result.steps;
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.SetItemsProcessed(state.iterations() * options.operations);
}

BENCHMARK(BM_CheckLinearizable)
    ->ArgNames({"ops", "keys", "jitter"})
    // A course-length run: a few hundred operations over ~100 keys.
    ->Args({300, 100, 300})
    // Long runs: many keys, a few clients in flight at once.
    ->Args({100'000, 1'000, 300})
    ->Args({100'000, 100, 300})
    // Everything on one key: the memo keeps a long history's search linear.
    ->Args({100'000, 1, 300})
    // High per-key concurrency: ~20 operations in flight on 10 keys.
    ->Args({100'000, 10, 1'000})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace stepwise

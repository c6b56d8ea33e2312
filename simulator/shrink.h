#ifndef STEPWISE_SIMULATOR_SHRINK_H_
#define STEPWISE_SIMULATOR_SHRINK_H_

// Shrinking a failing scenario: greedy passes, each kept only if the smaller
// scenario still fails the same way (same seed, so the run is as
// deterministic as the original): fewer events (delta debugging over the
// event list), fewer replicas, fewer requests, a shorter run, and no
// random drops or latency extras. Repeated until a whole round of passes
// changes nothing or the run budget is spent.

#include <functional>

#include "simulator/scenario.h"

namespace stepwise::sim {

struct ShrinkResult {
  Scenario scenario;  // the smallest failing scenario found
  int runs = 0;       // candidates tried
  int accepted = 0;   // candidates that still failed and were kept
};

using StillFails = std::function<bool(const Scenario&)>;

// `failing` must fail (not checked). `max_runs` bounds the work; each run is
// one simulation.
ShrinkResult Shrink(const Scenario& failing, const StillFails& still_fails,
                    int max_runs);

// The same scenario on one replica fewer: the highest id goes, and events
// naming it lose it (an event left with nothing to act on goes). nullopt
// below 3 replicas.
std::optional<Scenario> WithoutLastReplica(const Scenario& scenario);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_SHRINK_H_

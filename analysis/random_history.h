#ifndef STEPWISE_ANALYSIS_RANDOM_HISTORY_H_
#define STEPWISE_ANALYSIS_RANDOM_HISTORY_H_

#include <cstddef>
#include <cstdint>

#include "analysis/history.h"
#include "replica/types.h"

namespace stepwise {

// Histories that are linearizable by construction, for tests and
// benchmarks: operations run one by one on a real register per key at
// linearization points `spacing` apart, then each interval is widened by a
// random jitter on both sides. Every operation's point stays inside its
// interval, so the points give a valid linearization, while intervals
// overlap with up to about 2 * max_jitter / spacing others.
struct RandomHistoryOptions {
  uint64_t seed = 1;
  size_t operations = 300;
  size_t keys = 100;
  size_t clients = 8;  // Ids 0x0015 upward, as the harness numbers them.
  double get_fraction = 0.5;
  // Fraction of puts recorded with an unknown outcome; half of those took
  // effect, half did not. Half of them have no reply at all (kNever).
  double unknown_put_fraction = 0.05;
  Micros spacing = 100;
  Micros max_jitter = 300;
};

History RandomLinearizableHistory(const RandomHistoryOptions& options);

}  // namespace stepwise

#endif  // STEPWISE_ANALYSIS_RANDOM_HISTORY_H_

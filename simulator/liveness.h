#ifndef STEPWISE_SIMULATOR_LIVENESS_H_
#define STEPWISE_SIMULATOR_LIVENESS_H_

// Liveness, judged only where it can be: once the last fault has healed and
// a majority lives, the cluster must elect a leader and answer requests
// again within the scenario's `liveness_bound` B. Concretely, with H the
// end of the last event (a latency spike ends after its duration), every
// request first sent at or after H + B must be answered ok, through any
// re-sends, within B of its first send. The first B after healing is the
// cluster's time to recover; requests sent during it are not judged, since
// an old leader may hold them until its term is over.
//
// The fuzzer's scenarios end every fault at H and leave at least a few
// seconds of requests after H + B, with end_wait >= B so that the last ones
// have time to be answered.

#include <optional>

#include "simulator/report.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

// When the last fault ends, in µs from the start of the run (0 when the
// scenario has no event).
Micros HealTime(const Scenario& scenario);

// Whether the events leave the network healed: no partition or one-way cut,
// duplication, reordering or open-ended latency spike still on, and the
// drop rate back to at most the scenario's base rate. Liveness is judged
// only then (a shrunk scenario that lost its heal events is not).
bool EndsHealed(const Scenario& scenario);

// nullopt when the scenario sets no bound, when it does not end healed,
// when a majority is dead, or when
// every judged request was answered in time. Otherwise a finding naming the
// first late request.
std::optional<SafetyFinding> CheckLiveness(const Scenario& scenario,
                                           const RunResult& run);

// How close the run came to the bound: the longest a judged request waited
// for its ok answer, up to the bound (one answered late or never counts as
// the bound: it failed, whatever its wait). nullopt when nothing is
// judged. Failures are rare, so a change that brings runs closer to the
// bound shows in these waits long before it shows in failures.
std::optional<Micros> LongestJudgedWait(const Scenario& scenario,
                                        const RunResult& run);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_LIVENESS_H_

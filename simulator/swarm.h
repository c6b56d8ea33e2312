#ifndef STEPWISE_SIMULATOR_SWARM_H_
#define STEPWISE_SIMULATOR_SWARM_H_

// Swarm testing: one number makes one whole scenario. Each seed picks the
// cluster size (3 to 9), the base drop rate (0 to 40%), a latency model,
// the request rate and read mix, and a random subset of the fault kinds,
// then schedules faults of those kinds only (swarm testing: leaving kinds
// out lets the others reach states a mix of everything drowns). Every fault
// ends by the heal time, after which a majority lives and the cluster is
// judged on liveness (simulator/liveness.h).

#include <cstdint>

#include "simulator/scenario.h"

namespace stepwise::sim {

// Seconds a healed cluster with a living majority gets to answer requests
// again. Our timeouts: an election takes 0.6-1.2 s of silence plus a
// PreVote and a vote round, retried on split votes and under 40% drops;
// a request held by a deposed leader waits up to 1.5 s before it is
// redirected. 8 s covers several failed election rounds at the worst drop
// rate and still catches a cluster that never recovers.
inline constexpr double kSwarmLivenessBound = 8;

// The scenario for `seed`; its `seed` field is `seed`, so the file replays
// as is with the plain simulator.
Scenario GenerateSwarmScenario(uint64_t seed);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_SWARM_H_

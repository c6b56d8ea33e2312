#ifndef STEPWISE_SIMULATOR_LIVE_LIVE_RUN_H_
#define STEPWISE_SIMULATOR_LIVE_LIVE_RUN_H_

// Live mode: the scenario against real 3700kvstore processes over UDP on
// 127.0.0.1, in real time, with this program as the hub, exactly as the
// harness runs them. The hub rules, the clients, the faults and the scoring
// are the very classes the virtual-time simulation uses.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "simulator/report.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

// `binary`: the replica executable; empty means the runfiles copy of
// //replica:3700kvstore next to `argv0`. nullopt (and `error`) when the run
// could not even start.
std::optional<RunResult> RunLive(const Scenario& scenario, uint64_t seed,
                                 const std::string& binary,
                                 const std::string& argv0, std::ostream* trace,
                                 std::string* error);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_LIVE_LIVE_RUN_H_

#ifndef STEPWISE_SIMULATOR_SCENARIO_WRITER_H_
#define STEPWISE_SIMULATOR_SCENARIO_WRITER_H_

// The inverse of ParseScenario: a scenario as a file that parses back to
// the same scenario. The fuzzer prints its generated and shrunk scenarios
// this way, so that a failure replays with the plain simulator.

#include <string>

#include "simulator/scenario.h"

namespace stepwise::sim {

// Pretty JSON, one event per line, fields in a fixed order.
std::string FormatScenario(const Scenario& scenario);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_SCENARIO_WRITER_H_

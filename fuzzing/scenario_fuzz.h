#ifndef STEPWISE_FUZZING_SCENARIO_FUZZ_H_
#define STEPWISE_FUZZING_SCENARIO_FUZZ_H_

#include <cstddef>
#include <cstdint>

namespace stepwise::fuzzing {

// One fuzz input for the scenario parser (simulator/scenario.h). Aborts
// when a promise of ParseScenario fails: no exception escapes; an error is
// one line that starts with the path; text that is not JSON never parses; a
// parsed scenario has every value in its documented range and its events
// are the input's events, stably sorted by time. Returns 0.
int FuzzScenario(const uint8_t* data, size_t size);

}  // namespace stepwise::fuzzing

#endif  // STEPWISE_FUZZING_SCENARIO_FUZZ_H_

// libFuzzer entry point for the scenario parser; built by run_fuzzer.sh with
// clang.
#include <cstddef>
#include <cstdint>

#include "fuzzing/scenario_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return stepwise::fuzzing::FuzzScenario(data, size);
}

// libFuzzer entry point for the codec; built by run_fuzzer.sh with clang.
#include <cstddef>
#include <cstdint>

#include "fuzzing/codec_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return stepwise::fuzzing::FuzzCodec(data, size);
}

#ifndef STEPWISE_FUZZING_CODEC_FUZZ_H_
#define STEPWISE_FUZZING_CODEC_FUZZ_H_

#include <cstddef>
#include <cstdint>

namespace stepwise::fuzzing {

// One fuzz input for the message codec (replica/codec.h). Aborts, so that
// libFuzzer and the replay test both see a crash, when a property fails:
//   - DecodeMessage classifies every input, with a detail iff it failed;
//   - whatever decodes re-encodes to something that decodes to the same
//     message, and encoding that again gives the same bytes;
//   - a message built from the bytes encodes to JSON that decodes back to
//     it (strings that are not UTF-8 come back replaced, not dropped).
// Returns 0, as libFuzzer wants.
int FuzzCodec(const uint8_t* data, size_t size);

}  // namespace stepwise::fuzzing

#endif  // STEPWISE_FUZZING_CODEC_FUZZ_H_

#ifndef STEPWISE_FUZZING_PROPERTY_H_
#define STEPWISE_FUZZING_PROPERTY_H_

#include <string>
#include <string_view>

namespace stepwise::fuzzing {

// Reports a broken property on stderr and aborts: an abort is what libFuzzer
// records as a crash (with the input saved) and what fails the replay test.
[[noreturn]] void Violated(std::string_view target, std::string_view property,
                           std::string_view detail);

// `text` with control bytes and non-ASCII bytes as \xNN, cut to `max` bytes,
// so that a report stays one readable line whatever the input was.
std::string Printable(std::string_view text, size_t max = 200);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. JSON text is UTF-8, and the JSON library draws the line in the
// same place, so a string that passes must survive a round trip byte for byte.
bool IsValidUtf8(std::string_view s);

}  // namespace stepwise::fuzzing

#endif  // STEPWISE_FUZZING_PROPERTY_H_

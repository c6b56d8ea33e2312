#ifndef STEPWISE_SIMULATOR_CLI_UTIL_H_
#define STEPWISE_SIMULATOR_CLI_UTIL_H_

// Small pieces the simulator's command lines share.

#include <cstdint>
#include <string>
#include <string_view>

namespace stepwise::sim {

// `bazel run` changes the working directory; paths on the command line are
// meant relative to where the user typed it ($BUILD_WORKING_DIRECTORY).
std::string ResolveUserPath(const std::string& path);

// A decimal integer that fits in 64 bits, nothing else.
bool ParseUint64(std::string_view text, uint64_t* out);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_CLI_UTIL_H_

#ifndef STEPWISE_REPLICA_SHIM_FLAGS_H_
#define STEPWISE_REPLICA_SHIM_FLAGS_H_

// The command line of the UDP shim, parsed by hand so that every mistake
// gets one line naming the argument and no exception can escape:
//
//   3700kvstore <port> <id> <id of another replica> [...] [--verbose]
//               [--seed=N]
//
// Flags may appear anywhere among the positional arguments.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "replica/types.h"

namespace stepwise {

struct ShimFlags {
  uint16_t port = 0;  // the harness's UDP port on 127.0.0.1
  NodeId id = kNoNode;
  std::vector<NodeId> peers;  // in command-line order
  bool verbose = false;
  std::optional<uint64_t> seed;  // unset: the shim picks one at start
};

// Parses the arguments after the program name. On failure returns false and
// sets `error` to one line (no newline) naming the offending argument.
bool ParseShimFlags(const std::vector<std::string>& args, ShimFlags* flags,
                    std::string* error);

// The exit code for a bad command line.
inline constexpr int kBadUsageExitCode = 2;

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_SHIM_FLAGS_H_

#ifndef STEPWISE_REPLICA_TYPES_H_
#define STEPWISE_REPLICA_TYPES_H_

#include <cstdint>
#include <string>

namespace stepwise {

// A replica or client address: the harness's 4-character hex id, as a number.
using NodeId = uint16_t;

// "FFFF": broadcast as a destination, "no known leader" as a leader belief.
inline constexpr NodeId kNoNode = 0xFFFF;

// Time as the driver tells it, in microseconds on a monotonic clock. The core
// never reads a clock; it only compares the times it is given.
using Micros = int64_t;

inline constexpr Micros kMillis = 1000;
inline constexpr Micros kSeconds = 1000 * kMillis;
// Deadline meaning "never wake me for this".
inline constexpr Micros kNever = INT64_MAX;

using Term = uint64_t;
using LogIndex = uint64_t;

// "0A1F" <-> 0x0A1F. Parsing accepts exactly four hex digits (either case).
std::string FormatNodeId(NodeId id);
bool ParseNodeId(const std::string& text, NodeId* id);

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_TYPES_H_

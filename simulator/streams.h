#ifndef STEPWISE_SIMULATOR_STREAMS_H_
#define STEPWISE_SIMULATOR_STREAMS_H_

// Every random choice of a run comes from the scenario seed through a named
// stream, one per concern, so that adding a fault or changing a drop rate
// does not reshuffle the request schedule, the keys or the replicas' timers.

#include <cstdint>
#include <string_view>

#include "replica/rng.h"

namespace stepwise::sim {

// FNV-1a: a fixed, platform-independent label hash.
constexpr uint64_t StreamLabel(std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

inline uint64_t StreamSeed(uint64_t seed, std::string_view name) {
  return Rng::Derive(seed, StreamLabel(name));
}

inline Rng Stream(uint64_t seed, std::string_view name) {
  return Rng(StreamSeed(seed, name));
}

// The stream names, in one place.
namespace streams {
inline constexpr std::string_view kSchedule = "schedule";  // get/put mix
inline constexpr std::string_view kKeys = "keys";          // keys, values, MIDs
inline constexpr std::string_view kClients = "clients";    // target choice
inline constexpr std::string_view kDrops = "drops";
inline constexpr std::string_view kPartition = "partition";  // membership
inline constexpr std::string_view kKill = "kill";            // kill_non_leader
inline constexpr std::string_view kLatency = "latency";      // hop jitter
inline constexpr std::string_view kDuplicate = "duplicate";
inline constexpr std::string_view kReorder = "reorder";
// Replica i's seed: "replica/" + its id ("replica/0003").
inline constexpr std::string_view kReplicaPrefix = "replica/";
}  // namespace streams

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_STREAMS_H_

#ifndef STEPWISE_SIMULATOR_SCENARIO_H_
#define STEPWISE_SIMULATOR_SCENARIO_H_

// A scenario: the course's config format unchanged (every graded config runs
// as is) plus optional fields of our own: `seed`, `latency`, `description`
// and extra event types. Parsing is strict: an unknown field or a bad value
// is an error naming the field, e.g.
//   scenario.json: events[2].time: expected a number >= 0

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replica/types.h"

namespace stepwise::sim {

// The timing model (README.md, "Latency model"). Every datagram passes
// through the hub, a single serial server, as in the harness (one Python
// thread). Defaults reproduce the medians measured against the harness.
struct LatencyModel {
  Micros hop_us = 15;         // one way, process to process, every datagram
  Micros hop_jitter_us = 10;  // plus uniform [0, jitter] per hop
  Micros hub_us = 120;  // hub work per datagram it receives from a replica
  Micros client_send_us = 180;  // hub work to make and send one client request
  Micros replica_us = 10;       // replica work per datagram or timer
  Micros start_stagger_us = 1000;  // replica i is started at i * stagger
};

enum class FaultType {
  // The harness's own.
  kKillLeader,
  kKillNonLeader,
  kPartEasy,
  kPartHard,
  kPartEnd,
  // Ours.
  kKill,       // a named replica
  kPartition,  // explicit groups
  kOneWay,     // from -> to dropped, the other way delivered
  kDrops,      // changes the drop probability
  kDuplicate,  // each replica copy delivered twice with a probability
  kDuplicateEnd,
  kReorder,  // extra uniform delay per replica copy
  kReorderEnd,
  kLatencySpike,  // extra fixed delay per replica copy, for a while
  kLatencySpikeEnd,
};
const char* FaultTypeName(FaultType type);

struct FaultEvent {
  FaultType type = FaultType::kPartEnd;
  double time = 0;                          // seconds after start_wait
  NodeId replica = kNoNode;                 // kill
  std::vector<std::vector<NodeId>> groups;  // partition
  std::vector<NodeId> from, to;             // one_way
  double probability = 0;                   // drops, duplicate
  Micros max_extra_us = 0;                  // reorder
  Micros extra_us = 0;                      // latency_spike
  std::optional<double> duration;           // latency_spike, seconds
};

// A metric's three thresholds [bonus, full, partial].
struct Tiers {
  double bonus = 0, full = 0, partial = 0;
};

struct Scenario {
  std::string path;  // as given, for messages and the replay command
  std::string description;

  double lifetime = 30;  // seconds of requests
  int replicas = 5;
  int requests = 0;
  double mix = 0.8;  // fraction of gets
  double drops = 0;
  double start_wait = 5;  // seconds before the first request
  double end_wait = 2;    // seconds after the last request
  int64_t max_packets = 20000;
  std::optional<uint64_t> seed;
  // When set, the cluster must recover after the last event: every request
  // first sent at least this many seconds after it must be answered ok
  // within this many seconds (simulator/liveness.h).
  std::optional<double> liveness_bound;
  LatencyModel latency;
  std::vector<FaultEvent> events;  // sorted by time (stable)

  Tiers total_msgs, failures, duplicates, median_latency;
  double max_get_fail_fraction = 0.5;
  double max_put_fail_fraction = 0.5;
  double max_get_generation_fail_fraction = 0.1;

  Micros start_wait_us() const { return ToMicros(start_wait); }
  // Requests are spread over [start_wait, start_wait + lifetime], then the
  // run goes on for end_wait: 5 + 30 + 2 = 37 s for a course config.
  Micros requests_end_us() const { return ToMicros(start_wait + lifetime); }
  Micros run_end_us() const {
    return ToMicros(start_wait + lifetime + end_wait);
  }
  Micros EventTimeUs(const FaultEvent& e) const {
    return ToMicros(start_wait + e.time);
  }
  static Micros ToMicros(double seconds) {
    return static_cast<Micros>(seconds * 1e6 + 0.5);
  }
};

struct ParseResult {
  bool ok = false;
  std::string error;  // one line: "<path>: <field>: <what was expected>"
  Scenario scenario;
};

// `path` names the scenario in errors; nothing is read from it.
ParseResult ParseScenario(std::string_view text, const std::string& path);
// Reads and parses a file.
ParseResult LoadScenario(const std::string& path);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_SCENARIO_H_

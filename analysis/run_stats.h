#ifndef STEPWISE_ANALYSIS_RUN_STATS_H_
#define STEPWISE_ANALYSIS_RUN_STATS_H_

// What a report shows about one run, computed from its trace events:
// latency percentiles, reply counts, message rates, and the timeline of
// roles, leaders, kills, partitions and drops.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/trace_reader.h"

namespace stepwise::analysis {

// Nearest-rank percentiles: the p-th percentile of n values is the value of
// rank ceil(p / 100 * n) in ascending order (1-based), so it is always one of
// the values, and p100 is the maximum. All zero when there are no values.
struct Percentiles {
  int64_t count = 0;
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  int64_t max = 0;
};

// `sorted` ascending and non-empty; 0 < p <= 100.
int64_t NearestRank(const std::vector<int64_t>& sorted, double p);
Percentiles ComputePercentiles(std::vector<int64_t> values);

enum class Outcome { kOk, kRedirect, kFail, kUnanswered };
const char* OutcomeName(Outcome outcome);

// One client request (a retry is a request of its own, with a new MID).
struct RequestRecord {
  int64_t sent = 0;
  Node client = kNone;
  Node dst = kNone;
  bool is_get = false;
  bool retry = false;
  std::string mid;
  Outcome outcome = Outcome::kUnanswered;  // from its first reply
  int64_t latency_us = -1;                 // -1: unanswered
  bool lost = false;  // sent to a dead replica (request_lost)
};

// A replica's role over [start, end). Besides the replica's own roles,
// "down" is before it started and "dead" after it was killed or crashed.
struct RoleInterval {
  int64_t start = 0;
  int64_t end = 0;
  std::string role;
  int64_t term = 0;
};

struct LeaderElected {
  int64_t t = 0;
  Node replica = kNone;
  int64_t term = 0;
};

struct KillRecord {
  int64_t t = 0;
  Node replica = kNone;
  std::string how;  // the fault's kind, or "crash" (the replica threw)
};

struct PartitionPeriod {
  int64_t start = 0;
  int64_t end = 0;
  std::string kind;                      // part_easy, part_hard, partition
  std::vector<std::vector<Node>> sides;  // sides[0] is the majority side
};

// Consecutive whole seconds in which the hub dropped copies at random.
struct DropPeriod {
  int64_t start = 0;
  int64_t end = 0;
  int64_t dropped = 0;
  int64_t routed = 0;  // every copy routed in the period
};

struct FaultRecord {
  int64_t t = 0;
  std::string kind;
  std::string note;
};

struct RunStats {
  // From the run event (has_run false if the trace had none).
  bool has_run = false;
  bool live = false;  // a live-mode run: real processes, real time
  std::string scenario;
  int64_t seed = 0;
  int replicas = 0;               // lanes: the run's count, else started
  int64_t requests_planned = -1;  // -1: not in the trace (live mode)

  // From the end event (has_end false: the trace stops early). When it has
  // no unanswered counts (live mode), they are counted from the requests.
  bool has_end = false;
  bool storm = false;
  int64_t total_messages = 0;
  int64_t unanswered_gets = 0;
  int64_t unanswered_puts = 0;
  int64_t end_t = 0;  // the end event's time, else the last event's

  std::vector<RequestRecord> requests;      // in the order they were sent
  std::map<std::string, int64_t> verdicts;  // reply verdict -> replies
  std::map<std::string, int64_t> outcomes;  // request outcome -> requests
  int64_t gets_not_generated = 0;
  int64_t incorrect = 0;  // hub "incorrect" events (malformed messages)

  // Latency of every reply that answered a request first (ok, redirect or
  // fail: the harness's median counts them all), by the request's type.
  std::vector<int64_t> get_latencies;  // ascending
  std::vector<int64_t> put_latencies;  // ascending
  Percentiles get_latency;
  Percentiles put_latency;
  Percentiles all_latency;

  // Routed replica-to-replica copies (what the harness counts), per whole
  // second of virtual time, by message type.
  int64_t seconds = 0;  // number of one-second bins
  std::map<std::string, std::vector<int64_t>> messages_per_second;
  std::map<std::string, int64_t> fates;  // delivered, dropped, partition ...

  // A live trace has no role events (the replicas are other processes):
  // roles are then inferred from what each replica sends (roles_inferred):
  // a vote means candidate (precandidate for a pre-vote), a message naming
  // itself leader means leader, anything else follower, at the message's
  // term.
  bool roles_inferred = false;
  std::vector<std::vector<RoleInterval>> roles;  // [replica]
  std::vector<LeaderElected> elections;
  std::vector<KillRecord> kills;
  std::vector<PartitionPeriod> partitions;
  std::vector<DropPeriod> drop_periods;
  std::vector<FaultRecord> faults;
};

// Builds RunStats one event at a time, in trace order, so that a large
// trace need not be held in memory.
class RunStatsBuilder {
 public:
  RunStatsBuilder();
  ~RunStatsBuilder();
  RunStatsBuilder(const RunStatsBuilder&) = delete;
  RunStatsBuilder& operator=(const RunStatsBuilder&) = delete;

  void Add(const TraceEvent& event);
  // Call once, after the last event.
  RunStats Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// `events` as ReadTrace returns them (time-ordered).
RunStats ComputeRunStats(const std::vector<TraceEvent>& events);

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_RUN_STATS_H_

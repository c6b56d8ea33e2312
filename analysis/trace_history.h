#ifndef STEPWISE_ANALYSIS_TRACE_HISTORY_H_
#define STEPWISE_ANALYSIS_TRACE_HISTORY_H_

// The clients' view of a run, as a History for the linearizability checker
// (analysis/history.h), from a trace's request and reply events. Each MID
// sent is one operation; a retry after a redirect or fail is a new one.
// What is kept follows history.h: ok puts, puts with an unknown outcome
// (fail, redirect, no reply), ok gets with the value they returned. Gets
// without an ok, and requests the hub could not deliver (request_lost: the
// replica was dead, so they cannot have taken effect), are left out.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/history.h"
#include "analysis/trace_reader.h"

namespace stepwise::analysis {

struct TraceHistory {
  History history;
  // The MID of every request, by operation id. Ids number the trace's
  // request events from 0 in order, as RunStats::requests does, so an id
  // names the same request in both.
  std::vector<std::string> mids;
  int64_t end_t = 0;  // the last event's time
  int64_t puts_ok = 0;
  int64_t puts_unknown = 0;
  int64_t gets_ok = 0;
  int64_t gets_left_out = 0;  // no ok
  int64_t lost = 0;           // request_lost
};

// Built one event at a time, in trace order.
class TraceHistoryBuilder {
 public:
  void Add(const TraceEvent& event);
  // Call once, after the last event.
  TraceHistory Finish();

 private:
  struct Pending {
    Operation op;
    bool answered = false;
    bool lost = false;
  };
  TraceHistory h_;
  std::vector<Pending> ops_;  // by id
  std::unordered_map<std::string, size_t> by_mid_;
};

TraceHistory BuildTraceHistory(const std::vector<TraceEvent>& events);

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_TRACE_HISTORY_H_

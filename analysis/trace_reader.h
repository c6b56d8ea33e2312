#ifndef STEPWISE_ANALYSIS_TRACE_READER_H_
#define STEPWISE_ANALYSIS_TRACE_READER_H_

// Reads a simulator trace (simulator/trace.h: one JSON object per line) into
// typed events. Every line is checked against the fields its event kind is
// written with, so a report built from the events can trust them; a bad
// line gives an error naming the file and the line, never an exception.
// Live-mode traces (simulator --live) are read too: they have no replica
// internals (role, commit, timer, deliver), a run event without `replicas`
// and `requests`, an end event without the unanswered counts, and
// `incorrect` events about undecodable datagrams carry no message.

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace stepwise::analysis {

// Node ids as in the trace: 4 hex digits; 0xFFFF is "none"/broadcast.
using Node = int;
inline constexpr Node kNone = 0xFFFF;

enum class EventKind {
  kRun,
  kStart,
  kHello,
  kTimer,
  kRequest,
  kRequestLost,
  kGetNotGenerated,
  kReply,
  kIncorrect,
  kRoute,
  kLost,
  kDeliver,
  kStorm,
  kRole,
  kLeader,
  kCommit,
  kCrash,
  kViolation,  // a safety checker stopped the run
  kFault,
  kEnd,
};

const char* EventKindName(EventKind kind);

// The fields of a message as the trace writes them (Trace::Line::Msg). Only
// those the analysis uses are kept; the others are still type-checked.
struct TracedMessage {
  Node src = kNone;
  Node dst = kNone;
  Node leader = kNone;
  std::string type;   // "get", "put", "ok", "vote", "append", ...
  std::string mid;    // client requests and replies only
  std::string key;    // get and put requests
  std::string value;  // put requests; ok replies that carry one
  bool has_value = false;
  int64_t term = -1;      // replica-to-replica messages only
  bool pre_vote = false;  // vote, vote_reply
};

// One line of the trace. Which fields are meaningful depends on `kind`
// (see the comments); the reader guarantees they were present and typed.
struct TraceEvent {
  int line = 0;   // 1-based line in the file
  int64_t t = 0;  // virtual microseconds
  EventKind kind = EventKind::kRun;

  // request, request_lost, reply, incorrect, route, lost, deliver. An
  // incorrect event may have none (has_msg false): live mode's undecodable
  // datagrams.
  TracedMessage msg;
  bool has_msg = false;
  bool retry = false;      // request
  std::string verdict;     // reply: ok, redirect, fail, duplicate, ...
  int64_t latency_us = 0;  // reply
  std::string why;         // incorrect, lost
  Node to = kNone;         // route
  std::string fate;        // route: delivered, dropped, partition, ...
  bool duplicate = false;  // route
  int64_t request = 0;     // get_not_generated

  // start, hello, timer, role, leader, commit, crash.
  Node replica = kNone;
  std::string role;     // role
  int64_t term = 0;     // role
  Node leader = kNone;  // leader
  int64_t index = 0;    // commit
  std::string what;     // crash

  // fault.
  std::string fault_kind;
  std::vector<Node> killed;
  std::vector<std::vector<Node>> sides;  // a new partition's sides
  std::optional<double> probability;     // drops, if the trace records it
  std::string note;

  // run. replicas and requests are -1 when absent (live mode); binary is
  // set in live mode only (the replica executable).
  std::string scenario;
  int64_t seed = 0;
  int64_t replicas = -1;
  int64_t requests = -1;
  std::string binary;

  // end (and storm: total_messages). The unanswered counts are -1 when
  // absent (live mode).
  bool storm = false;
  int64_t total_messages = 0;
  int64_t unanswered_gets = -1;
  int64_t unanswered_puts = -1;
};

struct ReadResult {
  std::vector<TraceEvent> events;
  std::string error;  // "name:line: what", empty on success
  bool ok() const { return error.empty(); }
};

// `name` is used in error messages only.
ReadResult ReadTrace(std::istream& in, const std::string& name);
ReadResult ReadTraceFile(const std::string& path);

// The same, one event at a time, without holding the trace in memory (a
// 100,000-request run has millions of lines). `visit` sees each event as
// soon as its line was read and checked, so when an error comes it has
// seen the events before it. Returns ReadResult::error's text, "" on
// success.
std::string ForEachTraceEvent(
    std::istream& in, const std::string& name,
    const std::function<void(const TraceEvent&)>& visit);

// Parses one line (without its newline). Returns an error message without
// the "name:line: " prefix, empty on success.
std::string ParseTraceLine(const std::string& text, TraceEvent* event);

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_TRACE_READER_H_

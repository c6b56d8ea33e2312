#ifndef STEPWISE_SIMULATOR_TRACE_H_
#define STEPWISE_SIMULATOR_TRACE_H_

// The trace: one JSON object per line for every event of a run (hub
// routing, deliveries, drops, timers, role/term/commit changes, client
// requests and replies, faults). Lines are formatted here by hand, in a
// fixed field order, so the same scenario and seed give the same bytes.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "replica/messages.h"
#include "replica/types.h"

namespace stepwise::sim {

class Trace {
 public:
  // `out` may be null: tracing off, and every call is cheap.
  explicit Trace(std::ostream* out) : out_(out) {}
  ~Trace() { Flush(); }
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  bool enabled() const { return out_ != nullptr; }
  void Flush();

  // Builds one line; written when it goes out of scope.
  class Line {
   public:
    Line(Trace* trace, Micros t, std::string_view event);
    ~Line();
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;

    Line& Str(std::string_view key, std::string_view value);
    Line& Int(std::string_view key, int64_t value);
    Line& Id(std::string_view key, NodeId id);
    Line& Bool(std::string_view key, bool value);
    // src, dst, leader, type and the body's fields.
    Line& Msg(const Message& m);

   private:
    void Key(std::string_view key);
    Trace* trace_;  // null: disabled
  };

  Line Event(Micros t, std::string_view event) {
    return Line(enabled() ? this : nullptr, t, event);
  }

 private:
  std::ostream* out_;
  std::string buffer_;
};

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_TRACE_H_

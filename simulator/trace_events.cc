#include "simulator/trace_events.h"

namespace stepwise::sim {

void TraceRoute(Trace& trace, Micros now, const Message& m, const Copy& copy) {
  trace.Event(now, "route")
      .Msg(m)
      .Id("to", copy.dst)
      .Str("fate", CopyFateName(copy.fate))
      .Bool("duplicate", copy.duplicate)
      .Int("extra_us", copy.extra_delay);
}

void TraceReply(Trace& trace, Micros now, const Message& m,
                const ReplyOutcome& out) {
  trace.Event(now, "reply")
      .Msg(m)
      .Str("verdict", VerdictName(out.verdict))
      .Int("latency_us", out.latency);
}

}  // namespace stepwise::sim

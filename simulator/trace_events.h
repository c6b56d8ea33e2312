#ifndef STEPWISE_SIMULATOR_TRACE_EVENTS_H_
#define STEPWISE_SIMULATOR_TRACE_EVENTS_H_

// The trace lines that the virtual-time and the live hub both write, in one
// place so that both modes' traces keep one format.

#include "replica/messages.h"
#include "replica/types.h"
#include "simulator/clients.h"
#include "simulator/hub.h"
#include "simulator/trace.h"

namespace stepwise::sim {

// One copy of a replica message and what the hub did with it.
void TraceRoute(Trace& trace, Micros now, const Message& m, const Copy& copy);

// A reply reaching its client, with the client's verdict on it.
void TraceReply(Trace& trace, Micros now, const Message& m,
                const ReplyOutcome& out);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_TRACE_EVENTS_H_

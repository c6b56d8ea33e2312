#include "simulator/simulation.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>
#include <variant>

#include "simulator/ids.h"
#include "simulator/streams.h"
#include "simulator/trace_events.h"

namespace stepwise::sim {

Simulation::Simulation(const Scenario& scenario, uint64_t seed,
                       NodeFactory factory, std::ostream* trace,
                       StepObserver* observer)
    : scenario_(scenario),
      seed_(seed),
      factory_(std::move(factory)),
      observer_(observer),
      trace_(trace),
      hub_(scenario, seed),
      clients_(scenario, seed),
      faults_(scenario, seed),
      latency_rng_(Stream(seed, streams::kLatency)),
      slots_(scenario.replicas) {}

Micros Simulation::Hop() {
  const LatencyModel& m = scenario_.latency;
  Micros jitter =
      m.hop_jitter_us > 0 ? latency_rng_.Uniform(0, m.hop_jitter_us) : 0;
  return m.hop_us + jitter;
}

RunResult Simulation::Run() {
  const int n = scenario_.replicas;
  trace_.Event(0, "run")
      .Str("scenario", scenario_.path)
      .Int("seed", static_cast<int64_t>(seed_))
      .Int("replicas", n)
      .Int("requests", scenario_.requests);
  for (int i = 0; i < n; ++i) {
    NodeId id = static_cast<NodeId>(i);
    queue_.At(i * scenario_.latency.start_stagger_us,
              [this, id] { StartReplica(id); });
  }
  // A fault and a request due at the same instant: the fault first, as the
  // live hub's loop takes them (live/live_run.cc), so that both modes agree.
  // The queue breaks ties in the order things were scheduled.
  for (const FaultEvent& e : faults_.timeline()) {
    queue_.At(scenario_.EventTimeUs(e), [this, &e] { ApplyFault(e); });
  }
  for (int k = 0; k < clients_.num_requests(); ++k) {
    queue_.At(clients_.due(k), [this, k] {
      HubArrive(HubJob{HubJob::Kind::kRequest, kNoNode, k, {}});
    });
  }
  const Micros end = scenario_.run_end_us();
  queue_.RunUntil(end);
  clients_.Finish();
  trace_.Event(queue_.now(), "end")
      .Bool("storm", storm_)
      .Int("total_messages", hub_.total_messages())
      .Int("unanswered_gets", clients_.stats().unanswered_gets)
      .Int("unanswered_puts", clients_.stats().unanswered_puts);
  trace_.Flush();

  RunResult r = CollectRunResult(hub_, clients_);
  r.seed = seed_;
  r.end_time = queue_.now();
  r.storm = storm_;
  r.notes = notes_;
  r.raft_checked = observer_ != nullptr;
  r.safety = findings_;
  return r;
}

void Simulation::StartReplica(NodeId id) {
  Slot& slot = slots_[id];
  if (!hub_.alive(id)) return;  // killed before it was even started
  NodeSpec spec;
  spec.id = id;
  for (int i = 0; i < scenario_.replicas; ++i) {
    if (i != id) spec.peers.push_back(static_cast<NodeId>(i));
  }
  spec.seed = StreamSeed(
      seed_, std::string(streams::kReplicaPrefix) + FormatNodeId(id));
  const Micros now = queue_.now();
  trace_.Event(now, "start").Id("replica", id);
  try {
    slot.node = factory_(spec, now);
  } catch (const std::exception& e) {
    Crash(id, e.what());
    return;
  }
  slot.running = true;
  slot.view = slot.node->View();
  AfterStep(id, now);
}

void Simulation::Emit(NodeId from, std::vector<Message> messages, Micros at) {
  Slot& slot = slots_[from];
  for (Message& m : messages) {
    // Datagrams from one socket reach the hub in the order they were sent.
    Micros arrive = std::max(at + Hop(), slot.last_in);
    slot.last_in = arrive;
    queue_.At(arrive, [this, from, m = std::move(m)]() mutable {
      HubArrive(HubJob{HubJob::Kind::kFromReplica, from, -1, std::move(m)});
    });
  }
}

void Simulation::HubArrive(HubJob job) {
  hub_queue_.push_back(std::move(job));
  if (!hub_busy_) HubStartNext();
}

void Simulation::HubStartNext() {
  while (!hub_queue_.empty()) {
    HubJob job = std::move(hub_queue_.front());
    hub_queue_.pop_front();
    const Micros now = queue_.now();
    Micros cost = scenario_.latency.hub_us;
    if (job.kind == HubJob::Kind::kRequest) {
      // The harness makes the request when it gets to it: the latency
      // clock starts now, before its own work to send it.
      std::optional<Message> m = clients_.Generate(job.request, now, hub_);
      if (!m) {
        trace_.Event(now, "get_not_generated").Int("request", job.request);
        continue;
      }
      job.message = std::move(*m);
      trace_.Event(now, "request").Msg(job.message).Bool("retry", false);
      cost = scenario_.latency.client_send_us;
    } else if (job.kind == HubJob::Kind::kResend) {
      cost = scenario_.latency.client_send_us;
    }
    hub_busy_ = true;
    queue_.After(cost, [this, job = std::move(job)]() mutable {
      HubFinish(std::move(job));
    });
    return;
  }
  hub_busy_ = false;
}

void Simulation::HubFinish(HubJob job) {
  const Micros now = queue_.now();
  if (job.kind == HubJob::Kind::kFromReplica) {
    RouteFromReplica(job);
  } else {
    // Client traffic: never dropped, never partitioned, not counted.
    NodeId target = job.message.dst;
    if (hub_.CanDeliverTo(target)) {
      DeliverTo(target, job.message, 0);
    } else {
      trace_.Event(now, "request_lost").Msg(job.message);
    }
  }
  if (storm_) return;
  HubStartNext();
}

void Simulation::RouteFromReplica(const HubJob& job) {
  const Micros now = queue_.now();
  const Message& m = job.message;
  Routing routing = hub_.Route(job.from, m);
  switch (routing.kind) {
    case Routing::Kind::kHello:
      trace_.Event(now, "hello").Id("replica", job.from);
      return;
    case Routing::Kind::kIncorrect:
      trace_.Event(now, "incorrect").Msg(m).Str("why", routing.why);
      return;
    case Routing::Kind::kClient: {
      ReplyOutcome out = clients_.OnReply(m, now, hub_);
      TraceReply(trace_, now, m, out);
      if (out.resend) {
        trace_.Event(now, "request").Msg(*out.resend).Bool("retry", true);
        // Re-sent at once, in the same turn of the harness's loop: ahead of
        // whatever else is waiting for the hub.
        hub_queue_.push_front(
            HubJob{HubJob::Kind::kResend, kNoNode, -1, std::move(*out.resend)});
      }
      return;
    }
    case Routing::Kind::kReplicas:
      break;
  }
  for (const Copy& copy : routing.copies) {
    TraceRoute(trace_, now, m, copy);
    if (copy.fate == CopyFate::kDelivered) {
      DeliverTo(copy.dst, m, copy.extra_delay);
    }
  }
  if (hub_.storm()) {
    storm_ = true;
    trace_.Event(now, "storm").Int("total_messages", hub_.total_messages());
    notes_.push_back("message storm: more than " +
                     std::to_string(scenario_.max_packets) +
                     " messages, run stopped early");
    queue_.Stop();
  }
}

void Simulation::DeliverTo(NodeId dst, const Message& m, Micros extra) {
  Slot& slot = slots_[dst];
  Micros arrive = std::max(queue_.now() + Hop(), slot.last_out);
  slot.last_out = arrive;
  queue_.At(arrive + extra, [this, dst, m] { ReplicaArrive(dst, m); });
}

void Simulation::ReplicaArrive(NodeId id, Message m) {
  Slot& slot = slots_[id];
  if (!slot.running) {
    trace_.Event(queue_.now(), "lost").Msg(m).Str("why", "replica dead");
    return;
  }
  slot.inbox.push_back(Job{false, std::move(m)});
  if (!slot.busy) ProcessNext(id);
}

void Simulation::Wake(NodeId id, uint64_t gen) {
  Slot& slot = slots_[id];
  if (!slot.running || gen != slot.wake_gen) return;  // stale
  slot.wake_at = kNever;
  slot.inbox.push_back(Job{true, {}});
  if (!slot.busy) ProcessNext(id);
}

void Simulation::ProcessNext(NodeId id) {
  Slot& slot = slots_[id];
  if (!slot.running || slot.inbox.empty()) {
    slot.busy = false;
    return;
  }
  Job job = std::move(slot.inbox.front());
  slot.inbox.pop_front();
  const Micros now = queue_.now();
  try {
    if (job.tick) {
      trace_.Event(now, "timer").Id("replica", id);
      slot.last_tick = now;
      slot.node->Tick(now);
    } else {
      trace_.Event(now, "deliver").Msg(job.message);
      slot.node->Step(job.message, now);
    }
  } catch (const std::exception& e) {
    Crash(id, e.what());
    return;
  }
  AfterStep(id, now);
  slot.busy = true;
  queue_.After(scenario_.latency.replica_us, [this, id] {
    slots_[id].busy = false;
    ProcessNext(id);
  });
}

// Collects a step's output and traces what changed in the replica.
void Simulation::AfterStep(NodeId id, Micros now) {
  Slot& slot = slots_[id];
  std::vector<Message> out;
  NodeView view;
  try {
    out = slot.node->TakeMessages();
    view = slot.node->View();
  } catch (const std::exception& e) {
    Crash(id, e.what());
    return;
  }
  if (trace_.enabled() && !(view == slot.view)) {
    if (view.role != slot.view.role || view.term != slot.view.term) {
      trace_.Event(now, "role")
          .Id("replica", id)
          .Str("role", view.role)
          .Int("term", static_cast<int64_t>(view.term));
    }
    if (view.leader != slot.view.leader) {
      trace_.Event(now, "leader").Id("replica", id).Id("leader", view.leader);
    }
    if (view.commit_index != slot.view.commit_index) {
      trace_.Event(now, "commit")
          .Id("replica", id)
          .Int("index", static_cast<int64_t>(view.commit_index));
    }
  }
  slot.view = view;
  if (observer_ != nullptr && findings_.empty()) {
    std::optional<SafetyFinding> finding =
        observer_->AfterStep(id, *slot.node, now);
    if (finding) {
      trace_.Event(now, "violation")
          .Id("replica", id)
          .Str("property", finding->property)
          .Str("detail", finding->detail);
      findings_.push_back(std::move(*finding));
      queue_.Stop();
    }
  }
  Emit(id, std::move(out), now + scenario_.latency.replica_us);
  UpdateWake(id, now);
}

void Simulation::UpdateWake(NodeId id, Micros now) {
  Slot& slot = slots_[id];
  Micros deadline;
  try {
    deadline = slot.node->NextDeadline();
  } catch (const std::exception& e) {
    Crash(id, e.what());
    return;
  }
  if (deadline == slot.wake_at) return;  // that wake-up is still pending
  slot.wake_at = deadline;
  const uint64_t gen = ++slot.wake_gen;  // any older wake-up is now stale
  if (deadline == kNever) return;
  Micros at = std::max(deadline, now);
  // A deadline already due right after a Tick at this very time would spin
  // forever without advancing the clock.
  if (at <= slot.last_tick) at = slot.last_tick + 1;
  queue_.At(at, [this, id, gen] { Wake(id, gen); });
}

void Simulation::Crash(NodeId id, const char* what) {
  trace_.Event(queue_.now(), "crash").Id("replica", id).Str("what", what);
  hub_.MarkDiedUnexpectedly(id, std::string("the replica threw: ") + what);
  StopReplica(id);
}

void Simulation::StopReplica(NodeId id) {
  Slot& slot = slots_[id];
  slot.running = false;
  slot.inbox.clear();
  ++slot.wake_gen;
  if (observer_ != nullptr) observer_->Stopped(id);
}

void Simulation::ApplyFault(const FaultEvent& e) {
  const Micros now = queue_.now();
  FaultOutcome out = faults_.Apply(e, hub_, clients_);
  Trace::Line line = trace_.Event(now, "fault");
  line.Str("kind", FaultTypeName(e.type));
  for (NodeId id : out.killed) {
    line.Id("killed", id);
    StopReplica(id);
  }
  for (size_t s = 0; s < out.sides.size(); ++s) {
    std::string ids;
    for (NodeId id : out.sides[s])
      ids += (ids.empty() ? "" : " ") + FormatNodeId(id);
    line.Str("side" + std::to_string(s), ids);
  }
  if (!out.note.empty()) {
    line.Str("note", out.note);
    char when[64];
    std::snprintf(when, sizeof(when), "at %.3f s: ", e.time);
    notes_.push_back(when + out.note);
  }
}

RunResult Simulate(const Scenario& scenario, uint64_t seed, NodeFactory factory,
                   std::ostream* trace, StepObserver* observer) {
  Simulation sim(scenario, seed, std::move(factory), trace, observer);
  return sim.Run();
}

}  // namespace stepwise::sim

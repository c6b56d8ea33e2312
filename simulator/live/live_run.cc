#include "simulator/live/live_run.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "replica/codec.h"
#include "replica/udp_transport.h"
#include "simulator/clients.h"
#include "simulator/faults.h"
#include "simulator/hub.h"
#include "simulator/live/process.h"
#include "simulator/trace.h"
#include "simulator/trace_events.h"

namespace stepwise::sim {
namespace {

using Clock = std::chrono::steady_clock;

bool Executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

// --binary, else //replica:3700kvstore in this program's runfiles.
std::string FindBinary(const std::string& binary, const std::string& argv0) {
  if (!binary.empty()) return binary;
  const char* kRel = "stepwise/replica/3700kvstore";
  std::vector<std::string> candidates;
  for (const char* env : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    const char* dir = std::getenv(env);
    if (dir != nullptr && *dir != '\0') {
      candidates.push_back(std::string(dir) + "/" + kRel);
    }
  }
  candidates.push_back(argv0 + ".runfiles/" + kRel);
  candidates.push_back("replica/3700kvstore");  // bazel run's working dir
  for (const std::string& c : candidates) {
    if (Executable(c)) return c;
  }
  return "";
}

std::string LogDir() {
  const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (out != nullptr && *out != '\0') return out;
  char tmpl[] = "/tmp/stepwise-live-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  return dir != nullptr ? dir : "/tmp";
}

// The live hub: the harness's loop, with our rules classes.
class LiveRun {
 public:
  LiveRun(const Scenario& scenario, uint64_t seed, std::ostream* trace)
      : scenario_(scenario),
        seed_(seed),
        trace_(trace),
        hub_(scenario, seed),
        clients_(scenario, seed),
        faults_(scenario, seed),
        processes_(scenario.replicas),
        port_of_(scenario.replicas, 0) {}

  std::optional<RunResult> Run(const std::string& binary, std::string* error) {
    if (!socket_.Open(0, error)) return std::nullopt;
    const std::string logs = LogDir();
    start_ = Clock::now();
    trace_.Event(0, "run")
        .Str("scenario", scenario_.path)
        .Int("seed", static_cast<int64_t>(seed_))
        .Str("binary", binary)
        .Str("logs", logs);
    const int n = scenario_.replicas;
    for (int i = 0; i < n; ++i) {
      // The harness's command line: port, own id, the other ids.
      std::vector<std::string> argv = {binary,
                                       std::to_string(socket_.local_port()),
                                       FormatNodeId(static_cast<NodeId>(i))};
      for (int j = 0; j < n; ++j) {
        if (j != i) argv.push_back(FormatNodeId(static_cast<NodeId>(j)));
      }
      std::string log =
          logs + "/replica-" + FormatNodeId(static_cast<NodeId>(i)) + ".log";
      if (!processes_[i].Start(argv, log, error)) {
        StopAll();
        return std::nullopt;
      }
      trace_.Event(Now(), "start").Id("replica", static_cast<NodeId>(i));
    }
    Loop();
    StopAll();
    clients_.Finish();
    trace_.Event(Now(), "end")
        .Bool("storm", storm_)
        .Int("total_messages", hub_.total_messages());
    trace_.Flush();

    RunResult r = CollectRunResult(hub_, clients_);
    r.seed = seed_;
    r.live = true;
    r.end_time = Now();
    r.storm = storm_;
    // Datagrams this hub could not even decode come first, as before.
    r.hub_incorrect.insert(r.hub_incorrect.begin(), incorrect_.begin(),
                           incorrect_.end());
    r.notes = notes_;
    return r;
  }

 private:
  Micros Now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                                 start_)
        .count();
  }

  void Loop() {
    const Micros end = scenario_.run_end_us();
    const std::vector<FaultEvent>& faults = faults_.timeline();
    size_t next_request = 0, next_fault = 0;
    std::vector<char> buffer(kMaxDatagramBytes + 1);
    while (!storm_) {
      Micros now = Now();
      if (now >= end) break;
      // Whatever is due, in time order: faults, then requests, then
      // delayed copies (reordering, spikes).
      while (next_fault < faults.size() &&
             scenario_.EventTimeUs(faults[next_fault]) <= now) {
        ApplyFault(faults[next_fault++]);
      }
      while (next_request < static_cast<size_t>(clients_.num_requests()) &&
             clients_.due(static_cast<int>(next_request)) <= now) {
        SendRequest(static_cast<int>(next_request++));
      }
      while (!delayed_.empty() && delayed_.begin()->first <= now) {
        auto node = delayed_.extract(delayed_.begin());
        socket_.SendTo(node.mapped().first, node.mapped().second);
      }
      CheckChildren();

      Micros next = std::min<Micros>(end, now + 50 * kMillis);
      if (next_fault < faults.size()) {
        next = std::min(next, scenario_.EventTimeUs(faults[next_fault]));
      }
      if (next_request < static_cast<size_t>(clients_.num_requests())) {
        next = std::min(next, clients_.due(static_cast<int>(next_request)));
      }
      if (!delayed_.empty()) next = std::min(next, delayed_.begin()->first);
      Micros wait = std::max<Micros>(0, next - Now());
      struct pollfd pfd = {socket_.fd(), POLLIN, 0};
      struct timespec ts = {static_cast<time_t>(wait / kSeconds),
                            static_cast<long>((wait % kSeconds) * 1000)};
      int ready = ::ppoll(&pfd, 1, &ts, nullptr);
      if (ready <= 0) continue;
      if (pfd.revents & POLLERR) socket_.TakePendingError();
      // Drain the socket.
      while (!storm_) {
        uint16_t from = 0;
        int err = 0;
        ssize_t len =
            socket_.Receive(buffer.data(), buffer.size(), &from, &err);
        if (len < 0) break;
        OnDatagram(from,
                   std::string_view(buffer.data(),
                                    std::min<size_t>(len, buffer.size())),
                   len > static_cast<ssize_t>(kMaxDatagramBytes));
      }
    }
  }

  void Incorrect(const std::string& why) {
    trace_.Event(Now(), "incorrect").Str("why", why);
    incorrect_.push_back(why);
  }

  void OnDatagram(uint16_t from_port, std::string_view bytes, bool too_large) {
    const Micros now = Now();
    if (too_large) {
      Incorrect("datagram of more than 65535 bytes from port " +
                std::to_string(from_port));
      return;
    }
    DecodeResult d = DecodeMessage(bytes);
    auto known = sender_.find(from_port);
    if (!d.ok()) {
      std::string who = known != sender_.end()
                            ? FormatNodeId(known->second)
                            : "port " + std::to_string(from_port);
      Incorrect("unreadable datagram from " + who + ": " + d.detail);
      return;
    }
    const Message& m = d.message;
    NodeId from;
    if (known != sender_.end()) {
      from = known->second;
    } else if (std::holds_alternative<Hello>(m.body) &&
               m.src < scenario_.replicas && port_of_[m.src] == 0) {
      // The harness learns a replica's port from its hello.
      from = m.src;
      sender_[from_port] = from;
      port_of_[from] = from_port;
    } else {
      Incorrect(std::string(TypeName(m.body)) + " from unknown port " +
                std::to_string(from_port) + " (no hello from it)");
      return;
    }
    Routing routing = hub_.Route(from, m);
    switch (routing.kind) {
      case Routing::Kind::kHello:
        trace_.Event(now, "hello").Id("replica", from);
        return;
      case Routing::Kind::kIncorrect:
        trace_.Event(now, "incorrect").Msg(m).Str("why", routing.why);
        return;
      case Routing::Kind::kClient: {
        ReplyOutcome out = clients_.OnReply(m, now, hub_);
        TraceReply(trace_, now, m, out);
        if (out.resend) Deliver(*out.resend, /*retry=*/true);
        return;
      }
      case Routing::Kind::kReplicas:
        break;
    }
    for (const Copy& copy : routing.copies) {
      TraceRoute(trace_, now, m, copy);
      if (copy.fate != CopyFate::kDelivered) continue;
      // The datagram is relayed as it came, byte for byte.
      if (copy.extra_delay > 0) {
        delayed_.emplace(
            now + copy.extra_delay,
            std::make_pair(port_of_[copy.dst], std::string(bytes)));
      } else {
        socket_.SendTo(port_of_[copy.dst], bytes);
      }
    }
    if (hub_.storm()) {
      storm_ = true;
      notes_.push_back("message storm: more than " +
                       std::to_string(scenario_.max_packets) +
                       " messages, run stopped early");
    }
  }

  void SendRequest(int k) {
    std::optional<Message> m = clients_.Generate(k, Now(), hub_);
    if (!m) {
      trace_.Event(Now(), "get_not_generated").Int("request", k);
      return;
    }
    Deliver(*m, /*retry=*/false);
  }

  // Client traffic: never dropped, never partitioned, not counted.
  void Deliver(const Message& m, bool retry) {
    trace_.Event(Now(), "request").Msg(m).Bool("retry", retry);
    if (!hub_.CanDeliverTo(m.dst)) {
      trace_.Event(Now(), "request_lost").Msg(m);
      return;
    }
    socket_.SendTo(port_of_[m.dst], EncodeMessage(m));
  }

  void ApplyFault(const FaultEvent& e) {
    FaultOutcome out = faults_.Apply(e, hub_, clients_);
    Trace::Line line = trace_.Event(Now(), "fault");
    line.Str("kind", FaultTypeName(e.type));
    for (NodeId id : out.killed) {
      line.Id("killed", id);
      processes_[id].Terminate();  // SIGTERM to its process group
    }
    if (!out.note.empty()) {
      line.Str("note", out.note);
      notes_.push_back(out.note);
    }
  }

  // A replica that exits on its own has died: that fails the run.
  void CheckChildren() {
    for (int i = 0; i < scenario_.replicas; ++i) {
      NodeId id = static_cast<NodeId>(i);
      if (!hub_.alive(id)) continue;
      if (!processes_[i].Running()) {
        hub_.MarkDiedUnexpectedly(
            id, "exited on its own (" + processes_[i].status() + ")");
        trace_.Event(Now(), "crash")
            .Id("replica", id)
            .Str("what", processes_[i].status());
      }
    }
  }

  void StopAll() {
    for (ChildProcess& p : processes_) p.Terminate();
    for (ChildProcess& p : processes_) p.Reap(1000);
  }

  const Scenario& scenario_;
  const uint64_t seed_;
  Trace trace_;
  Hub hub_;
  Clients clients_;
  Faults faults_;
  UdpSocket socket_;
  std::vector<ChildProcess> processes_;
  std::vector<uint16_t> port_of_;
  std::map<uint16_t, NodeId> sender_;
  std::multimap<Micros, std::pair<uint16_t, std::string>> delayed_;
  Clock::time_point start_;
  bool storm_ = false;
  std::vector<std::string> incorrect_;
  std::vector<std::string> notes_;
};

}  // namespace

std::optional<RunResult> RunLive(const Scenario& scenario, uint64_t seed,
                                 const std::string& binary,
                                 const std::string& argv0, std::ostream* trace,
                                 std::string* error) {
  std::string path = FindBinary(binary, argv0);
  if (!Executable(path)) {
    *error = binary.empty()
                 ? "cannot find //replica:3700kvstore in the runfiles; "
                   "pass --binary=PATH"
                 : "--binary: '" + binary + "' is not an executable file";
    return std::nullopt;
  }
  LiveRun run(scenario, seed, trace);
  return run.Run(path, error);
}

}  // namespace stepwise::sim

#include "analysis/run_stats.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

namespace stepwise::analysis {
namespace {

constexpr int64_t kSecond = 1'000'000;
// Lanes are drawn per replica: a bad id must not ask for 65,535 of them.
constexpr int kMaxReplicas = 256;
// Per-second bins: a bad time must not ask for terabytes of them.
constexpr int64_t kMaxSeconds = 1'000'000;

// Tracks each replica's current role and closes intervals as it changes.
class RoleTracker {
 public:
  int size() const { return static_cast<int>(open_.size()); }

  // Lanes for replicas [0, n), n <= kMaxReplicas.
  void Grow(int n) {
    n = std::min(n, kMaxReplicas);
    while (size() < n) {
      open_.push_back(RoleInterval{0, 0, "down", 0});
      roles_.emplace_back();
    }
  }

  // True when the replica's role or term changed.
  bool Set(Node replica, int64_t t, const std::string& role, int64_t term) {
    if (replica < 0 || replica >= size()) return false;
    RoleInterval& cur = open_[replica];
    if (cur.role == "dead") return false;  // never restarted
    if (cur.role == role && cur.term == term) return false;
    Close(replica, t);
    cur.start = t;
    cur.role = role;
    cur.term = term;
    return true;
  }

  const RoleInterval* current(Node replica) const {
    if (replica < 0 || replica >= size()) return nullptr;
    return &open_[replica];
  }

  int64_t term(Node replica) const {
    const RoleInterval* r = current(replica);
    return r == nullptr ? 0 : r->term;
  }

  std::vector<std::vector<RoleInterval>> Finish(int64_t end) {
    for (int i = 0; i < size(); ++i) Close(static_cast<Node>(i), end);
    return std::move(roles_);
  }

 private:
  void Close(Node replica, int64_t t) {
    RoleInterval r = open_[replica];
    r.end = t;
    if (r.end > r.start) roles_[replica].push_back(r);
  }

  std::vector<RoleInterval> open_;
  std::vector<std::vector<RoleInterval>> roles_;
};

std::vector<DropPeriod> DropPeriods(const std::vector<int64_t>& dropped,
                                    const std::vector<int64_t>& routed) {
  std::vector<DropPeriod> periods;
  for (size_t s = 0; s < dropped.size(); ++s) {
    if (dropped[s] == 0) continue;
    const int64_t start = static_cast<int64_t>(s) * kSecond;
    if (!periods.empty() && periods.back().end == start) {
      periods.back().end += kSecond;
    } else {
      periods.push_back(DropPeriod{start, start + kSecond, 0, 0});
    }
    periods.back().dropped += dropped[s];
    periods.back().routed += routed[s];
  }
  return periods;
}

void Bump(std::vector<int64_t>* bins, int64_t index) {
  if (index < 0 || index >= kMaxSeconds) return;
  if (static_cast<size_t>(index) >= bins->size()) {
    bins->resize(static_cast<size_t>(index) + 1, 0);
  }
  ++(*bins)[static_cast<size_t>(index)];
}

}  // namespace

int64_t NearestRank(const std::vector<int64_t>& sorted, double p) {
  const double n = static_cast<double>(sorted.size());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

Percentiles ComputePercentiles(std::vector<int64_t> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  p.count = static_cast<int64_t>(values.size());
  p.p50 = NearestRank(values, 50);
  p.p90 = NearestRank(values, 90);
  p.p99 = NearestRank(values, 99);
  p.max = values.back();
  return p;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kRedirect:
      return "redirect";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnanswered:
      return "unanswered";
  }
  return "?";
}

struct RunStatsBuilder::State {
  RunStats s;
  bool fixed_lanes = false;  // the run event gave the replica count
  // From role events (the simulator), and from what replicas send (for a
  // live trace, which has no role events).
  RoleTracker roles;
  RoleTracker wire;
  bool saw_role = false;
  std::vector<LeaderElected> wire_elections;
  std::unordered_map<std::string, size_t> by_mid;
  std::vector<int64_t> all_latencies;
  std::vector<int64_t> dropped_per_second;
  std::vector<int64_t> routed_per_second;
  bool partitioned = false;

  void Lanes(Node replica) {
    if (fixed_lanes || replica < 0 || replica >= kMaxReplicas) return;
    roles.Grow(replica + 1);
    wire.Grow(replica + 1);
  }

  void Kill(int64_t t, Node replica, const std::string& how) {
    s.kills.push_back(KillRecord{t, replica, how});
    roles.Set(replica, t, "dead", roles.term(replica));
    wire.Set(replica, t, "dead", wire.term(replica));
  }

  void EndPartition(int64_t t) {
    if (partitioned) s.partitions.back().end = t;
    partitioned = false;
  }

  // A replica's role as its own message shows it.
  void Infer(int64_t t, const TracedMessage& m) {
    if (m.term < 0) return;  // not a Raft message
    std::string role = "follower";
    int64_t term = m.term;
    if (m.type == "vote" && m.pre_vote) {
      // A pre-vote proposes the next term without taking it.
      role = "precandidate";
      term = std::max<int64_t>(0, wire.term(m.src));
    } else if (m.type == "vote") {
      role = "candidate";
    } else if (m.leader == m.src) {
      role = "leader";
    }
    if (wire.Set(m.src, t, role, term) && role == "leader") {
      wire_elections.push_back(LeaderElected{t, m.src, term});
    }
  }

  void Add(const TraceEvent& e) {
    s.end_t = e.t;
    switch (e.kind) {
      case EventKind::kRun:
        s.has_run = true;
        s.live = !e.binary.empty();
        s.scenario = e.scenario;
        s.seed = e.seed;
        s.requests_planned = e.requests;
        if (e.replicas >= 0) {
          s.replicas =
              static_cast<int>(std::min<int64_t>(e.replicas, kMaxReplicas));
          roles.Grow(s.replicas);
          wire.Grow(s.replicas);
          fixed_lanes = true;
        }
        break;
      case EventKind::kEnd:
        s.has_end = true;
        s.storm = s.storm || e.storm;
        s.total_messages = e.total_messages;
        s.unanswered_gets = e.unanswered_gets;
        s.unanswered_puts = e.unanswered_puts;
        break;
      case EventKind::kStorm:
        s.storm = true;
        break;
      case EventKind::kStart:
        Lanes(e.replica);
        roles.Set(e.replica, e.t, "follower", 0);
        wire.Set(e.replica, e.t, "follower", 0);
        break;
      case EventKind::kRole:
        Lanes(e.replica);
        saw_role = true;
        roles.Set(e.replica, e.t, e.role, e.term);
        if (e.role == "leader") {
          s.elections.push_back(LeaderElected{e.t, e.replica, e.term});
        }
        break;
      case EventKind::kCrash:
        Kill(e.t, e.replica, "crash");
        break;
      case EventKind::kRequest: {
        RequestRecord r;
        r.sent = e.t;
        r.client = e.msg.src;
        r.dst = e.msg.dst;
        r.is_get = e.msg.type == "get";
        r.retry = e.retry;
        r.mid = e.msg.mid;
        by_mid[r.mid] = s.requests.size();
        s.requests.push_back(std::move(r));
        break;
      }
      case EventKind::kRequestLost: {
        auto it = by_mid.find(e.msg.mid);
        if (it != by_mid.end()) s.requests[it->second].lost = true;
        break;
      }
      case EventKind::kGetNotGenerated:
        ++s.gets_not_generated;
        break;
      case EventKind::kIncorrect:
        ++s.incorrect;
        break;
      case EventKind::kReply: {
        ++s.verdicts[e.verdict];
        Outcome outcome;
        if (e.verdict == "ok") {
          outcome = Outcome::kOk;
        } else if (e.verdict == "redirect") {
          outcome = Outcome::kRedirect;
        } else if (e.verdict == "fail") {
          outcome = Outcome::kFail;
        } else {
          break;  // a duplicate or an incorrect reply answers nothing new
        }
        all_latencies.push_back(e.latency_us);
        auto it = by_mid.find(e.msg.mid);
        if (it == by_mid.end()) break;
        RequestRecord& r = s.requests[it->second];
        if (r.outcome != Outcome::kUnanswered) break;
        r.outcome = outcome;
        r.latency_us = e.latency_us;
        (r.is_get ? s.get_latencies : s.put_latencies).push_back(e.latency_us);
        break;
      }
      case EventKind::kRoute: {
        const int64_t second = e.t / kSecond;
        Bump(&s.messages_per_second[e.msg.type], second);
        Bump(&routed_per_second, second);
        if (e.fate == "dropped") Bump(&dropped_per_second, second);
        ++s.fates[e.fate];
        Infer(e.t, e.msg);
        break;
      }
      case EventKind::kViolation:
        // Shown with the faults: it is where the run stopped.
        s.faults.push_back(FaultRecord{e.t, "violation: " + e.what, e.note});
        break;
      case EventKind::kFault:
        s.faults.push_back(FaultRecord{e.t, e.fault_kind, e.note});
        for (Node k : e.killed) Kill(e.t, k, e.fault_kind);
        if (!e.sides.empty()) {
          EndPartition(e.t);
          s.partitions.push_back(
              PartitionPeriod{e.t, e.t, e.fault_kind, e.sides});
          partitioned = true;
        } else if (e.fault_kind == "part_end") {
          EndPartition(e.t);
        }
        break;
      case EventKind::kHello:
      case EventKind::kTimer:
      case EventKind::kLost:
      case EventKind::kDeliver:
      case EventKind::kLeader:
      case EventKind::kCommit:
        break;
    }
  }

  RunStats Finish() {
    EndPartition(s.end_t);
    if (!fixed_lanes) s.replicas = roles.size();
    if (saw_role) {
      s.roles = roles.Finish(s.end_t);
    } else {
      s.roles = wire.Finish(s.end_t);
      s.elections = std::move(wire_elections);
      s.roles_inferred = true;
    }

    int64_t unanswered[2] = {0, 0};  // puts, gets
    for (const RequestRecord& r : s.requests) {
      ++s.outcomes[OutcomeName(r.outcome)];
      if (r.outcome == Outcome::kUnanswered) ++unanswered[r.is_get ? 1 : 0];
    }
    if (s.unanswered_gets < 0) s.unanswered_gets = unanswered[1];
    if (s.unanswered_puts < 0) s.unanswered_puts = unanswered[0];
    std::sort(s.get_latencies.begin(), s.get_latencies.end());
    std::sort(s.put_latencies.begin(), s.put_latencies.end());
    s.get_latency = ComputePercentiles(s.get_latencies);
    s.put_latency = ComputePercentiles(s.put_latencies);
    s.all_latency = ComputePercentiles(std::move(all_latencies));

    s.seconds = std::min(kMaxSeconds,
                         s.end_t / kSecond + (s.end_t % kSecond != 0 ? 1 : 0));
    for (auto& [type, bins] : s.messages_per_second) {
      s.seconds =
          std::max<int64_t>(s.seconds, static_cast<int64_t>(bins.size()));
    }
    for (auto& [type, bins] : s.messages_per_second) {
      bins.resize(static_cast<size_t>(s.seconds), 0);
    }
    routed_per_second.resize(static_cast<size_t>(s.seconds), 0);
    dropped_per_second.resize(static_cast<size_t>(s.seconds), 0);
    s.drop_periods = DropPeriods(dropped_per_second, routed_per_second);
    return std::move(s);
  }
};

RunStatsBuilder::RunStatsBuilder() : state_(std::make_unique<State>()) {}
RunStatsBuilder::~RunStatsBuilder() = default;

void RunStatsBuilder::Add(const TraceEvent& event) { state_->Add(event); }

RunStats RunStatsBuilder::Finish() { return state_->Finish(); }

RunStats ComputeRunStats(const std::vector<TraceEvent>& events) {
  RunStatsBuilder builder;
  for (const TraceEvent& e : events) builder.Add(e);
  return builder.Finish();
}

}  // namespace stepwise::analysis

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

int CountReplicas(const std::vector<TraceEvent>& events) {
  int n = 0;
  for (const TraceEvent& e : events) {
    if (e.kind == EventKind::kRun) {
      return static_cast<int>(std::clamp<int64_t>(e.replicas, 0, kMaxReplicas));
    }
    if (e.kind == EventKind::kStart && e.replica < kMaxReplicas) {
      n = std::max(n, e.replica + 1);
    }
  }
  return n;
}

// Tracks each replica's current role and closes intervals as it changes.
class RoleTracker {
 public:
  explicit RoleTracker(int n) : open_(n), roles_(n) {
    for (RoleInterval& r : open_) r.role = "down";
  }

  void Set(Node replica, int64_t t, const std::string& role, int64_t term) {
    if (replica < 0 || replica >= static_cast<Node>(open_.size())) return;
    RoleInterval& cur = open_[replica];
    if (cur.role == "dead") return;  // never restarted
    if (cur.role == role && cur.term == term) return;
    Close(replica, t);
    cur.start = t;
    cur.role = role;
    cur.term = term;
  }

  int64_t term(Node replica) const {
    if (replica < 0 || replica >= static_cast<Node>(open_.size())) return 0;
    return open_[replica].term;
  }

  std::vector<std::vector<RoleInterval>> Finish(int64_t end) {
    for (size_t i = 0; i < open_.size(); ++i) Close(static_cast<Node>(i), end);
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

RunStats ComputeRunStats(const std::vector<TraceEvent>& events) {
  RunStats s;
  s.replicas = CountReplicas(events);
  s.end_t = events.empty() ? 0 : events.back().t;
  RoleTracker roles(s.replicas);
  std::unordered_map<std::string, size_t> by_mid;
  std::vector<int64_t> all_latencies;
  std::vector<int64_t> dropped_per_second;
  std::vector<int64_t> routed_per_second;
  bool partitioned = false;

  auto kill = [&](int64_t t, Node replica, const std::string& how) {
    s.kills.push_back(KillRecord{t, replica, how});
    roles.Set(replica, t, "dead", roles.term(replica));
  };
  auto end_partition = [&](int64_t t) {
    if (partitioned) s.partitions.back().end = t;
    partitioned = false;
  };

  for (const TraceEvent& e : events) {
    switch (e.kind) {
      case EventKind::kRun:
        s.has_run = true;
        s.scenario = e.scenario;
        s.seed = e.seed;
        s.requests_planned = e.requests;
        break;
      case EventKind::kEnd:
        s.has_end = true;
        s.storm = s.storm || e.storm;
        s.total_messages = e.total_messages;
        s.unanswered_gets = e.unanswered_gets;
        s.unanswered_puts = e.unanswered_puts;
        s.end_t = e.t;
        break;
      case EventKind::kStorm:
        s.storm = true;
        break;
      case EventKind::kStart:
        roles.Set(e.replica, e.t, "follower", 0);
        break;
      case EventKind::kRole:
        roles.Set(e.replica, e.t, e.role, e.term);
        if (e.role == "leader") {
          s.elections.push_back(LeaderElected{e.t, e.replica, e.term});
        }
        break;
      case EventKind::kCrash:
        kill(e.t, e.replica, "crash");
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
        break;
      }
      case EventKind::kFault:
        s.faults.push_back(FaultRecord{e.t, e.fault_kind, e.note});
        for (Node k : e.killed) kill(e.t, k, e.fault_kind);
        if (!e.sides.empty()) {
          end_partition(e.t);
          s.partitions.push_back(
              PartitionPeriod{e.t, e.t, e.fault_kind, e.sides});
          partitioned = true;
        } else if (e.fault_kind == "part_end") {
          end_partition(e.t);
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
  end_partition(s.end_t);
  s.roles = roles.Finish(s.end_t);

  for (const RequestRecord& r : s.requests)
    ++s.outcomes[OutcomeName(r.outcome)];
  std::sort(s.get_latencies.begin(), s.get_latencies.end());
  std::sort(s.put_latencies.begin(), s.put_latencies.end());
  s.get_latency = ComputePercentiles(s.get_latencies);
  s.put_latency = ComputePercentiles(s.put_latencies);
  s.all_latency = ComputePercentiles(std::move(all_latencies));

  s.seconds = std::min(kMaxSeconds,
                       s.end_t / kSecond + (s.end_t % kSecond != 0 ? 1 : 0));
  for (auto& [type, bins] : s.messages_per_second) {
    s.seconds = std::max<int64_t>(s.seconds, static_cast<int64_t>(bins.size()));
  }
  for (auto& [type, bins] : s.messages_per_second) {
    bins.resize(static_cast<size_t>(s.seconds), 0);
  }
  routed_per_second.resize(static_cast<size_t>(s.seconds), 0);
  dropped_per_second.resize(static_cast<size_t>(s.seconds), 0);
  s.drop_periods = DropPeriods(dropped_per_second, routed_per_second);
  return s;
}

}  // namespace stepwise::analysis

#include "replica/testing/test_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <type_traits>
#include <variant>

#include "replica/kv_store.h"

namespace stepwise {

void PrintTo(Role role, std::ostream* os) { *os << RoleName(role); }

void PrintTo(ReplyKind kind, std::ostream* os) {
  *os << (kind == ReplyKind::kOk         ? "ok"
          : kind == ReplyKind::kRedirect ? "redirect"
                                         : "fail");
}

}  // namespace stepwise

namespace stepwise::testing {
namespace {

std::string Id(NodeId id) { return FormatNodeId(id); }

std::string KindName(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::kOk:
      return "ok";
    case ReplyKind::kRedirect:
      return "redirect";
    case ReplyKind::kFail:
      return "fail";
  }
  return "?";
}

std::string DescribeEntries(const std::vector<LogEntry>& entries) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    out << (i ? " " : "") << entries[i].term
        << (entries[i].is_noop() ? "noop" : "");
  }
  out << "]";
  return out.str();
}

}  // namespace

ReplicaConfig TestConfig() {
  ReplicaConfig config;
  config.election_timeout_min = 1000 * kMillis;
  config.election_timeout_max = 1000 * kMillis;
  config.heartbeat_interval = 100 * kMillis;
  config.leader_contact_window = 320 * kMillis;
  config.lease_margin = 100 * kMillis;
  config.request_hold_timeout = 1500 * kMillis;
  return config;
}

std::vector<ReplicaConfig> MakeConfigs(int n,
                                       const std::vector<Micros>& timeouts,
                                       const ReplicaConfig& base) {
  std::vector<ReplicaConfig> configs;
  for (int i = 0; i < n; ++i) {
    ReplicaConfig config = base;
    config.id = static_cast<NodeId>(i);
    config.seed = base.seed * 1000 + i;
    config.peers.clear();
    for (int j = 0; j < n; ++j) {
      if (j != i) config.peers.push_back(static_cast<NodeId>(j));
    }
    if (!timeouts.empty()) {
      config.election_timeout_min = timeouts.at(i);
      config.election_timeout_max = timeouts.at(i);
    }
    configs.push_back(config);
  }
  return configs;
}

std::vector<LogEntry> EntriesWithTerms(const std::vector<Term>& terms,
                                       const std::string& tag) {
  std::vector<LogEntry> entries;
  for (size_t i = 0; i < terms.size(); ++i) {
    LogEntry entry;
    entry.term = terms[i];
    entry.key = "key-" + std::to_string(i + 1);
    entry.value =
        tag + "-t" + std::to_string(terms[i]) + "-i" + std::to_string(i + 1);
    entry.client = kNoNode;  // synthetic: no client waits for it
    entry.mid = "mid-" + entry.value;
    entries.push_back(entry);
  }
  return entries;
}

AppendEntries Append(Term term, LogIndex prev_index, Term prev_term,
                     std::vector<LogEntry> entries, LogIndex commit) {
  AppendEntries append;
  append.term = term;
  append.prev_index = prev_index;
  append.prev_term = prev_term;
  append.entries = std::move(entries);
  append.commit = commit;
  return append;
}

std::vector<Term> TermsOf(const RaftLog& log) {
  std::vector<Term> terms;
  for (LogIndex i = 1; i <= log.last_index(); ++i)
    terms.push_back(log.term_at(i));
  return terms;
}

std::string Describe(const Message& message) {
  std::ostringstream out;
  out << Id(message.src) << "->" << Id(message.dst) << " (leader "
      << Id(message.leader) << ") " << TypeName(message.body);
  std::visit(
      [&out](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, VoteRequest>) {
          out << (body.pre_vote ? " pre" : "") << " term=" << body.term
              << " last=" << body.last_log_index << "/" << body.last_log_term;
        } else if constexpr (std::is_same_v<T, VoteReply>) {
          out << (body.pre_vote ? " pre" : "") << " term=" << body.term
              << (body.granted ? " granted" : " refused");
        } else if constexpr (std::is_same_v<T, AppendEntries>) {
          out << " term=" << body.term << " prev=" << body.prev_index << "/"
              << body.prev_term << " entries=" << DescribeEntries(body.entries)
              << " commit=" << body.commit;
        } else if constexpr (std::is_same_v<T, AppendReply>) {
          out << " term=" << body.term << (body.success ? " ok" : " reject")
              << " match=" << body.match_index
              << " conflict=" << body.conflict_index << "/"
              << body.conflict_term;
        } else if constexpr (std::is_same_v<T, ClientReply>) {
          out << " " << KindName(body.kind) << " mid=" << body.mid
              << (body.value ? " value=" + *body.value : "");
        } else if constexpr (std::is_same_v<T, GetRequest>) {
          out << " mid=" << body.mid << " key=" << body.key;
        } else if constexpr (std::is_same_v<T, PutRequest>) {
          out << " mid=" << body.mid << " key=" << body.key
              << " value=" << body.value;
        }
      },
      message.body);
  return out.str();
}

TestCluster::TestCluster(std::vector<ReplicaConfig> configs, Micros start)
    : now_(start) {
  const char* env = std::getenv("STEPWISE_TRACE");
  trace_ = env != nullptr && std::string(env) == "1";
  for (const ReplicaConfig& config : configs) {
    EXPECT_EQ(config.id, replicas_.size()) << "ids must be 0..n-1";
    replicas_.push_back(std::make_unique<Replica>(config, now_));
  }
  mirrors_.resize(replicas_.size());
  last_commit_.assign(replicas_.size(), 0);
  last_applied_.assign(replicas_.size(), 0);
  group_.assign(replicas_.size(), 0);
  for (NodeId id = 0; id < replicas_.size(); ++id) Collect(id);
}

TestCluster::TestCluster(int n, const std::vector<Micros>& election_timeouts,
                         const ReplicaConfig& base)
    : TestCluster(MakeConfigs(n, election_timeouts, base)) {}

// --- Clock ------------------------------------------------------------------

std::optional<NodeId> TestCluster::NextTimer(Micros limit) const {
  std::optional<NodeId> best;
  Micros best_time = kNever;
  for (NodeId id = 0; id < replicas_.size(); ++id) {
    Micros deadline = replicas_[id]->NextDeadline();
    if (deadline <= limit && deadline < best_time) {
      best = id;
      best_time = deadline;
    }
  }
  return best;
}

bool TestCluster::FireNextTimer(Micros limit) {
  std::optional<NodeId> id = NextTimer(limit);
  if (!id) return false;
  Micros deadline = replicas_[*id]->NextDeadline();
  now_ = std::max(now_, deadline);
  TickReplica(*id);
  if (replicas_[*id]->NextDeadline() <= now_) {
    ADD_FAILURE() << "replica " << Id(*id) << " still wants a Tick at "
                  << replicas_[*id]->NextDeadline() << " after Tick(" << now_
                  << "): a driver would spin";
    stuck_ = true;
    return false;
  }
  return true;
}

void TestCluster::AdvanceTo(Micros t) {
  while (!stuck_ && FireNextTimer(t)) {
  }
  now_ = std::max(now_, t);
}

// --- Manual network ---------------------------------------------------------

std::vector<Message> TestCluster::Pending(const Filter& filter) const {
  std::vector<Message> out;
  for (const Envelope& e : pending_) {
    if (!filter || filter(e.message)) out.push_back(e.message);
  }
  return out;
}

int TestCluster::Deliver(const Filter& filter) {
  std::vector<Envelope> now_due;
  std::vector<Envelope> keep;
  for (Envelope& e : pending_) {
    (!filter || filter(e.message) ? now_due : keep).push_back(std::move(e));
  }
  pending_ = std::move(keep);
  int delivered = 0;
  for (const Envelope& e : now_due) {
    if (Blocked(e.message.src, e.message.dst)) continue;
    DeliverEnvelope(e);
    ++delivered;
  }
  return delivered;
}

int TestCluster::Stabilize(int max_hops) {
  int hops = 0;
  while (!pending_.empty() && hops < max_hops) {
    DeliverAll();
    ++hops;
  }
  if (!pending_.empty()) {
    ADD_FAILURE() << "network did not go quiet within " << max_hops << " hops";
  }
  return hops;
}

int TestCluster::Drop(const Filter& filter) {
  size_t before = pending_.size();
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [&](const Envelope& e) {
                                  return !filter || filter(e.message);
                                }),
                 pending_.end());
  return static_cast<int>(before - pending_.size());
}

int TestCluster::DropFrom(NodeId id) {
  return Drop([id](const Message& m) { return m.src == id; });
}

int TestCluster::DropTo(NodeId id) {
  return Drop([id](const Message& m) { return m.dst == id; });
}

void TestCluster::Inject(NodeId from, NodeId to, MessageBody body,
                         NodeId leader) {
  Message message{from, to, leader, std::move(body)};
  if (trace_) std::cerr << now_ << " inject " << Describe(message) << "\n";
  StepReplica(to, message);
}

void TestCluster::DeliverEnvelope(const Envelope& envelope) {
  if (trace_) {
    std::cerr << now_ << " deliver " << Describe(envelope.message) << "\n";
  }
  delivered_.push_back(envelope);
  StepReplica(envelope.message.dst, envelope.message);
}

// --- Faults -----------------------------------------------------------------

void TestCluster::Partition(const std::vector<std::vector<NodeId>>& groups) {
  int next = 1;
  for (size_t i = 0; i < group_.size(); ++i) group_[i] = -1;
  for (const auto& group : groups) {
    for (NodeId id : group) group_.at(id) = next;
    ++next;
  }
  for (int& g : group_) {
    if (g == -1) g = next++;
  }
}

void TestCluster::Isolate(NodeId id) {
  int fresh = *std::max_element(group_.begin(), group_.end()) + 1;
  group_.at(id) = fresh;
}

void TestCluster::Heal() { std::fill(group_.begin(), group_.end(), 0); }

bool TestCluster::Blocked(NodeId src, NodeId dst) const {
  return IsReplica(src) && IsReplica(dst) && group_[src] != group_[dst];
}

// --- Automatic run ----------------------------------------------------------

bool TestCluster::RunUntil(const std::function<bool()>& done, Micros deadline) {
  if (done && done()) return true;
  while (!stuck_) {
    Micros next_message = kNever;
    if (!pending_.empty()) {
      next_message = std::max(now_, pending_.front().sent_at + latency_);
    }
    std::optional<NodeId> timer = NextTimer(deadline);
    Micros next_timer =
        timer ? std::max(now_, replicas_[*timer]->NextDeadline()) : kNever;
    Micros next = std::min(next_message, next_timer);
    if (next > deadline) break;
    if (next_message <= next_timer) {
      now_ = next_message;
      Envelope e = std::move(pending_.front());
      pending_.erase(pending_.begin());
      if (!Blocked(e.message.src, e.message.dst)) DeliverEnvelope(e);
    } else {
      FireNextTimer(deadline);
    }
    if (done && done()) return true;
  }
  if (!stuck_) now_ = std::max(now_, deadline);
  return done && done();
}

void TestCluster::RunUntil(Micros t) { RunUntil(nullptr, t); }

// --- Clients ----------------------------------------------------------------

void TestCluster::Put(NodeId replica, NodeId client, const std::string& mid,
                      const std::string& key, const std::string& value) {
  EXPECT_EQ(requests_.count(mid), 0u) << "test reuses MID " << mid;
  requests_[mid] = Request{client, true, key, value};
  Message message{client, replica, kNoNode, PutRequest{mid, key, value}};
  if (trace_) std::cerr << now_ << " client " << Describe(message) << "\n";
  StepReplica(replica, message);
}

void TestCluster::Get(NodeId replica, NodeId client, const std::string& mid,
                      const std::string& key) {
  EXPECT_EQ(requests_.count(mid), 0u) << "test reuses MID " << mid;
  requests_[mid] = Request{client, false, key, ""};
  Message message{client, replica, kNoNode, GetRequest{mid, key}};
  if (trace_) std::cerr << now_ << " client " << Describe(message) << "\n";
  StepReplica(replica, message);
}

const CapturedReply* TestCluster::ReplyTo(const std::string& mid) const {
  auto it = replies_.find(mid);
  return it == replies_.end() || it->second.empty() ? nullptr
                                                    : &it->second.front();
}

int TestCluster::ReplyCount(const std::string& mid) const {
  auto it = replies_.find(mid);
  return it == replies_.end() ? 0 : static_cast<int>(it->second.size());
}

std::vector<std::string> TestCluster::Unanswered() const {
  std::vector<std::string> out;
  for (const auto& [mid, request] : requests_) {
    if (ReplyCount(mid) == 0) out.push_back(mid);
  }
  return out;
}

void TestCluster::CaptureReply(NodeId id, const Message& message) {
  const ClientReply* reply = BodyAs<ClientReply>(message);
  if (reply == nullptr) {
    ADD_FAILURE() << "replica " << Id(id)
                  << " sent a non-reply to a client: " << Describe(message);
    return;
  }
  auto request = requests_.find(reply->mid);
  if (request == requests_.end()) {
    ADD_FAILURE() << "reply to a MID never asked: " << Describe(message);
    return;
  }
  if (message.dst != request->second.client) {
    ADD_FAILURE() << "reply to the wrong client: " << Describe(message);
  }
  std::vector<CapturedReply>& replies = replies_[reply->mid];
  if (!replies.empty() && reply->kind == ReplyKind::kOk &&
      replies.front().reply.kind == ReplyKind::kOk) {
    // The harness scores a second ok as a duplicate; it is not incorrect.
    // A new leader may answer an entry its dead predecessor had answered.
    ++duplicates_;
  } else if (!replies.empty()) {
    ADD_FAILURE() << "second reply for MID " << reply->mid << " from " << Id(id)
                  << " at " << now_ << ": " << Describe(message)
                  << " (first from " << Id(replies.front().from) << " at "
                  << replies.front().at << ": "
                  << KindName(replies.front().reply.kind) << ")";
  }
  replies.push_back(CapturedReply{id, message.leader, *reply, now_});

  const Replica& r = *replicas_[id];
  if (reply->kind == ReplyKind::kOk && request->second.is_put) {
    // "ok" promises the put is committed: its entry must be in the
    // answering replica's committed prefix.
    bool found = false;
    for (LogIndex i = 1; i <= r.commit_index() && i <= r.log().last_index();
         ++i) {
      if (r.log().at(i).mid == reply->mid) found = true;
    }
    EXPECT_TRUE(found) << "put " << reply->mid << " answered ok by " << Id(id)
                       << " before its entry committed there";
  }
  if (reply->kind == ReplyKind::kOk && !request->second.is_put) {
    EXPECT_TRUE(reply->value.has_value())
        << "get ok without a value: " << Describe(message);
  } else {
    EXPECT_FALSE(reply->value.has_value())
        << "value on a non-get-ok reply: " << Describe(message);
  }
}

// --- Stepping and invariants ------------------------------------------------

void TestCluster::StepReplica(NodeId id, const Message& message) {
  if (!IsReplica(id)) {
    ADD_FAILURE() << "no replica " << Id(id) << " for " << Describe(message);
    return;
  }
  replicas_[id]->Step(message, now_);
  Collect(id);
}

void TestCluster::TickReplica(NodeId id) {
  if (trace_) std::cerr << now_ << " tick " << Id(id) << "\n";
  replicas_[id]->Tick(now_);
  Collect(id);
}

void TestCluster::Collect(NodeId id) {
  Replica& r = *replicas_[id];
  Ready ready = r.TakeReady();
  Mirror& mirror = mirrors_[id];
  if (ready.hard_state) mirror.hard_state = *ready.hard_state;
  if (ready.first_new_index != 0) {
    if (ready.first_new_index > mirror.log.size() + 1) {
      ADD_FAILURE() << "replica " << Id(id) << " Ready.first_new_index "
                    << ready.first_new_index << " leaves a gap after "
                    << mirror.log.size();
    } else {
      mirror.log.resize(ready.first_new_index - 1);
      mirror.log.insert(mirror.log.end(), ready.new_entries.begin(),
                        ready.new_entries.end());
    }
  }
  for (const Message& m : ready.messages) {
    if (trace_) std::cerr << now_ << "   sent " << Describe(m) << "\n";
    if (m.src != id) {
      ADD_FAILURE() << "replica " << Id(id)
                    << " sent with wrong src: " << Describe(m);
    }
    if (std::holds_alternative<Hello>(m.body)) continue;
    if (m.dst == id) {
      ADD_FAILURE() << "replica " << Id(id)
                    << " sent to itself: " << Describe(m);
    } else if (IsReplica(m.dst)) {
      pending_.push_back(Envelope{m, now_});
    } else if (m.dst == kNoNode) {
      ADD_FAILURE() << "core broadcast (dst FFFF): " << Describe(m);
    } else {
      CaptureReply(id, m);
    }
  }
  CheckInvariants(id);
}

void TestCluster::CheckInvariants(NodeId id) {
  const Replica& r = *replicas_[id];
  const std::string who = "replica " + Id(id) + " at " + std::to_string(now_);

  // The driver persists exactly what the replica holds.
  const Mirror& mirror = mirrors_[id];
  EXPECT_EQ(mirror.hard_state, (HardState{r.term(), r.voted_for()}))
      << who << ": Ready.hard_state does not track term/vote (mirror term "
      << mirror.hard_state.term << " vote " << mirror.hard_state.voted_for
      << ", replica term " << r.term() << " vote " << r.voted_for() << ")";
  bool log_ok = mirror.log.size() == r.log().last_index();
  for (LogIndex i = 1; log_ok && i <= r.log().last_index(); ++i) {
    log_ok = mirror.log[i - 1] == r.log().at(i);
  }
  EXPECT_TRUE(log_ok) << who
                      << ": the Ready log changes do not reproduce the log";

  // Commit and apply only move forward, within the log.
  EXPECT_GE(r.commit_index(), last_commit_[id])
      << who << ": commit index went back";
  EXPECT_GE(r.applied_index(), last_applied_[id])
      << who << ": applied index went back";
  EXPECT_LE(r.applied_index(), r.commit_index())
      << who << ": applied beyond commit";
  EXPECT_LE(r.commit_index(), r.log().last_index())
      << who << ": commit beyond the log";
  last_commit_[id] = std::max(last_commit_[id], r.commit_index());
  last_applied_[id] = std::max(last_applied_[id], r.applied_index());

  // The state machine is the in-order replay of the applied prefix.
  KvStore replay;
  for (LogIndex i = 1; i <= r.applied_index() && i <= r.log().last_index();
       ++i) {
    replay.Apply(r.log().at(i));
  }
  EXPECT_EQ(replay.data(), r.kv().data())
      << who << ": kv is not the replay of log[1.." << r.applied_index() << "]";

  // State machine safety: a committed entry is the same everywhere, forever.
  for (LogIndex i = 1; i <= r.commit_index() && i <= r.log().last_index();
       ++i) {
    auto [it, inserted] = committed_.emplace(i, r.log().at(i));
    if (!inserted && !(it->second == r.log().at(i))) {
      ADD_FAILURE() << who << ": committed entry " << i << " (term "
                    << r.log().term_at(i) << ") differs from the one "
                    << "committed before (term " << it->second.term << ")";
    }
  }

  // Election safety: at most one leader per term.
  if (r.role() == Role::kLeader) {
    auto [it, inserted] = leader_of_term_.emplace(r.term(), id);
    if (!inserted && it->second != id) {
      ADD_FAILURE() << who << ": second leader in term " << r.term()
                    << " (first " << Id(it->second) << ")";
    }
  }
}

// --- Queries ----------------------------------------------------------------

NodeId TestCluster::LeaderAmong(const std::vector<NodeId>& ids) const {
  NodeId best = kNoNode;
  Term best_term = 0;
  for (NodeId id = 0; id < replicas_.size(); ++id) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) {
      continue;
    }
    const Replica& r = *replicas_[id];
    if (r.role() == Role::kLeader &&
        (best == kNoNode || r.term() > best_term)) {
      best = id;
      best_term = r.term();
    }
  }
  return best;
}

bool TestCluster::AllFollow(NodeId leader,
                            const std::vector<NodeId>& ids) const {
  if (!IsReplica(leader) || replicas_[leader]->role() != Role::kLeader) {
    return false;
  }
  Term term = replicas_[leader]->term();
  for (NodeId id = 0; id < replicas_.size(); ++id) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) {
      continue;
    }
    const Replica& r = *replicas_[id];
    if (r.term() != term || r.leader() != leader) return false;
  }
  return true;
}

int TestCluster::CountDelivered(const Filter& filter) const {
  int count = 0;
  for (const Envelope& e : delivered_) {
    if (filter(e.message)) ++count;
  }
  return count;
}

void SettleWithLeaderZero(TestCluster& c) {
  ASSERT_TRUE(c.RunUntil(
      [&] { return c.AllFollow(0) && c.replica(0).commit_index() >= 1; },
      c.now() + 3 * kSeconds));
  c.Stabilize();
}

TestCluster ThreeReplicas() {
  return TestCluster(3, {1000 * kMillis, 1500 * kMillis, 2000 * kMillis});
}

TestCluster FiveReplicas() {
  return TestCluster(5, {1000 * kMillis, 1500 * kMillis, 2000 * kMillis,
                         2500 * kMillis, 3000 * kMillis});
}

bool Replied(const TestCluster& c, const std::string& mid) {
  return c.ReplyTo(mid) != nullptr;
}

}  // namespace stepwise::testing

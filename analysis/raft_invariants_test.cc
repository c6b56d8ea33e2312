#include "analysis/raft_invariants.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "replica/messages.h"
#include "replica/raft_log.h"
#include "replica/replica.h"
#include "replica/rng.h"

namespace stepwise {
namespace {

// ---------------------------------------------------------------------------
// Real replicas on a tiny deterministic network: drops, one partition that
// cuts the leader off with one follower, then the leader is killed.

class TinyNetwork {
 public:
  TinyNetwork(int n, uint64_t seed, double drop)
      : checker_(n), rng_(seed), drop_(drop) {
    for (int i = 0; i < n; ++i) {
      ReplicaConfig config;
      config.id = static_cast<NodeId>(i);
      for (int j = 0; j < n; ++j) {
        if (j != i) config.peers.push_back(static_cast<NodeId>(j));
      }
      config.seed = Rng::Derive(seed, i);
      replicas_.push_back(std::make_unique<Replica>(config, 0));
      alive_.push_back(true);
      side_.push_back(0);
    }
  }

  // Runs until `until`; returns the first violation.
  std::optional<Violation> RunUntil(Micros until) {
    while (!violation_) {
      Micros next_message = queue_.empty() ? kNever : queue_.top().time;
      int ticker = -1;
      Micros next_tick = kNever;
      for (size_t i = 0; i < replicas_.size(); ++i) {
        if (alive_[i] && replicas_[i]->NextDeadline() < next_tick) {
          next_tick = replicas_[i]->NextDeadline();
          ticker = static_cast<int>(i);
        }
      }
      Micros now = std::min({next_message, next_tick, next_put_});
      if (now > until) break;
      if (++steps_ > 2'000'000) {
        ADD_FAILURE() << "the run does not make progress";
        break;
      }
      if (next_message == now) {
        Event event = queue_.top();
        queue_.pop();
        if (alive_[event.message.dst]) {
          StepAndObserve(event.message.dst, now, &event.message);
        }
      } else if (next_tick == now) {
        StepAndObserve(ticker, now, nullptr);
      } else {
        next_put_ = now + 20 * kMillis;
        int target = static_cast<int>(rng_.Uniform(0, replicas_.size() - 1));
        if (!alive_[target]) continue;
        Message put{kClient, static_cast<NodeId>(target), kNoNode,
                    PutRequest{"m" + std::to_string(puts_),
                               "k" + std::to_string(puts_ % 7),
                               "v" + std::to_string(puts_)}};
        ++puts_;
        StepAndObserve(target, now, &put);
      }
    }
    return violation_;
  }

  // The live replica that leads the highest term, or -1.
  int Leader() const {
    int best = -1;
    for (size_t i = 0; i < replicas_.size(); ++i) {
      const Replica& r = *replicas_[i];
      if (alive_[i] && r.role() == Role::kLeader &&
          (best < 0 || r.term() > replicas_[best]->term())) {
        best = static_cast<int>(i);
      }
    }
    return best;
  }

  // Cuts `a` and `b` off from the rest.
  void Partition(int a, int b) {
    for (auto& side : side_) side = 0;
    side_[a] = side_[b] = 1;
  }
  void Heal() {
    for (auto& side : side_) side = 0;
  }
  void Kill(int i) {
    alive_[i] = false;
    checker_.MarkDead(static_cast<NodeId>(i));
  }

  const RaftInvariantChecker& checker() const { return checker_; }

 private:
  static constexpr NodeId kClient = 0x0015;

  struct Event {
    Micros time;
    uint64_t seq;
    Message message;
    bool operator>(const Event& other) const {
      return time != other.time ? time > other.time : seq > other.seq;
    }
  };

  void StepAndObserve(int i, Micros now, const Message* message) {
    Replica& r = *replicas_[i];
    if (message != nullptr) {
      r.Step(*message, now);
    } else {
      r.Tick(now);
    }
    if (auto v = checker_.Observe(r, now); v && !violation_) violation_ = v;
    for (Message& out : r.TakeReady().messages) {
      if (out.dst >= replicas_.size()) continue;  // a client reply
      if (side_[out.src] != side_[out.dst] || rng_.Chance(drop_)) continue;
      Micros at = now + rng_.Uniform(1 * kMillis, 8 * kMillis);
      queue_.push(Event{at, seq_++, std::move(out)});
    }
  }

  RaftInvariantChecker checker_;
  Rng rng_;
  double drop_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<bool> alive_;
  std::vector<int> side_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  uint64_t seq_ = 0;
  uint64_t steps_ = 0;
  uint64_t puts_ = 0;
  Micros next_put_ = 2 * kSeconds;
  std::optional<Violation> violation_;
};

std::string Show(const std::optional<Violation>& v) {
  return v ? v->property + ": " + v->detail : "none";
}

TEST(RaftInvariantsOnRealCore, NoViolationWithDropsPartitionAndKill) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TinyNetwork net(5, seed, /*drop=*/0.05);
    std::optional<Violation> v = net.RunUntil(8 * kSeconds);
    ASSERT_EQ(v, std::nullopt) << Show(v);
    int leader = net.Leader();
    ASSERT_GE(leader, 0);
    net.Partition(leader, (leader + 1) % 5);
    v = net.RunUntil(14 * kSeconds);
    ASSERT_EQ(v, std::nullopt) << Show(v);
    net.Heal();
    v = net.RunUntil(20 * kSeconds);
    ASSERT_EQ(v, std::nullopt) << Show(v);
    leader = net.Leader();
    ASSERT_GE(leader, 0);
    net.Kill(leader);
    v = net.RunUntil(30 * kSeconds);
    EXPECT_EQ(v, std::nullopt) << Show(v);
    // The run did what it was meant to: many commits, several leaders.
    EXPECT_GT(net.checker().max_committed(), 200u);
    EXPECT_GE(net.checker().terms_with_leader(), 3u);
  }
}

// ---------------------------------------------------------------------------
// Hand-built states, one per property, that the real core never produces.

LogEntry Put(Term term, const std::string& value) {
  LogEntry entry;
  entry.term = term;
  entry.key = "k";
  entry.value = value;
  entry.client = 0x0015;
  entry.mid = "mid-" + value;
  return entry;
}

LogEntry Noop(Term term) {
  LogEntry entry;
  entry.term = term;
  return entry;
}

// Owns the logs the views point to, so a test reads as a list of states.
class Feeder {
 public:
  explicit Feeder(int replicas) : checker_(replicas) {}

  std::optional<Violation> Feed(NodeId id, Role role, Term term,
                                NodeId voted_for, LogIndex commit,
                                std::vector<LogEntry> entries,
                                std::optional<LogIndex> applied = {}) {
    auto log = std::make_unique<RaftLog>();
    for (auto& entry : entries) log->Append(std::move(entry));
    ReplicaView view;
    view.id = id;
    view.role = role;
    view.term = term;
    view.voted_for = voted_for;
    view.commit_index = commit;
    view.applied_index = applied.value_or(commit);
    view.log = log.get();
    logs_.push_back(std::move(log));
    return checker_.Observe(view, now_ += kMillis);
  }

  RaftInvariantChecker& checker() { return checker_; }

 private:
  RaftInvariantChecker checker_;
  std::vector<std::unique_ptr<RaftLog>> logs_;
  Micros now_ = 0;
};

constexpr Role kF = Role::kFollower;
constexpr Role kL = Role::kLeader;

// Expects exactly `property`, with a detail naming `fragment`.
void ExpectViolation(const std::optional<Violation>& v, const char* property,
                     const std::string& fragment) {
  ASSERT_TRUE(v.has_value()) << "expected " << property;
  EXPECT_EQ(v->property, property) << v->detail;
  EXPECT_NE(v->detail.find(fragment), std::string::npos) << v->detail;
}

TEST(RaftInvariants, LegalHistoryWithUncommittedTruncationPasses) {
  Feeder f(3);
  // Term 1: leader 0 replicates a to 1 and commits it; x reaches only 0.
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 0, {Noop(1), Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(1, kF, 1, 0, 0, {Noop(1), Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 2, {Noop(1), Put(1, "a"), Put(1, "x")}),
            std::nullopt);
  // Term 2: replica 1 leads and overwrites 0's uncommitted x.
  EXPECT_EQ(f.Feed(1, kL, 2, 1, 2, {Noop(1), Put(1, "a"), Noop(2)}),
            std::nullopt);
  EXPECT_EQ(f.Feed(0, kF, 2, 1, 2, {Noop(1), Put(1, "a"), Noop(2)}),
            std::nullopt);
  EXPECT_EQ(f.Feed(1, kL, 2, 1, 3, {Noop(1), Put(1, "a"), Noop(2)}),
            std::nullopt);
  EXPECT_EQ(f.Feed(2, kF, 2, 1, 3, {Noop(1), Put(1, "a"), Noop(2)}),
            std::nullopt);
  EXPECT_EQ(f.checker().max_committed(), 3u);
}

TEST(RaftInvariants, ElectionSafetyBites) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kL, 4, 0, 0, {Noop(4)}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 4, 0, 0, {Noop(4)}), std::nullopt);  // same leader
  ExpectViolation(f.Feed(1, kL, 4, 1, 0, {Noop(4)}), kElectionSafety,
                  "term 4 has two leaders: 0000 and 0001");
}

TEST(RaftInvariants, LogMatchingBitesOnDifferentEntry) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kF, 1, kNoNode, 0, {Put(1, "a")}), std::nullopt);
  ExpectViolation(f.Feed(1, kF, 1, kNoNode, 0, {Put(1, "b")}), kLogMatching,
                  "index 1 term 1");
}

TEST(RaftInvariants, LogMatchingBitesOnDifferentPrefix) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kF, 3, kNoNode, 0, {Put(1, "a"), Put(3, "c")}),
            std::nullopt);
  // Same entry at (2, term 3), but after a term-2 entry instead of term 1.
  ExpectViolation(f.Feed(1, kF, 3, kNoNode, 0, {Put(2, "b"), Put(3, "c")}),
                  kLogMatching, "differ before index 2");
}

TEST(RaftInvariants, LogMatchingBitesOnRewriteWithSameTerm) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kF, 1, kNoNode, 0, {Put(1, "a"), Put(1, "b")}),
            std::nullopt);
  // The same replica later shows another entry at (2, term 1): the walk
  // back must notice the change even though the terms are unchanged.
  ExpectViolation(f.Feed(0, kF, 1, kNoNode, 0, {Put(1, "a"), Put(1, "z")}),
                  kLogMatching, "index 2 term 1");
}

TEST(RaftInvariants, LeaderCompletenessBitesAtElection) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 0, {Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(1, kF, 1, 0, 0, {Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}), std::nullopt);
  ExpectViolation(f.Feed(2, kL, 2, 2, 0, {Noop(2)}), kLeaderCompleteness,
                  "leader 0002 of term 2 lacks index 1");
}

TEST(RaftInvariants, LeaderCompletenessBitesWhenLeaderLosesEntry) {
  Feeder f(5);
  for (NodeId id = 0; id < 4; ++id) {
    EXPECT_EQ(f.Feed(id, kF, 1, kNoNode, 0, {Put(1, "a")}), std::nullopt);
  }
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(4, kL, 2, 4, 0, {Put(1, "a"), Noop(2)}), std::nullopt);
  // Still leader of term 2, but index 1 is gone (four others still hold it).
  ExpectViolation(f.Feed(4, kL, 2, 4, 0, {Noop(2)}), kLeaderCompleteness,
                  "has term 2 there");
}

TEST(RaftInvariants, StaleLeaderOfEarlierTermIsNotBlamed) {
  Feeder f(3);
  // Replica 2 led term 1 and was cut off; terms 2 commits without it.
  EXPECT_EQ(f.Feed(2, kL, 1, 2, 0, {Noop(1)}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 2, 0, 0, {Noop(2)}), std::nullopt);
  EXPECT_EQ(f.Feed(1, kF, 2, 0, 0, {Noop(2)}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 2, 0, 1, {Noop(2)}), std::nullopt);
  EXPECT_EQ(f.Feed(2, kL, 1, 2, 0, {Noop(1)}), std::nullopt);
}

TEST(RaftInvariants, StateMachineSafetyBitesOnDifferentApply) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kF, 1, kNoNode, 0, {Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(2, kF, 1, kNoNode, 0, {Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kF, 1, kNoNode, 1, {Put(1, "a")}), std::nullopt);
  ExpectViolation(f.Feed(1, kF, 2, kNoNode, 1, {Put(2, "b")}),
                  kStateMachineSafety,
                  "index 1: replica 0001 applies {term 2, put k=b");
}

TEST(RaftInvariants, StateMachineSafetyBitesOnRewriteBelowCommit) {
  Feeder f(1);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}), std::nullopt);
  ExpectViolation(f.Feed(0, kL, 2, 0, 1, {Put(2, "b")}), kStateMachineSafety,
                  "rewrote index 1 (term 1) at or below its commit index 1");
}

TEST(RaftInvariants, StateMachineSafetyBitesOnCommitBeyondLog) {
  Feeder f(1);
  ExpectViolation(f.Feed(0, kL, 1, 0, 2, {Put(1, "a")}), kStateMachineSafety,
                  "commit index 2 is beyond the end of its log (1)");
}

TEST(RaftInvariants, CommitMonotonicBites) {
  Feeder f(1);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}), std::nullopt);
  ExpectViolation(f.Feed(0, kL, 1, 0, 0, {Put(1, "a")}), kCommitMonotonic,
                  "went back from 1 to 0");
}

TEST(RaftInvariants, AppliedIndexBites) {
  Feeder f(1);
  ExpectViolation(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}, /*applied=*/0),
                  kAppliedIndex, "applied index 0 lags its commit index 1");
  Feeder g(1);
  ExpectViolation(g.Feed(0, kL, 1, 0, 0, {Put(1, "a")}, /*applied=*/1),
                  kAppliedIndex,
                  "applied index 1 is beyond its commit index 0");
}

TEST(RaftInvariants, CommittedOnMajorityBitesAtCommit) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(1, kF, 1, kNoNode, 0, {}), std::nullopt);
  ExpectViolation(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}), kCommittedOnMajority,
                  "held by only 1 of 3 replicas");
}

TEST(RaftInvariants, CommittedOnMajorityBitesWhenAHolderTruncates) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(1, kF, 1, 0, 0, {Noop(1), Put(1, "a")}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 2, {Noop(1), Put(1, "a")}), std::nullopt);
  // Follower 1 (which never learned the commit) loses index 2.
  ExpectViolation(f.Feed(1, kF, 2, kNoNode, 0, {Noop(1), Put(2, "b")}),
                  kCommittedOnMajority, "index 2 {term 1, put k=a");
}

TEST(RaftInvariants, DeadReplicaKeepsHoldingItsFrozenLog) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(1, kF, 1, 0, 0, {Put(1, "a")}), std::nullopt);
  f.checker().MarkDead(1);
  // Later states of a dead replica are ignored: it still holds index 1.
  EXPECT_EQ(f.Feed(1, kF, 9, kNoNode, 0, {}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kL, 1, 0, 1, {Put(1, "a")}), std::nullopt);
}

TEST(RaftInvariants, TermMonotonicBites) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kF, 3, kNoNode, 0, {}), std::nullopt);
  ExpectViolation(f.Feed(0, kF, 2, kNoNode, 0, {}), kTermMonotonic,
                  "term went back from 3 to 2");
}

TEST(RaftInvariants, VoteStableBites) {
  Feeder f(3);
  EXPECT_EQ(f.Feed(0, kF, 1, kNoNode, 0, {}), std::nullopt);
  EXPECT_EQ(f.Feed(0, kF, 1, 1, 0, {}), std::nullopt);  // first vote: fine
  EXPECT_EQ(f.Feed(0, kF, 2, 2, 0, {}), std::nullopt);  // new term: fine
  ExpectViolation(f.Feed(0, kF, 2, 1, 0, {}), kVoteStable,
                  "changed its vote in term 2 from 0002 to 0001");
}

TEST(RaftInvariants, ObserveCostsOnlyTheChangedEntries) {
  Feeder f(1);
  std::vector<LogEntry> entries;
  for (int i = 1; i <= 500; ++i) {
    entries.push_back(Put(1, std::to_string(i)));
    ASSERT_EQ(f.Feed(0, kL, 1, 0, i, entries), std::nullopt);
  }
  // Per observation: one entry walked back, one appended, one committed.
  EXPECT_LE(f.checker().entries_examined(), 3u * 500);
  uint64_t before = f.checker().entries_examined();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(f.Feed(0, kL, 1, 0, 500, entries), std::nullopt);
  }
  EXPECT_LE(f.checker().entries_examined() - before, 100u);
}

}  // namespace
}  // namespace stepwise

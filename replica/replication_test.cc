// Log replication: the consistency check, conflict truncation, fast
// backtracking (Figure 7), the commit rule (Figure 8) and in-order apply.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "replica/replica.h"
#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::Append;
using ::stepwise::testing::BodyAs;
using ::stepwise::testing::EntriesWithTerms;
using ::stepwise::testing::FromTo;
using ::stepwise::testing::MakeConfigs;
using ::stepwise::testing::TermsOf;
using ::stepwise::testing::TestCluster;
using ::stepwise::testing::TestConfig;

constexpr Micros kMs = kMillis;
constexpr NodeId kClient = 0x0100;

std::optional<AppendReply> TakeAppendReply(TestCluster& c, NodeId from,
                                           NodeId to) {
  std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(from, to);
  c.Drop(FromTo(from, to));
  EXPECT_LE(replies.size(), 1u);
  if (replies.empty()) return std::nullopt;
  return replies.front();
}

bool SameLog(const RaftLog& a, const RaftLog& b) {
  if (a.last_index() != b.last_index()) return false;
  for (LogIndex i = 1; i <= a.last_index(); ++i) {
    if (!(a.at(i) == b.at(i))) return false;
  }
  return true;
}

// Delivers only what `allow` lets through and drops the rest, one hop at a
// time until the network is quiet; then lets a heartbeat interval pass;
// until `done` or `max_rounds` heartbeats.
bool RunRounds(TestCluster& c, const TestCluster::Filter& allow,
               const std::function<bool()>& done, int max_rounds = 20) {
  for (int round = 0; round < max_rounds; ++round) {
    for (int hop = 0; hop < 100 && !c.pending().empty(); ++hop) {
      c.Drop([&](const Message& m) { return !allow(m); });
      c.DeliverAll();
    }
    if (done()) return true;
    c.AdvanceBy(TestConfig().heartbeat_interval);
  }
  return done();
}

Micros stall_slack(const TestCluster& c) {
  return c.replica(0).config().stall_slack;
}

bool Between(const Message& m, NodeId a, const std::vector<NodeId>& others) {
  for (NodeId b : others) {
    if ((m.src == a && m.dst == b) || (m.src == b && m.dst == a)) return true;
  }
  return false;
}

// --- The follower's side ----------------------------------------------------

// §5.3: a follower accepts entries only after its entry at prev_index has
// prev_term; otherwise it refuses and hints where the logs stop agreeing.
TEST(ReplicationTest, FollowerChecksConsistencyBeforeAppending) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  std::vector<LogEntry> e = EntriesWithTerms({1, 1, 1, 1});

  c.Inject(0, 1, Append(1, 3, 1, {e[3]}));
  std::optional<AppendReply> gap = TakeAppendReply(c, 1, 0);
  ASSERT_TRUE(gap);
  EXPECT_FALSE(gap->success) << "it has no entry 3";
  EXPECT_EQ(gap->conflict_term, 0u);
  EXPECT_EQ(gap->conflict_index, 1u) << "its log length + 1";
  EXPECT_EQ(c.replica(1).log().last_index(), 0u);
  EXPECT_EQ(c.replica(1).leader(), 0) << "it is a leader of a valid term";

  c.Inject(0, 1, Append(1, 0, 0, {e[0], e[1], e[2]}));
  std::optional<AppendReply> first = TakeAppendReply(c, 1, 0);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->success);
  EXPECT_EQ(first->match_index, 3u);

  c.Inject(0, 1, Append(1, 3, 1, {e[3]}));
  std::optional<AppendReply> second = TakeAppendReply(c, 1, 0);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->success);
  EXPECT_EQ(second->match_index, 4u);

  // A mismatch on the term of an existing entry: refused, nothing cut.
  c.Inject(0, 1, Append(1, 4, 2, {}));
  std::optional<AppendReply> wrong_term = TakeAppendReply(c, 1, 0);
  ASSERT_TRUE(wrong_term);
  EXPECT_FALSE(wrong_term->success);
  EXPECT_EQ(wrong_term->conflict_term, 1u);
  EXPECT_EQ(wrong_term->conflict_index, 1u) << "first index of term 1";
  EXPECT_EQ(c.replica(1).log().last_index(), 4u);
}

TEST(ReplicationTest, RejectionHintNamesTheConflictingTermsFirstIndex) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  c.Inject(0, 1, Append(2, 0, 0, EntriesWithTerms({1, 1, 2, 2})));
  TakeAppendReply(c, 1, 0);
  c.Inject(0, 1, Append(3, 4, 3, {}));
  std::optional<AppendReply> reply = TakeAppendReply(c, 1, 0);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->success);
  EXPECT_EQ(reply->term, 3u);
  EXPECT_EQ(reply->conflict_term, 2u);
  EXPECT_EQ(reply->conflict_index, 3u);
}

TEST(ReplicationTest, ConflictingEntriesAreTruncated) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  c.Inject(0, 1, Append(2, 0, 0, EntriesWithTerms({1, 1, 2, 2})));
  TakeAppendReply(c, 1, 0);

  std::vector<LogEntry> leader = EntriesWithTerms({1, 1, 3});
  c.Inject(2, 1, Append(3, 2, 1, {leader[2]}));
  std::optional<AppendReply> reply = TakeAppendReply(c, 1, 2);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->success);
  EXPECT_EQ(reply->match_index, 3u);
  EXPECT_EQ(TermsOf(c.replica(1).log()), (std::vector<Term>{1, 1, 3}));
  EXPECT_EQ(c.replica(1).log().at(3), leader[2]);
}

// An AppendEntries overtaken by a later one must not cut the entries the
// later one brought: nothing conflicts, so nothing is deleted.
TEST(ReplicationTest, StaleAppendDoesNotTruncate) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  std::vector<LogEntry> e = EntriesWithTerms({1, 1, 1, 1});
  c.Inject(0, 1, Append(1, 0, 0, e));
  TakeAppendReply(c, 1, 0);

  c.Inject(0, 1, Append(1, 1, 1, {e[1]}));
  std::optional<AppendReply> reply = TakeAppendReply(c, 1, 0);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->success);
  EXPECT_EQ(reply->match_index, 2u) << "what that append vouched for";
  EXPECT_EQ(c.replica(1).log().last_index(), 4u);
  EXPECT_EQ(c.replica(1).log().at(4), e[3]);
}

TEST(ReplicationTest, FollowerCommitNeverDecreases) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  std::vector<LogEntry> e = EntriesWithTerms({1, 1, 1, 1});
  c.Inject(0, 1, Append(1, 0, 0, e, /*commit=*/4));
  EXPECT_EQ(c.replica(1).commit_index(), 4u);
  EXPECT_EQ(c.replica(1).applied_index(), 4u);

  c.Inject(0, 1, Append(1, 1, 1, {e[1]}, /*commit=*/2));  // reordered, old
  EXPECT_EQ(c.replica(1).commit_index(), 4u);
}

// Figure 2: commitIndex = min(leaderCommit, index of last new entry). The
// follower's entries past what the append matched may still be replaced.
TEST(ReplicationTest, FollowerCommitsOnlyWhatTheAppendVouchedFor) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  c.Inject(0, 2, Append(2, 0, 0, EntriesWithTerms({1, 1, 2, 2}), 1));
  EXPECT_EQ(c.replica(2).commit_index(), 1u);

  c.Inject(1, 2, Append(3, 1, 1, {}, /*commit=*/4));
  EXPECT_EQ(c.replica(2).commit_index(), 1u)
      << "entries 2..4 are not known to match the term-3 leader's";
}

// --- The leader's side ------------------------------------------------------

TEST(ReplicationTest, ReplicatesAndCommitsEverywhere) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  ASSERT_TRUE(c.RunUntil([&] { return c.AllFollow(0); }, 3000 * kMs));
  for (int i = 1; i <= 3; ++i) {
    std::string n = std::to_string(i);
    c.Put(0, kClient, "put-" + n, "key-" + n, "value-" + n);
  }
  c.RunFor(500 * kMs);
  for (NodeId id : {0, 1, 2}) {
    const Replica& r = c.replica(id);
    EXPECT_EQ(TermsOf(r.log()), (std::vector<Term>{1, 1, 1, 1})) << id;
    EXPECT_TRUE(SameLog(r.log(), c.replica(0).log())) << id;
    EXPECT_EQ(r.commit_index(), 4u) << id;
    EXPECT_EQ(r.kv().Get("key-2"), "value-2") << id;
  }
  for (const char* mid : {"put-1", "put-2", "put-3"}) {
    ASSERT_NE(c.ReplyTo(mid), nullptr) << mid;
    EXPECT_EQ(c.ReplyTo(mid)->reply.kind, ReplyKind::kOk) << mid;
  }
}

TEST(ReplicationTest, LostAppendIsSentAgain) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  ASSERT_TRUE(c.RunUntil([&] { return c.AllFollow(0); }, 3000 * kMs));
  c.RunFor(200 * kMs);
  c.Put(0, kClient, "put-1", "k", "v");
  ASSERT_EQ(c.Drop([](const Message& m) {
    const AppendEntries* append = BodyAs<AppendEntries>(m);
    return append && !append->entries.empty();
  }),
            1)
      << "one append carries the put, down the chain";
  c.RunFor(stall_slack(c) - 1 * kMs);
  EXPECT_FALSE(c.ReplyTo("put-1")) << "resent before it could be late";
  // Resent once its acknowledgement is stall_slack late.
  c.RunFor(10 * kMs);
  ASSERT_TRUE(c.ReplyTo("put-1"));
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kOk);
  c.RunFor(TestConfig().lazy_interval + 100 * kMs);
  for (NodeId id : {1, 2}) {
    EXPECT_TRUE(SameLog(c.replica(id).log(), c.replica(0).log())) << id;
    EXPECT_EQ(c.replica(id).kv().Get("k"), "v") << id;
  }
}

// Each replica numbers what it sends to each peer (Message::seq), and a
// receiver counts the gaps as lost (LinkLoss); its acknowledgements carry
// the counts to the leader.
TEST(ReplicationTest, FollowersCountTheDatagramsLostOnTheWay) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  ASSERT_TRUE(c.RunUntil([&] { return c.AllFollow(0); }, 3000 * kMs));
  const LinkCounts before = c.replica(1).link_loss().counts();
  int seen = 0;
  int dropped = 0;
  std::vector<AppendReply> replies;
  for (int i = 1; i <= 30; ++i) {
    c.Put(0, kClient, "put-" + std::to_string(i), "k", "v");
    for (int hop = 0; hop < 20 && !c.pending().empty(); ++hop) {
      for (const AppendReply& r : c.PendingBodies<AppendReply>(1, 0)) {
        replies.push_back(r);
      }
      dropped += c.Drop([&](const Message& m) {
        return m.src == 0 && m.dst == 1 && ++seen % 3 == 0;
      });
      c.DeliverAll();
    }
    c.AdvanceBy(100 * kMs);
  }
  ASSERT_GE(dropped, 10);
  // A loss shows when the next one arrives.
  c.RunFor(TestConfig().heartbeat_interval + 100 * kMs);
  const LinkCounts after = c.replica(1).link_loss().counts();
  EXPECT_EQ(after.lost - before.lost, static_cast<uint64_t>(dropped));
  EXPECT_GT(after.arrived - before.arrived,
            static_cast<uint64_t>(seen - dropped));
  // The follower said so: its last acknowledgements carry its counts.
  ASSERT_FALSE(replies.empty());
  EXPECT_GT(replies.back().link_lost, before.lost);
  EXPECT_LE(replies.back().link_lost, after.lost);
  EXPECT_GT(replies.back().link_arrived, before.arrived);
}

TEST(ReplicationTest, FollowersApplyInLogOrder) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  ASSERT_TRUE(c.RunUntil([&] { return c.AllFollow(0); }, 3000 * kMs));
  c.Put(0, kClient, "put-1", "k", "v1");
  c.Put(0, kClient, "put-2", "k", "v2");
  c.Put(0, kClient, "put-3", "k", "v3");
  c.RunFor(500 * kMs);
  for (NodeId id : {0, 1, 2}) {
    EXPECT_EQ(c.replica(id).applied_index(), 4u) << id;
    EXPECT_EQ(c.replica(id).kv().Get("k"), "v3") << id;
  }
  // (The cluster checks after every step that each kv is the in-order
  // replay of its applied prefix, and that commit never decreases.)
}

// Figure 7 of the Raft paper: a leader of term 8 whose log holds terms
// 1 1 1 4 4 5 5 6 6 6 meets followers (a)-(f). Every follower ends with the
// leader's log, and the conflict hints make that take a few round trips,
// not one per entry: with one-at-a-time backtracking (f) alone would take 8.
TEST(ReplicationTest, Figure7FollowersConvergeInFewRoundTrips) {
  std::vector<Micros> timeouts(7, 1000 * kMs);
  timeouts[0] = 1200 * kMs;  // the leader-to-be campaigns after the rest
  TestCluster c(7, timeouts);

  const std::vector<Term> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  const std::vector<std::vector<Term>> followers = {
      {1, 1, 1, 4, 4, 5, 5, 6, 6},           // (a)
      {1, 1, 1, 4},                          // (b)
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},     // (c)
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},  // (d)
      {1, 1, 1, 4, 4, 4, 4},                 // (e)
      {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},     // (f)
  };
  // Entries of the same index and term are the same entry (Log Matching).
  c.Inject(1, 0, Append(6, 0, 0, EntriesWithTerms(leader_log, "fig7")));
  c.Inject(4, 0, Append(7, 10, 6, {}));  // 0 has seen term 7
  for (NodeId id = 1; id <= 6; ++id) {
    const std::vector<Term>& terms = followers[id - 1];
    c.Inject(id == 1 ? 2 : 1, id,
             Append(terms.back(), 0, 0, EntriesWithTerms(terms, "fig7")));
  }
  c.DropAll();

  // The followers' timers fire first; their campaigns are lost. Then 0
  // campaigns for term 8, and only its traffic flows.
  c.AdvanceTo(1000 * kMs);
  c.DropAll();
  c.AdvanceTo(1200 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  // (c) and (d) hold entries 0 lacks: they refuse it and campaign
  // themselves (election.cc, CampaignAhead). Their election traffic is
  // lost too, so that 0 wins as in the paper.
  for (int hop = 0; hop < 100; ++hop) {
    c.Drop([](const Message& m) {
      return (m.src == 3 || m.src == 4) &&
             (BodyAs<VoteRequest>(m) || BodyAs<VoteReply>(m));
    });
    if (c.pending().empty()) {
      if (c.replica(0).role() == Role::kLeader) break;
      // A majority granted; 0 waits ballot_linger for 3 and 4's answers.
      c.AdvanceBy(ReplicaConfig().ballot_linger);
    }
    c.DeliverAll();
  }
  ASSERT_EQ(c.replica(0).role(), Role::kLeader);
  ASSERT_EQ(c.replica(0).term(), 8u);

  const RaftLog& leader = c.replica(0).log();
  std::vector<Term> expected = leader_log;
  expected.push_back(8);  // the no-op
  EXPECT_EQ(TermsOf(leader), expected);
  for (NodeId id = 1; id <= 6; ++id) {
    const char name = static_cast<char>('a' + id - 1);
    EXPECT_TRUE(SameLog(c.replica(id).log(), leader))
        << "(" << name << ") ended with "
        << ::testing::PrintToString(TermsOf(c.replica(id).log()));
    int appends = c.CountDelivered([id](const Message& m) {
      const AppendEntries* append = BodyAs<AppendEntries>(m);
      return append && append->term == 8 && m.dst == id;
    });
    EXPECT_LE(appends, 4) << "(" << name << ") needed " << appends
                          << " AppendEntries";
  }

  // The term-8 no-op is on a majority: it commits, and with it every
  // earlier entry (of terms 1 to 6) before it.
  EXPECT_EQ(c.replica(0).commit_index(), 11u);
  EXPECT_EQ(c.replica(0).kv().size(), leader_log.size());

  // The next keepalive carries the commit index to the followers (the ones
  // off the chain hear from the leader every lazy_interval).
  c.AdvanceBy(TestConfig().lazy_interval);
  c.Stabilize();
  for (NodeId id = 1; id <= 6; ++id) {
    EXPECT_EQ(c.replica(id).commit_index(), 11u) << id;
    EXPECT_EQ(c.replica(id).kv().data(), c.replica(0).kv().data()) << id;
  }
}

// Figure 8 of the Raft paper, situation (c): the leader S1 of term 4 has
// [1, 2] and its own no-op [4]. Replicating its term-2 entry to a majority
// does NOT commit it: S5 (with [1, 3]) could still be elected and overwrite
// it. Only when the term-4 entry is on a majority do both commit (§5.4.2).
TEST(ReplicationTest, Figure8EarlierTermEntryIsNotCommittedByCounting) {
  ReplicaConfig base = TestConfig();
  base.max_entries_per_append = 1;  // so that entry 2 travels on its own
  std::vector<ReplicaConfig> configs = MakeConfigs(
      5, {1200 * kMs, 1000 * kMs, 1000 * kMs, 1000 * kMs, 1000 * kMs}, base);
  TestCluster c(configs);
  const NodeId s1 = 0, s2 = 1, s3 = 2, s4 = 3, s5 = 4;

  // (a)/(b): S1 led term 2 and wrote entry 2; S5 led term 3 and wrote its
  // own entry 2. S1 knows term 3 exists.
  c.Inject(s2, s1, Append(2, 0, 0, EntriesWithTerms({1, 2}, "fig8")));
  c.Inject(s5, s1, Append(3, 2, 3, {}));
  for (NodeId id : {s2, s3, s4}) {
    c.Inject(s1, id, Append(1, 0, 0, EntriesWithTerms({1}, "fig8")));
  }
  c.Inject(s2, s5, Append(3, 0, 0, EntriesWithTerms({1, 3}, "fig8")));
  c.DropAll();
  ASSERT_EQ(c.replica(s1).term(), 3u);
  ASSERT_EQ(TermsOf(c.replica(s1).log()), (std::vector<Term>{1, 2}));

  // S1 is elected in term 4 (S2, S3, S4 vote for it; S5 refuses).
  c.AdvanceTo(1000 * kMs);
  c.DropAll();
  c.AdvanceTo(1200 * kMs);
  // S5's refusals are lost: told that S5's log is ahead, S1 would stand
  // aside for it (election.cc), and the paper's S1 wins. So S1 waits
  // ballot_linger for an answer that does not come, then wins.
  for (int hop = 0; hop < 10 && c.replica(s1).role() != Role::kLeader; ++hop) {
    c.Drop([&](const Message& m) {
      return m.src == s5 && (BodyAs<VoteRequest>(m) || BodyAs<VoteReply>(m));
    });
    if (c.pending().empty()) c.AdvanceBy(ReplicaConfig().ballot_linger);
    c.DeliverAll();
  }
  ASSERT_EQ(c.replica(s1).role(), Role::kLeader);
  ASSERT_EQ(c.replica(s1).term(), 4u);
  ASSERT_EQ(TermsOf(c.replica(s1).log()), (std::vector<Term>{1, 2, 4}));

  // (c): S1 brings entry 2 to S2 and S3, but its term-4 entry is lost.
  auto carries_term_4 = [](const Message& m) {
    const AppendEntries* append = BodyAs<AppendEntries>(m);
    if (append == nullptr) return false;
    for (const LogEntry& e : append->entries) {
      if (e.term == 4) return true;
    }
    return false;
  };
  auto acked = [&](NodeId from, LogIndex index) {
    return c.CountDelivered([=](const Message& m) {
      const AppendReply* r = BodyAs<AppendReply>(m);
      return r && m.src == from && r->success && r->match_index == index;
    }) > 0;
  };
  ASSERT_TRUE(RunRounds(
      c,
      [&](const Message& m) {
        return Between(m, s1, {s2, s3}) && !carries_term_4(m);
      },
      [&] { return acked(s2, 2) && acked(s3, 2); }))
      << "scenario: S2 and S3 must acknowledge entry 2 alone";
  EXPECT_EQ(TermsOf(c.replica(s2).log()), (std::vector<Term>{1, 2}));
  EXPECT_EQ(TermsOf(c.replica(s3).log()), (std::vector<Term>{1, 2}));
  EXPECT_EQ(c.replica(s1).commit_index(), 0u)
      << "entry 2 (term 2) is on S1, S2, S3 but must not count as committed";

  // The term-4 entry reaches S2: still short of a majority.
  ASSERT_TRUE(RunRounds(
      c, [&](const Message& m) { return Between(m, s1, {s2}); },
      [&] { return acked(s2, 3); }));
  EXPECT_EQ(c.replica(s1).commit_index(), 0u);

  // ...and S3: entry 3 is on a majority, and commits with entry 2.
  ASSERT_TRUE(RunRounds(
      c, [&](const Message& m) { return Between(m, s1, {s3}); },
      [&] { return acked(s3, 3); }));
  EXPECT_EQ(c.replica(s1).commit_index(), 3u);
  EXPECT_EQ(c.replica(s1).applied_index(), 3u);

  // Everyone converges on S1's log; S5's term-3 entry is replaced.
  c.RunFor(1000 * kMs);
  for (NodeId id : {s2, s3, s4, s5}) {
    EXPECT_TRUE(SameLog(c.replica(id).log(), c.replica(s1).log())) << id;
    EXPECT_EQ(c.replica(id).commit_index(), 3u) << id;
  }
  EXPECT_TRUE(c.AllFollow(s1));
}

}  // namespace
}  // namespace stepwise

// Client gets and puts: when they are answered, where they are redirected,
// that each MID gets exactly one reply, and that gets stay linearizable
// across a leader change. (The cluster itself fails the test on a second
// reply to any MID, and on a put answered ok before its entry committed.)

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "replica/replica.h"
#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::BodyAs;
using ::stepwise::testing::CapturedReply;
using ::stepwise::testing::MakeConfigs;
using ::stepwise::testing::Replied;
using ::stepwise::testing::SettleWithLeaderZero;
using ::stepwise::testing::TestCluster;
using ::stepwise::testing::TestConfig;
using ::stepwise::testing::ThreeReplicas;

constexpr Micros kMs = kMillis;
constexpr NodeId kClient = 0x0100;

// Three replicas, 0 leading, with its lease over and CheckQuorum not yet
// due, and nothing in flight: what 0 sends from here on reaches nobody
// unless a test delivers it. The deposed-leader tests start here.
TestCluster ZeroLeadingWithItsLeaseOut() {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.AdvanceBy(950 * kMs);
  c.DropAll();
  return c;
}

// What 1, elected in term 2, sends 0 first: its no-op at index 2, right
// after 0's no-op of term 1.
AppendEntries NoopOfANewLeader(LogIndex commit) {
  LogEntry noop;
  noop.term = 2;
  AppendEntries append;
  append.term = 2;
  append.prev_index = 1;
  append.prev_term = 1;
  append.entries = {noop};
  append.commit = commit;
  return append;
}

// --- Puts -------------------------------------------------------------------

// Chain replication (replication.cc): the leader sends the put to the head
// of its chain, which relays it to the tail; with the leader, the head and
// the tail hold it (3 of 5), so the tail commits it and answers the client,
// naming the leader. Nobody answers before a majority holds it.
TEST(ClientRequestsTest, PutIsAnsweredOnlyOnceAMajorityHasIt) {
  TestCluster c(5,
                {1000 * kMs, 1500 * kMs, 2000 * kMs, 2500 * kMs, 3000 * kMs});
  SettleWithLeaderZero(c);

  c.Put(0, kClient, "put-1", "k", "v1");
  EXPECT_FALSE(Replied(c, "put-1")) << "not even appended anywhere else";
  std::vector<Message> sent = c.Pending([](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return a && m.src == 0 && a->entries.size() == 1;
  });
  ASSERT_EQ(sent.size(), 1u)
      << "one append, to the head of the chain, not one per follower";
  const NodeId head = sent[0].dst;
  ASSERT_EQ(BodyAs<AppendEntries>(sent[0])->relay.size(), 1u);
  const NodeId tail = BodyAs<AppendEntries>(sent[0])->relay[0];

  c.DeliverAll();  // the head appends it and relays it
  EXPECT_FALSE(Replied(c, "put-1")) << "2 of 5 is not a majority";
  EXPECT_EQ(c.replica(head).commit_index(), 1u);
  EXPECT_TRUE(c.Pending([](const Message& m) {
                 return m.dst == 0 && BodyAs<AppendReply>(m);
               }).empty())
      << "a relayer does not acknowledge: the tail does for it";

  c.DeliverAll();  // the tail appends it: 3 of 5
  ASSERT_TRUE(Replied(c, "put-1")) << "3 of 5 is";
  EXPECT_EQ(c.ReplyTo("put-1")->from, tail);
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("put-1")->leader, 0);
  EXPECT_EQ(c.replica(tail).commit_index(), 2u);
  EXPECT_EQ(c.replica(tail).kv().Get("k"), "v1");
  EXPECT_EQ(c.replica(0).commit_index(), 1u) << "the ack is still on its way";

  c.DeliverAll();  // the tail's ack, for the head too
  EXPECT_EQ(c.replica(0).commit_index(), 2u);
  EXPECT_EQ(c.replica(0).kv().Get("k"), "v1");
  c.RunFor(3 * kSeconds);
  EXPECT_EQ(c.ReplyCount("put-1"), 1);
  for (NodeId id = 1; id < 5; ++id) {
    EXPECT_EQ(c.replica(id).kv().Get("k"), "v1") << "replica " << id;
  }
}

// --- Puts too large for a datagram -------------------------------------------

// An entry that no append could carry would stop replication for good,
// every later entry queued behind it: the put is refused instead.
TEST(ClientRequestsTest, PutTooLargeForAnyAppendIsRefused) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  const LogIndex last = c.replica(0).log().last_index();
  c.Put(0, kClient, "huge", "k",
        std::string(TestConfig().max_append_bytes, 'v'));
  ASSERT_TRUE(Replied(c, "huge"));
  EXPECT_EQ(c.ReplyTo("huge")->reply.kind, ReplyKind::kFail);
  EXPECT_EQ(c.replica(0).log().last_index(), last) << "not in the log";
  EXPECT_EQ(c.replica(0).stats().oversized_requests, 1u);
  c.Put(0, kClient, "after", "k", "v");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "after"); }, c.now() + 1000 * kMs));
  EXPECT_EQ(c.ReplyTo("after")->reply.kind, ReplyKind::kOk);
}

// So is a get whose entry no append could carry, once it must go through
// the log (its lease is out: reads.cc); nothing is appended for it.
TEST(ClientRequestsTest, GetTooLargeForAnyAppendIsRefusedWhenItMustBeLogged) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.RunFor(2 * kSeconds);  // the lease is out
  ASSERT_FALSE(c.replica(0).LeaseValid(c.now()));
  const LogIndex last = c.replica(0).log().last_index();
  c.Get(0, kClient, "huge", std::string(TestConfig().max_append_bytes, 'k'));
  ASSERT_TRUE(Replied(c, "huge"));
  EXPECT_EQ(c.ReplyTo("huge")->reply.kind, ReplyKind::kFail);
  EXPECT_EQ(c.replica(0).log().last_index(), last) << "not in the log";
  EXPECT_EQ(c.replica(0).stats().oversized_requests, 1u);
  EXPECT_EQ(c.replica(0).stats().gets_in_log, 0u);
}

// A follower far behind on large entries catches up in several appends,
// each within max_append_bytes, rather than in one no datagram can hold.
TEST(ClientRequestsTest, LargeEntriesCatchUpInAppendsThatFitADatagram) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  const size_t budget = TestConfig().max_append_bytes;
  c.Isolate(2);
  for (int i = 0; i < 6; ++i) {
    const std::string mid = "big-" + std::to_string(i);
    c.Put(0, kClient, mid, "k" + std::to_string(i),
          std::string(budget / 3, static_cast<char>('a' + i)));
    ASSERT_TRUE(
        c.RunUntil([&] { return Replied(c, mid); }, c.now() + 1000 * kMs));
  }
  c.Heal();
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.replica(2).log().last_index() ==
               c.replica(0).log().last_index();
      },
      c.now() + 5000 * kMs));
  int appends_to_2 = 0;
  for (const TestCluster::Envelope& envelope : c.delivered()) {
    const AppendEntries* append = BodyAs<AppendEntries>(envelope.message);
    if (append == nullptr || append->entries.size() < 2) continue;
    size_t bytes = 0;
    for (const LogEntry& entry : append->entries) {
      bytes += EntryWireBound(entry);
    }
    EXPECT_LE(bytes, budget) << append->entries.size() << " entries";
    if (envelope.message.dst == 2) ++appends_to_2;
  }
  EXPECT_GT(appends_to_2, 0) << "the catch-up took appends of two entries";
  EXPECT_EQ(c.replica(2).kv().data(), c.replica(0).kv().data());
}

// --- Gets -------------------------------------------------------------------

TEST(ClientRequestsTest, GetReturnsTheLatestCommittedValue) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-1"); }, c.now() + kSeconds));
  c.Put(0, kClient, "put-2", "k", "v2");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-2"); }, c.now() + kSeconds));

  c.Get(0, kClient, "get-1", "k");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v2");

  // While a put to its key is on its way, a get goes in the log behind it
  // (reads.cc): the client may hear "ok" for it from the chain's tail
  // before the leader applies it, and checks every get against the last put
  // it was told is stored.
  c.Put(0, kClient, "put-3", "k", "v3");
  c.Get(0, kClient, "get-2", "k");
  c.Get(0, kClient, "get-other", "other-key");
  EXPECT_FALSE(Replied(c, "get-2")) << "goes behind put-3";
  ASSERT_TRUE(Replied(c, "get-other")) << "the lease is fresh: at once";
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-2"); }, c.now() + kSeconds));
  ASSERT_TRUE(Replied(c, "put-3"));
  EXPECT_LT(c.ReplyTo("put-3")->at, c.ReplyTo("get-2")->at + 1);
  EXPECT_EQ(c.ReplyTo("get-2")->reply.value, "v3");
  c.Get(0, kClient, "get-3", "k");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-3"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-3")->reply.value, "v3");

  c.Get(0, kClient, "get-missing", "never-written");
  ASSERT_TRUE(c.RunUntil([&] { return Replied(c, "get-missing"); },
                         c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-missing")->reply.value, "");
}

TEST(ClientRequestsTest, GetIsServedFromTheLeaseWithoutARoundTrip) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  c.Stabilize();
  ASSERT_TRUE(c.replica(0).LeaseValid(c.now()));
  c.Get(0, kClient, "get-1", "k");
  ASSERT_TRUE(Replied(c, "get-1")) << "answered in the same step";
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
}

// With no majority ack of an append sent within the lease, a leader may
// already have been replaced: the get goes through the log, and is answered
// once a majority holds its entry.
TEST(ClientRequestsTest, GetAfterTheLeaseExpiredGoesThroughTheLog) {
  ReplicaConfig base = TestConfig();
  base.lease_margin = 500 * kMs;  // lease = 1000 - 500 ms
  TestCluster c(MakeConfigs(3, {1000 * kMs, 1500 * kMs, 2000 * kMs}, base));
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-1"); }, c.now() + kSeconds));
  c.RunFor(200 * kMs);

  c.Isolate(0);
  c.RunFor(600 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kLeader) << "scenario: still leads";
  EXPECT_FALSE(c.replica(0).LeaseValid(c.now()));
  c.Get(0, kClient, "get-1", "k");
  EXPECT_FALSE(Replied(c, "get-1")) << "no answer from an expired lease";

  c.Heal();
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + 50 * kMs))
      << "one round down the chain commits it";
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
}

// A new leader's state machine may lag: it must not answer a get before its
// own no-op commits (which commits everything before it), even once a
// majority has answered it (Raft §8; the lease alone is not enough). The
// get goes through the log instead (reads.cc), behind the no-op.
TEST(ClientRequestsTest, NewLeaderAnswersGetsOnlyAfterItsNoopCommits) {
  TestCluster c = ThreeReplicas();
  c.AdvanceTo(1000 * kMs);  // 0 campaigns...
  c.DeliverAll();
  c.DeliverAll();  // ...wins its pre-vote...
  c.DeliverAll();
  c.DeliverAll();  // ...and its election
  ASSERT_EQ(c.replica(0).role(), Role::kLeader);
  const LogIndex noop = c.replica(0).log().last_index();
  c.DropAll();  // its no-op goes nowhere

  // 1 answers an append of this term, refusing it: a majority (0 and 1)
  // has heard 0 lately, but the no-op is not committed.
  AppendReply refusal;
  refusal.term = c.replica(0).term();
  refusal.conflict_index = noop;
  refusal.sent_at = c.now();
  c.Inject(1, 0, refusal);
  c.DropAll();
  EXPECT_FALSE(c.replica(0).LeaseValid(c.now()));
  c.Get(0, kClient, "get-1", "k");
  EXPECT_FALSE(Replied(c, "get-1"));
  // It goes through the log, after the no-op, and is answered once that
  // entry commits: with the no-op before it.
  ASSERT_EQ(c.replica(0).log().last_index(), noop + 1);
  EXPECT_TRUE(c.replica(0).log().at(noop + 1).is_get);
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "");
  EXPECT_GE(c.replica(c.ReplyTo("get-1")->from).commit_index(), noop + 1);
}

// The follower that becomes leader holds a put the old chain's tail
// committed and answered; it has not applied it yet. A get of that key waits
// until it has (and its answerer has said so): never the older value.
TEST(ClientRequestsTest, NewLeaderNeverServesAGetFromBeforeAnAnsweredPut) {
  TestCluster c(5,
                {1000 * kMs, 1500 * kMs, 2000 * kMs, 2500 * kMs, 3000 * kMs});
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  std::vector<Message> sent = c.Pending(
      [](const Message& m) { return BodyAs<AppendEntries>(m) != nullptr; });
  ASSERT_EQ(sent.size(), 1u);
  const NodeId head = sent[0].dst;
  c.DeliverAll();
  c.DeliverAll();
  ASSERT_TRUE(Replied(c, "put-1"));
  c.DropAll();  // the tail's ack: 0 and the head never learn the commit
  ASSERT_EQ(c.replica(head).commit_index(), 1u);
  c.Isolate(0);

  ASSERT_TRUE(c.RunUntil(
      [&] {
        NodeId leader = c.LeaderAmong({1, 2, 3, 4});
        return leader != kNoNode && c.replica(leader).log().has(2);
      },
      c.now() + 5000 * kMs));
  const NodeId leader = c.LeaderAmong({1, 2, 3, 4});
  c.Get(leader, kClient, "get-1", "k");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
  EXPECT_EQ(c.duplicates(), 0) << "the new leader does not answer put-1 again";
}

// --- Redirects and holding --------------------------------------------------

TEST(ClientRequestsTest, FollowerRedirectsToTheLeader) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.Get(1, kClient, "get-1", "k");
  c.Put(2, kClient, "put-1", "k", "v");
  for (const char* mid : {"get-1", "put-1"}) {
    ASSERT_TRUE(Replied(c, mid)) << mid << ": answered at once";
    EXPECT_EQ(c.ReplyTo(mid)->reply.kind, ReplyKind::kRedirect) << mid;
    EXPECT_EQ(c.ReplyTo(mid)->leader, 0) << mid;
  }
  EXPECT_EQ(c.replica(0).log().last_index(), 1u) << "the put was not done";
}

TEST(ClientRequestsTest, RequestWithNoLeaderIsHeldThenRedirected) {
  TestCluster c = ThreeReplicas();
  c.AdvanceTo(100 * kMs);
  c.Put(1, kClient, "put-1", "k", "v");
  EXPECT_FALSE(Replied(c, "put-1")) << "held: there is no leader to name";

  ASSERT_TRUE(c.RunUntil([&] { return Replied(c, "put-1"); }, 3000 * kMs));
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kRedirect);
  EXPECT_EQ(c.ReplyTo("put-1")->leader, 0);
  EXPECT_EQ(c.replica(1).leader(), 0);
  EXPECT_LT(c.ReplyTo("put-1")->at, 1100 * kMs)
      << "redirected as soon as the leader was known (elected at ~1 s)";
}

TEST(ClientRequestsTest, RequestHeldAtTheFutureLeaderIsServedThere) {
  TestCluster c = ThreeReplicas();
  c.AdvanceTo(100 * kMs);
  c.Get(0, kClient, "get-1", "k-get");
  c.Put(0, kClient, "put-1", "k-put", "v");
  EXPECT_FALSE(Replied(c, "get-1"));
  EXPECT_FALSE(Replied(c, "put-1"));
  ASSERT_TRUE(c.RunUntil(
      [&] { return Replied(c, "get-1") && Replied(c, "put-1"); }, 3000 * kMs));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "");
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kOk);
  c.RunFor(10 * kMs);  // the chain's tail answered; its ack follows
  EXPECT_EQ(c.replica(0).kv().Get("k-put"), "v");
}

TEST(ClientRequestsTest, HoldTimeoutRedirectsWithNoLeader) {
  TestCluster c = ThreeReplicas();
  c.Partition({{0}, {1}, {2}});  // nobody can be elected
  const Micros hold = c.replica(0).config().request_hold_timeout;
  c.RunUntil(100 * kMs);
  c.Put(0, kClient, "put-1", "k", "v");
  c.RunUntil(100 * kMs + hold - 1 * kMs);
  EXPECT_FALSE(Replied(c, "put-1"));
  c.RunUntil(100 * kMs + hold);
  ASSERT_TRUE(Replied(c, "put-1")) << "redirected after request_hold_timeout";
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kRedirect);
  EXPECT_EQ(c.ReplyTo("put-1")->leader, kNoNode);
}

// A follower whose leader went quiet does not send clients to it; it holds
// the request and redirects to whoever is elected.
TEST(ClientRequestsTest, FollowerOfADeadLeaderRedirectsToTheNextOne) {
  // Elections well within request_hold_timeout, as with the defaults.
  TestCluster c(3, {600 * kMs, 800 * kMs, 1000 * kMs});
  SettleWithLeaderZero(c);
  c.Isolate(0);
  c.RunFor(400 * kMs);
  c.Put(1, kClient, "put-1", "k", "v");
  EXPECT_FALSE(Replied(c, "put-1"))
      << "0 has been silent for longer than leader_contact_window";
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-1"); }, c.now() + 5000 * kMs));
  const CapturedReply& reply = *c.ReplyTo("put-1");
  const NodeId new_leader = c.LeaderAmong({1, 2});
  ASSERT_NE(new_leader, kNoNode)
      << "answered before any election: " << (reply.at - c.now()) / kMs
      << " ms ago";
  if (new_leader == 1) {
    EXPECT_EQ(reply.reply.kind, ReplyKind::kOk);
  } else {
    EXPECT_EQ(reply.reply.kind, ReplyKind::kRedirect);
    EXPECT_EQ(reply.leader, new_leader);
  }
}

// --- Leader changes ---------------------------------------------------------

// The old leader 0 is cut off with 1 (a minority) while 4 is elected on the
// majority side and commits a newer value. A get at 0 sent after that must
// not be answered with the old value. 0's CheckQuorum period (1500 ms) is
// long enough that it still believes it leads when v2 is acknowledged:
// only its lease (1500 - 800 ms) keeps it honest.
TEST(ClientRequestsTest, OldLeaderNeverServesAStaleGetAfterANewerPut) {
  std::vector<ReplicaConfig> configs =
      MakeConfigs(5, {1500 * kMs, 1600 * kMs, 800 * kMs, 850 * kMs, 900 * kMs});
  configs[0].lease_margin = 800 * kMs;  // lease 700 ms <= everyone's E_min
  TestCluster c(configs);

  // 0 campaigns alone (everyone else's early campaigns are lost).
  c.AdvanceTo(1500 * kMs);
  c.Drop([](const Message& m) { return m.src != 0; });
  c.Stabilize();
  ASSERT_TRUE(c.AllFollow(0));
  c.RunFor(300 * kMs);
  c.Put(0, kClient, "put-v1", "k", "v1");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-v1"); }, c.now() + kSeconds));
  c.RunFor(50 * kMs);

  const Micros cut = c.now();
  c.Partition({0, 1}, {2, 3, 4});
  std::vector<std::pair<std::string, Micros>> gets;
  Micros v2_acked = kNever;
  bool old_leader_led_at_v2 = false;
  bool v2_sent = false;
  for (Micros t = cut; t < cut + 3000 * kMs; t += 20 * kMs) {
    c.RunUntil(t);
    std::string mid = "get-" + std::to_string(gets.size());
    c.Get(0, kClient, mid, "k");
    gets.emplace_back(mid, t);
    NodeId leader = c.LeaderAmong({2, 3, 4});
    if (!v2_sent && leader != kNoNode) {
      c.Put(leader, kClient, "put-v2", "k", "v2");
      v2_sent = true;
    }
    if (v2_acked == kNever && Replied(c, "put-v2")) {
      ASSERT_EQ(c.ReplyTo("put-v2")->reply.kind, ReplyKind::kOk);
      v2_acked = c.ReplyTo("put-v2")->at;
      old_leader_led_at_v2 = c.replica(0).role() == Role::kLeader;
    }
  }
  ASSERT_NE(v2_acked, kNever) << "scenario: the majority side commits v2";
  EXPECT_TRUE(old_leader_led_at_v2)
      << "scenario: 0 should still think it leads when v2 is acknowledged, "
         "or this test no longer exercises the lease";

  c.Heal();
  c.RunFor(5000 * kMs);
  int served_from_lease = 0;
  for (const auto& [mid, sent] : gets) {
    ASSERT_EQ(c.ReplyCount(mid), 1) << mid;
    const CapturedReply& reply = *c.ReplyTo(mid);
    if (reply.reply.kind != ReplyKind::kOk) continue;
    if (sent > v2_acked) {
      EXPECT_EQ(reply.reply.value, "v2")
          << mid << " sent " << (sent - cut) / kMs << " ms after the cut, "
          << (sent - v2_acked) / kMs << " ms after v2's ok, answered at "
          << (reply.at - cut) / kMs << " ms by " << reply.from;
    } else if (reply.at < cut + 700 * kMs) {
      ++served_from_lease;
    }
  }
  EXPECT_GT(served_from_lease, 0) << "scenario: gets served during the lease";
}

// Leader 0 owes a get and a put when a newer leader's append reaches it.
// Both are entries in its log (the get's lease is out: reads.cc), which the
// new leader's no-op cuts; either could still have survived elsewhere and
// been answered by its answerer, so each waits until its index commits with
// another entry, and is then redirected to the new leader, once.
TEST(ClientRequestsTest, DeposedLeaderRedirectsAPutOnlyOnceItCannotCommit) {
  TestCluster c = ZeroLeadingWithItsLeaseOut();
  ASSERT_EQ(c.replica(0).role(), Role::kLeader);
  ASSERT_FALSE(c.replica(0).LeaseValid(c.now()));

  c.Get(0, kClient, "get-1", "k");
  c.Put(0, kClient, "put-1", "k", "v");
  EXPECT_FALSE(Replied(c, "get-1"));
  EXPECT_FALSE(Replied(c, "put-1"));
  c.DropAll();

  AppendEntries append = NoopOfANewLeader(/*commit=*/1);
  c.Inject(1, 0, append);

  EXPECT_EQ(c.replica(0).role(), Role::kFollower);
  EXPECT_EQ(c.replica(0).log().last_index(), 2u);
  EXPECT_TRUE(c.replica(0).log().at(2).is_noop())
      << "get-1's and put-1's entries were cut";
  // They wait until their indexes commit: their entries could still have
  // survived elsewhere and been answered by their answerer.
  EXPECT_EQ(c.ReplyCount("get-1"), 0);
  EXPECT_EQ(c.ReplyCount("put-1"), 0);

  append.prev_index = 2;
  append.prev_term = 2;
  append.entries.clear();
  append.commit = 2;
  c.Inject(1, 0, append);
  // Index 2 committed with another entry: neither can commit now.
  for (const char* mid : {"get-1", "put-1"}) {
    ASSERT_EQ(c.ReplyCount(mid), 1) << mid;
    EXPECT_EQ(c.ReplyTo(mid)->reply.kind, ReplyKind::kRedirect) << mid;
    EXPECT_EQ(c.ReplyTo(mid)->leader, 1) << mid;
  }
}

// A deposed leader's put whose index lies beyond the new leader's log need
// not wait for the log to grow that far (with few clients, that may take
// long): once an entry of a later term commits below it, the put's entry
// can never commit, and the client is told to retry.
TEST(ClientRequestsTest, DeposedLeaderRedirectsAPutBeyondALaterTermsCommit) {
  TestCluster c = ZeroLeadingWithItsLeaseOut();
  c.Put(0, kClient, "put-1", "k", "v1");  // index 2
  c.Put(0, kClient, "put-2", "k", "v2");  // index 3
  c.DropAll();
  ASSERT_EQ(c.replica(0).log().last_index(), 3u);

  c.Inject(1, 0, NoopOfANewLeader(/*commit=*/2));

  EXPECT_EQ(c.replica(0).commit_index(), 2u);
  ASSERT_EQ(c.ReplyCount("put-1"), 1) << "its index committed another entry";
  ASSERT_EQ(c.ReplyCount("put-2"), 1) << "index 3 is not even in the log";
  EXPECT_EQ(c.ReplyTo("put-2")->reply.kind, ReplyKind::kRedirect);
  EXPECT_EQ(c.ReplyTo("put-2")->leader, 1);
}

// The new leader's first append reaching the deposed leader is refused (its
// log differs at prev_index), but it shows that prev_index committed with
// an entry of the new term: the put there is dead, and is given back at
// once rather than after the repair, which may be lost.
TEST(ClientRequestsTest, DeposedLeaderRedirectsAPutARefusedAppendShowsDead) {
  TestCluster c = ZeroLeadingWithItsLeaseOut();
  c.Put(0, kClient, "put-1", "k", "v1");  // index 2, term 1
  c.DropAll();
  AppendEntries append = NoopOfANewLeader(/*commit=*/2);
  append.prev_index = 2;  // 1's no-op of term 2 is at index 2, committed
  append.prev_term = 2;
  append.entries.clear();
  c.Inject(1, 0, append);
  EXPECT_EQ(c.replica(0).role(), Role::kFollower);
  EXPECT_EQ(c.replica(0).log().term_at(2), 1u) << "refused: not merged";
  ASSERT_EQ(c.ReplyCount("put-1"), 1);
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kRedirect);
  EXPECT_EQ(c.ReplyTo("put-1")->leader, 1);
}

// The put never left the cut-off leader: it cannot commit, so its one
// reply is a redirect, whenever it comes.
TEST(ClientRequestsTest, DeposedLeaderLostPutGetsOneRedirect) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.RunFor(200 * kMs);
  c.Isolate(0);
  c.Put(0, kClient, "put-1", "k", "v");
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.LeaderAmong({1, 2}) != kNoNode;
      },
      c.now() + 5000 * kMs));
  c.Heal();
  c.RunFor(3000 * kMs);
  ASSERT_EQ(c.ReplyCount("put-1"), 1);
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kRedirect);
  for (NodeId id : {0, 1, 2}) EXPECT_EQ(c.replica(id).kv().Get("k"), "");
}

// The put reached 1 before 0 was cut off, so 1 is elected and commits it.
// 0 still owes the client exactly one reply: ok or redirect, never both.
TEST(ClientRequestsTest, DeposedLeaderSurvivingPutGetsOneReply) {
  TestCluster c = ThreeReplicas();
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v");
  c.Deliver([](const Message& m) { return m.dst == 1; });
  c.Isolate(0);  // 1's ack and the append to 2 are lost
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.LeaderAmong({1, 2}) != kNoNode;
      },
      c.now() + 5000 * kMs));
  EXPECT_EQ(c.LeaderAmong({1, 2}), 1) << "only 1 has the entry";
  c.Heal();
  c.RunFor(3000 * kMs);
  ASSERT_EQ(c.ReplyCount("put-1"), 1);
  EXPECT_NE(c.ReplyTo("put-1")->reply.kind, ReplyKind::kFail);
  for (NodeId id : {0, 1, 2}) EXPECT_EQ(c.replica(id).kv().Get("k"), "v");
}

// --- Exactly one reply, under churn -----------------------------------------

// A stream of requests to every replica while leaders are cut off and
// partitions come and go: every MID gets exactly one reply, and every ok'd
// get returns the value of the (single, acknowledged) put to its key.
TEST(ClientRequestsTest, EveryRequestGetsExactlyOneReplyUnderChurn) {
  TestCluster c(5,
                {1000 * kMs, 1200 * kMs, 1400 * kMs, 1600 * kMs, 1800 * kMs});
  struct PutRecord {
    std::string mid, key, value;
  };
  std::vector<PutRecord> puts;
  std::vector<std::pair<std::string, std::string>> gets;  // mid, expected
  std::vector<std::string> acked_keys;
  std::map<std::string, std::string> value_of;

  int n = 0;
  for (Micros t = 1500 * kMs; t < 14000 * kMs; t += 25 * kMs, ++n) {
    c.RunUntil(t);
    if (t == 3000 * kMs) {
      ASSERT_NE(c.LeaderAmong(), kNoNode);
      c.Isolate(c.LeaderAmong());
    }
    if (t == 5000 * kMs) c.Heal();
    if (t == 7000 * kMs) c.Partition({0, 1}, {2, 3, 4});
    if (t == 9000 * kMs) c.Heal();
    for (const PutRecord& p : puts) {
      if (!value_of.count(p.key) && c.ReplyTo(p.mid) &&
          c.ReplyTo(p.mid)->reply.kind == ReplyKind::kOk) {
        value_of[p.key] = p.value;
        acked_keys.push_back(p.key);
      }
    }
    NodeId to = static_cast<NodeId>(n % 5);
    std::string id = std::to_string(n);
    if (n % 2 == 0 || acked_keys.empty()) {
      puts.push_back({"put-" + id, "key-" + id, "value-" + id});
      c.Put(to, kClient, puts.back().mid, puts.back().key, puts.back().value);
    } else {
      const std::string& key = acked_keys.back();
      gets.emplace_back("get-" + id, value_of[key]);
      c.Get(to, kClient, gets.back().first, key);
    }
  }
  c.Heal();
  c.RunFor(5000 * kMs);

  EXPECT_TRUE(c.Unanswered().empty())
      << c.Unanswered().size() << " unanswered, e.g. " << c.Unanswered()[0];
  int ok_gets = 0;
  for (const auto& [mid, expected] : gets) {
    const CapturedReply* reply = c.ReplyTo(mid);
    if (reply == nullptr || reply->reply.kind != ReplyKind::kOk) continue;
    ++ok_gets;
    EXPECT_EQ(reply->reply.value, expected) << mid;
  }
  EXPECT_GT(ok_gets, 20) << "scenario: gets must be served";
  EXPECT_GT(acked_keys.size(), 20u) << "scenario: puts must commit";
}

}  // namespace
}  // namespace stepwise

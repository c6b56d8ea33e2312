// Gets through the log (reads.cc): a get the leader cannot answer from its
// lease becomes an entry, answered by its answerer with the key's value at
// the entry's place in the log, in log order with the key's puts, and it
// outlives the leader that took it as a put does.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replica/replica.h"
#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::BodyAs;
using ::stepwise::testing::FiveReplicas;
using ::stepwise::testing::MakeConfigs;
using ::stepwise::testing::Replied;
using ::stepwise::testing::SettleWithLeaderZero;
using ::stepwise::testing::TestCluster;
using ::stepwise::testing::TestConfig;

constexpr Micros kMs = kMillis;
constexpr NodeId kClient = 0x0100;

// Leader 0 takes a put, it is answered and nothing is left in flight.
void PutAndSettle(TestCluster& c, const std::string& mid,
                  const std::string& key, const std::string& value) {
  c.Put(0, kClient, mid, key, value);
  ASSERT_TRUE(c.RunUntil([&] { return Replied(c, mid); }, c.now() + kSeconds));
  c.Stabilize();
}

// `get` was answered ok with `value`, after `put`'s ok, and a second
// later still once: no duplicate anywhere.
void ExpectAnsweredOnceAfter(TestCluster& c, const std::string& get,
                             const std::string& put, const std::string& value) {
  ASSERT_TRUE(Replied(c, get));
  ASSERT_TRUE(Replied(c, put));
  EXPECT_EQ(c.ReplyTo(get)->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo(get)->reply.value, value);
  EXPECT_LE(c.ReplyTo(put)->at, c.ReplyTo(get)->at);
  c.RunFor(kSeconds);
  EXPECT_EQ(c.ReplyCount(get), 1);
  EXPECT_EQ(c.duplicates(), 0);
}

// The chain leader 0 sends new entries down: head first, tail last.
std::vector<NodeId> ChainOf(TestCluster& c) {
  std::vector<Message> sent = c.Pending(
      [](const Message& m) { return BodyAs<AppendEntries>(m) != nullptr; });
  EXPECT_EQ(sent.size(), 1u);
  if (sent.empty()) return {};
  std::vector<NodeId> chain = {sent[0].dst};
  for (NodeId relay : BodyAs<AppendEntries>(sent[0])->relay) {
    chain.push_back(relay);
  }
  return chain;
}

// With a put to its key not known to be answered, the leader cannot tell
// whether the client has heard "ok" yet: the get goes in the log behind the
// put, to the put's answerer, which answers the put and then the get.
TEST(ReadsTest, GetBehindAnUnansweredPutIsAnsweredByThePutsAnswerer) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  const std::vector<NodeId> chain = ChainOf(c);
  ASSERT_EQ(chain.size(), 2u);
  const NodeId tail = chain.back();
  c.Get(0, kClient, "get-1", "k");
  c.Get(0, kClient, "get-other", "other-key");
  ASSERT_TRUE(Replied(c, "get-other")) << "no put pending: from the lease";
  EXPECT_FALSE(Replied(c, "get-1"));
  const LogIndex get_index = c.replica(0).log().last_index();
  ASSERT_TRUE(c.replica(0).log().at(get_index).is_get);
  EXPECT_EQ(c.replica(0).log().at(get_index).key, "k");

  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  ASSERT_TRUE(Replied(c, "put-1"));
  EXPECT_EQ(c.ReplyTo("put-1")->from, tail);
  EXPECT_EQ(c.ReplyTo("get-1")->from, tail);
  ExpectAnsweredOnceAfter(c, "get-1", "put-1", "v1");
  EXPECT_EQ(c.replica(0).stats().gets_in_log, 1u);
  // It changed nothing.
  for (NodeId id = 0; id < 5; ++id) {
    EXPECT_EQ(c.replica(id).kv().size(), 1u) << id;
  }
}

// Leader 0 takes a put and a get of its key; their chain append reaches the
// head and no further, and 0 dies. Held at 0 waiting for the put, the get
// would have died with it; in the log, the head carries it to the next
// term, and it is answered there, once, after its put and with its value.
TEST(ReadsTest, GetInTheLogOutlivesItsLeader) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  PutAndSettle(c, "put-1", "k", "v1");

  c.AdvanceBy(10 * kMs);
  c.Put(0, kClient, "put-2", "k", "v2");
  const std::vector<NodeId> chain = ChainOf(c);
  ASSERT_EQ(chain.size(), 2u);
  const NodeId head = chain.front();
  c.Get(0, kClient, "get-1", "k");
  c.AdvanceBy(5 * kMs);  // the get's batch window: its chain append is out
  EXPECT_FALSE(Replied(c, "get-1"));
  c.Deliver([&](const Message& m) { return m.src == 0 && m.dst == head; });
  c.Isolate(0);  // killed: nothing more from it or to it
  c.DropAll();   // and the head's relays to the tail are lost
  const LogIndex get_index = c.replica(0).log().last_index();
  ASSERT_TRUE(c.replica(0).log().at(get_index).is_get);
  ASSERT_TRUE(c.replica(head).log().has(get_index)) << "the head holds it";

  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + 10 * kSeconds));
  NodeId leader = c.LeaderAmong({1, 2, 3, 4});
  ASSERT_NE(leader, kNoNode);
  EXPECT_GT(c.replica(leader).term(), c.replica(0).term());
  ASSERT_TRUE(Replied(c, "put-2"));
  ExpectAnsweredOnceAfter(c, "get-1", "put-2", "v2");
}

// The answerer of a get and of the put after it falls silent: the leader
// answers both in its place once it has been silent for answer_takeover,
// in log order. By then the leader has applied the later put, so the get's
// value comes from the log, at the get's place: the value before the put.
TEST(ReadsTest, TakenOverGetAnswersTheValueAtItsPlaceInTheLog) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  PutAndSettle(c, "put-1", "k", "v1");
  const NodeId tail = c.ReplyTo("put-1")->from;

  c.AdvanceBy(10 * kMs);
  c.Isolate(tail);
  const Micros cut = c.now();
  c.Put(0, kClient, "put-2", "k", "v2");
  c.Get(0, kClient, "get-1", "k");
  c.Put(0, kClient, "put-3", "k", "v3");
  const LogIndex last = c.replica(0).log().last_index();
  ASSERT_TRUE(c.replica(0).log().at(last - 1).is_get);

  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-3"); }, c.now() + 10 * kSeconds));
  for (const char* mid : {"put-2", "get-1", "put-3"}) {
    ASSERT_TRUE(Replied(c, mid)) << mid;
    EXPECT_EQ(c.ReplyTo(mid)->from, 0) << mid << ": taken over";
    EXPECT_EQ(c.ReplyTo(mid)->reply.kind, ReplyKind::kOk) << mid;
  }
  EXPECT_GE(c.ReplyTo("put-2")->at, cut + ReplicaConfig().answer_takeover);
  EXPECT_LE(c.ReplyTo("put-2")->at, c.ReplyTo("get-1")->at);
  EXPECT_LE(c.ReplyTo("get-1")->at, c.ReplyTo("put-3")->at);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v2");
  EXPECT_EQ(c.replica(0).kv().Get("k"), "v3");
  EXPECT_EQ(c.duplicates(), 0);
}

// A burst of gets while the lease is out (the clients an election held, all
// back at once) puts only max_gets_in_log of them in the log; the others
// wait for the lease that those entries' acknowledgement renews, and are
// served from it, adding nothing to the log.
TEST(ReadsTest, GetsBeyondTheCapWaitForTheLeaseTheOthersRenew) {
  ReplicaConfig base = TestConfig();
  base.max_gets_in_log = 2;
  TestCluster c(MakeConfigs(3, {1000 * kMs, 1500 * kMs, 2000 * kMs}, base));
  SettleWithLeaderZero(c);
  PutAndSettle(c, "put-1", "k", "v1");
  c.RunFor(2 * kSeconds);  // the lease is out
  ASSERT_FALSE(c.replica(0).LeaseValid(c.now()));
  const LogIndex before = c.replica(0).log().last_index();

  std::vector<std::string> gets;
  for (int i = 0; i < 5; ++i) {
    gets.push_back("get-" + std::to_string(i));
    c.Get(0, kClient, gets.back(), "k");
  }
  EXPECT_EQ(c.replica(0).log().last_index(), before + 2);
  EXPECT_EQ(c.replica(0).stats().gets_in_log, 2u);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (const std::string& mid : gets) {
          if (!Replied(c, mid)) return false;
        }
        return true;
      },
      c.now() + kSeconds));
  for (const std::string& mid : gets) {
    EXPECT_EQ(c.ReplyTo(mid)->reply.kind, ReplyKind::kOk) << mid;
    EXPECT_EQ(c.ReplyTo(mid)->reply.value, "v1") << mid;
  }
  EXPECT_EQ(c.replica(0).log().last_index(), before + 2)
      << "the other three were served from the renewed lease";
  EXPECT_EQ(c.replica(0).stats().gets_in_log, 2u);
}

}  // namespace
}  // namespace stepwise

// Chain replication and who answers a put: the relay at a follower, the
// tail's commit, acknowledgements, the leader repairing its chain, the
// answerer of each put and the leader taking its place (replication.cc,
// leader.cc, answers.cc).

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "replica/chain_delivery.h"
#include "replica/replica.h"
#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::Append;
using ::stepwise::testing::BodyAs;
using ::stepwise::testing::FiveReplicas;
using ::stepwise::testing::FromTo;
using ::stepwise::testing::Replied;
using ::stepwise::testing::SettleWithLeaderZero;
using ::stepwise::testing::TestCluster;

constexpr Micros kMs = kMillis;
constexpr NodeId kClient = 0x0100;

bool IsRefusal(const Message& m, NodeId from, NodeId to) {
  const AppendReply* r = BodyAs<AppendReply>(m);
  return r && m.src == from && m.dst == to && !r->success;
}

// The head and tail of 0's chain, read off the append a put makes.
struct Chain {
  NodeId head = kNoNode;
  NodeId tail = kNoNode;
};
Chain ChainOf(const TestCluster& c) {
  Chain chain;
  for (const Message& m : c.Pending()) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (a && m.src == 0 && !a->relay.empty()) {
      chain.head = m.dst;
      chain.tail = a->relay.back();
    }
  }
  return chain;
}

// Settles 0 as the leader and hands it one put: returns its chain, read
// off that put's append (still pending).
Chain SettleAndPut(TestCluster& c, const std::string& mid,
                   const std::string& key, const std::string& value) {
  SettleWithLeaderZero(c);
  c.Put(0, kClient, mid, key, value);
  return ChainOf(c);
}

// put-i of key ki, to 0.
void PutNumber(TestCluster& c, int i) {
  c.Put(0, kClient, "put-" + std::to_string(i), "k" + std::to_string(i), "v");
}

LogEntry Put(Term term, const std::string& key, const std::string& mid) {
  return LogEntry{term, key, "v-" + mid, kClient, mid};
}

// --- The follower's side ----------------------------------------------------

// A follower relays only what it accepted: one whose log does not match
// refuses, to the leader, and relays nothing (the next one would otherwise
// count it as holding entries it does not have).
TEST(ChainTest, FollowerThatRefusesRelaysNothing) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  const Term term = c.replica(0).term();
  AppendEntries append = Append(term, 7, term, {Put(term, "k", "m1")});
  append.relay = {4};
  append.stored_by = 1;
  c.Inject(0, 3, append, /*leader=*/0);
  std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].success);
  EXPECT_TRUE(c.PendingBodies<AppendEntries>(3, 4).empty());
}

// A relayed append is the leader's: the receiver follows the leader the
// relayer names and answers it (not the relayer), naming the relayer. With
// the relayer and the leader holding the entries too, a majority of 5 does:
// the receiver commits them and answers their client.
TEST(ChainTest, TailOfTheChainCommitsAndAnswersTheLeader) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  c.Put(0, kClient, "m1", "k", "v");  // so that the client asked for it
  c.DropAll();
  AppendEntries append =
      Append(term, last, term, {c.replica(0).log().at(last + 1)},
             c.replica(0).commit_index());
  append.answerers = {3};
  append.via = {4};
  append.stored_by = 2;  // the leader and the relayer, 4
  c.Inject(4, 3, append, /*leader=*/0);

  EXPECT_EQ(c.replica(3).leader(), 0);
  EXPECT_EQ(c.replica(3).commit_index(), last + 1);
  ASSERT_TRUE(Replied(c, "m1"));
  EXPECT_EQ(c.ReplyTo("m1")->from, 3);
  EXPECT_EQ(c.ReplyTo("m1")->leader, 0);
  EXPECT_TRUE(c.PendingBodies<AppendReply>(3, 4).empty()) << "not the relayer";
  std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].success);
  EXPECT_EQ(replies[0].match_index, last + 1);
  EXPECT_EQ(replies[0].via, std::vector<NodeId>{4});
  EXPECT_EQ(replies[0].commit, last + 1);
  // What the relayer applied before relaying: the append's commit.
  EXPECT_EQ(replies[0].via_commit, append.commit);
}

// The tail counts the chain appends it receives in the term and reports the
// count in its acknowledgement, so that the leader can tell how much of
// what it sends gets there (ChainDelivery). A follower it reaches directly
// is not a tail and reports nothing; a new term starts the count again.
TEST(ChainTest, TailCountsTheChainAppendsItReceives) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.DropAll();
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  auto tail_reply = [&](NodeId from, const AppendEntries& append) {
    c.Inject(from, 3, append, /*leader=*/0);
    std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(3, 0);
    c.DropAll();
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? AppendReply() : replies.back();
  };
  AppendEntries relayed = Append(term, last, term, {});
  relayed.via = {4};
  EXPECT_EQ(tail_reply(4, relayed).chain_received, 1u);
  EXPECT_EQ(tail_reply(4, relayed).chain_received, 2u);
  AppendEntries direct = Append(term, last, term, {});
  EXPECT_EQ(tail_reply(0, direct).chain_received, 0u) << "not as the tail";
  // One it refuses arrived all the same.
  AppendEntries refused = Append(term, last + 5, term, {});
  refused.via = {4};
  AppendReply refusal = tail_reply(4, refused);
  EXPECT_FALSE(refusal.success);
  EXPECT_EQ(refusal.chain_received, 3u);
  AppendEntries next_term = Append(term + 1, last, term, {});
  next_term.via = {4};
  EXPECT_EQ(tail_reply(4, next_term).chain_received, 1u);
}

// A put's answerer whose own replies are lost, and which then only relays
// (it is no longer the tail), is still known to have answered: it applied
// the commit its relayed append carried. So a get on the put's key does not
// wait for a takeover. Returns whether the get was answered within a
// second, with the tail's reply carrying `via_commit` or not.
bool GetAnsweredOnceTheAnswererRelays(bool with_via_commit) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-1", "k", "v1");
  EXPECT_NE(chain.tail, kNoNode);
  const LogIndex index = c.replica(0).log().last_index();
  EXPECT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("put-1")->from, chain.tail);
  // Its acknowledgement is lost, and it hears nobody from now on.
  c.Drop([&](const Message& m) { return m.src == chain.tail; });
  c.Isolate(chain.tail);
  AppendReply reply;
  reply.term = c.replica(0).term();
  reply.success = true;
  reply.match_index = index;
  reply.sent_at = c.now();
  reply.via = {chain.tail};
  reply.via_match = index;
  reply.commit = index;
  if (with_via_commit) reply.via_commit = index;
  c.Inject(chain.head, 0, reply, /*leader=*/0);
  c.Get(0, kClient, "get-1", "k");
  if (!c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds)) {
    return false;
  }
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
  return true;
}

TEST(ChainTest, RelayerIsCountedAsHavingAnsweredWhatItApplied) {
  EXPECT_TRUE(GetAnsweredOnceTheAnswererRelays(/*with_via_commit=*/true));
  // Without it the get waits for the answerer (here, the takeover).
  EXPECT_FALSE(GetAnsweredOnceTheAnswererRelays(/*with_via_commit=*/false));
}

TEST(ChainTest, TwoOfFiveDoNotCommit) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  const LogIndex commit = c.replica(3).commit_index();
  AppendEntries append = Append(term, last, term, {Put(term, "k", "m1")});
  append.answerers = {3};
  append.stored_by = 1;  // the leader only
  c.Inject(0, 3, append, /*leader=*/0);
  EXPECT_EQ(c.replica(3).log().last_index(), last + 1);
  EXPECT_EQ(c.replica(3).commit_index(), commit);
  EXPECT_FALSE(Replied(c, "m1"));
}

// The tail counts like the leader does (§5.4.2): entries that end in an
// earlier term do not commit by being on a majority.
TEST(ChainTest, TailDoesNotCommitAnEarlierTermByCounting) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  const LogIndex commit = c.replica(3).commit_index();
  // Replica 3 moves to a later term; the append brings an entry of `term`.
  AppendEntries append = Append(term + 1, last, term, {Put(term, "k", "m1")});
  append.stored_by = 2;
  c.Inject(1, 3, append, /*leader=*/1);
  EXPECT_EQ(c.replica(3).term(), term + 1);
  EXPECT_EQ(c.replica(3).commit_index(), commit);
}

// With ack_delay, one reply covers every append until it goes; kNoAck asks
// for none at all; a refusal goes at once whatever was asked.
TEST(ChainTest, DeferredAcknowledgementCoversSeveralAppends) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  AppendEntries first = Append(term, last, term, {Put(term, "a", "m1")});
  first.ack_delay = 50 * kMs;
  AppendEntries second = Append(term, last + 1, term, {Put(term, "b", "m2")});
  second.ack_delay = 50 * kMs;
  c.Inject(0, 3, first, 0);
  c.AdvanceBy(20 * kMs);
  c.Inject(0, 3, second, 0);
  EXPECT_TRUE(c.PendingBodies<AppendReply>(3, 0).empty());
  c.AdvanceBy(29 * kMs);
  EXPECT_TRUE(c.PendingBodies<AppendReply>(3, 0).empty());
  c.AdvanceBy(2 * kMs);  // 50 ms after the first
  std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].match_index, last + 2);
  c.DropAll();

  AppendEntries quiet = Append(term, last + 2, term, {});
  quiet.ack_delay = kNoAck;
  c.Inject(0, 3, quiet, 0);
  c.AdvanceBy(100 * kMs);
  EXPECT_TRUE(c.PendingBodies<AppendReply>(3, 0).empty());

  AppendEntries gap = Append(term, last + 9, term, {});
  gap.ack_delay = kNoAck;
  c.Inject(0, 3, gap, 0);
  replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].success);
}

// An ask straight from the leader (a star round's) does not replace the
// answer the tail owes for appends relayed to it: that one alone tells the
// leader the relayer hears it, and a stalled leader asks again sooner than
// it would go. An immediate chain acknowledgement does replace it: it says
// all the owed one did, and more.
TEST(ChainTest, DirectAskDoesNotSwallowTheAnswerOwedForRelays) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.DropAll();
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  AppendEntries relayed = Append(term, last, term, {Put(term, "a", "m1")});
  relayed.via = {4};
  relayed.ack_delay = 600 * kMs;
  relayed.sent_at = c.now();
  c.Inject(4, 3, relayed, /*leader=*/0);
  ASSERT_TRUE(c.PendingBodies<AppendReply>(3, 0).empty()) << "deferred";
  c.AdvanceBy(100 * kMs);
  AppendEntries ask = Append(term, last + 1, term, {});
  ask.ack_delay = 0;
  ask.sent_at = c.now();
  c.Inject(0, 3, ask, /*leader=*/0);
  std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].via, std::vector<NodeId>{4});
  EXPECT_EQ(replies[0].sent_at, relayed.sent_at);
  EXPECT_TRUE(replies[1].via.empty());
  EXPECT_EQ(replies[1].sent_at, ask.sent_at);
  c.DropAll();
  c.AdvanceBy(1 * kSeconds);
  EXPECT_TRUE(c.PendingBodies<AppendReply>(3, 0).empty()) << "sent once";

  // Owed again; then a relayed append asks for an answer at once.
  relayed.prev_index = last + 1;
  relayed.entries = {Put(term, "b", "m2")};
  c.Inject(4, 3, relayed, /*leader=*/0);
  AppendEntries urgent = relayed;
  urgent.prev_index = last + 2;
  urgent.entries = {};
  urgent.ack_delay = 0;
  urgent.sent_at = c.now();
  c.Inject(4, 3, urgent, /*leader=*/0);
  replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].sent_at, urgent.sent_at);
  c.DropAll();
  c.AdvanceBy(1 * kSeconds);
  EXPECT_TRUE(c.PendingBodies<AppendReply>(3, 0).empty());
}

// The tail gets a put down the chain (via the head, 4) and then by a
// detour (via 2) with nothing more: the reply it owes stays the chain's,
// which tells the leader that the head holds the entries too. A detour
// that brings more (the chain's append was lost) says more, and replaces
// it.
TEST(ChainTest, DetourAfterTheChainLeavesTheChainsReplyOwed) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.DropAll();
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(3).log().last_index();
  AppendEntries chain = Append(term, last, term, {Put(term, "a", "m1")});
  chain.via = {4};
  chain.stored_by = 2;
  chain.ack_delay = 600 * kMs;
  chain.sent_at = c.now();
  c.Inject(4, 3, chain, /*leader=*/0);
  AppendEntries detour = chain;
  detour.via = {2};
  detour.sent_at = c.now() + 300;
  c.AdvanceBy(1 * kMs);
  c.Inject(2, 3, detour, /*leader=*/0);
  c.AdvanceBy(600 * kMs);
  std::vector<AppendReply> replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].via, std::vector<NodeId>{4});
  EXPECT_EQ(replies[0].via_match, last + 1);
  c.DropAll();

  // The next put's chain append is lost; its detour arrives.
  detour.prev_index = last + 1;
  detour.entries = {Put(term, "b", "m2")};
  c.Inject(2, 3, detour, /*leader=*/0);
  c.AdvanceBy(600 * kMs);
  replies = c.PendingBodies<AppendReply>(3, 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].via, std::vector<NodeId>{2});
  EXPECT_EQ(replies[0].via_match, last + 2);
}

// A busy leader lets a follower off the chain wait longer before it
// campaigns (quiet_for): it hears from the leader only now and then. The
// leave is not passed on down a detour to the tail, which hears from the
// leader all the time and must campaign soon should it die; an idle
// leader's is, for every follower then hears from it as seldom.
TEST(ChainTest, RelayPassesOnTheLeaveToWaitOnlyWhenIdle) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.DropAll();
  const Term term = c.replica(0).term();
  const LogIndex last = c.replica(2).log().last_index();
  AppendEntries detour = Append(term, last, term, {Put(term, "a", "m1")});
  detour.relay = {3};
  detour.stored_by = 1;
  detour.quiet_for = 1000 * kMs;
  c.Inject(0, 2, detour, /*leader=*/0);
  std::vector<AppendEntries> relayed = c.PendingBodies<AppendEntries>(2, 3);
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].quiet_for, 0);
  c.DropAll();

  AppendEntries idle = Append(term, last + 1, term, {});
  idle.relay = {3};
  idle.stored_by = 2;
  idle.idle = true;
  idle.quiet_for = 4000 * kMs;
  c.Inject(0, 2, idle, /*leader=*/0);
  relayed = c.PendingBodies<AppendEntries>(2, 3);
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].quiet_for, 4000 * kMs);
}

// --- The leader's side
// --------------------------------------------------------

// One put, one append to the head: the followers off the chain get their
// entries in batches, every lazy_every_puts puts (and keepalives).
TEST(ChainTest, FollowersOffTheChainGetBatchesNotEveryPut) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  ASSERT_NE(chain.head, kNoNode);
  c.RunFor(100 * kMs);
  const int puts = 12;
  const int before = c.CountDelivered([&](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) && m.dst != chain.head;
  });
  for (int i = 1; i <= puts; ++i) {
    PutNumber(c, i);
    c.RunFor(20 * kMs);
  }
  const int off_chain = c.CountDelivered([&](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) && m.dst != chain.head;
  }) - before;
  const int every = c.replica(0).config().lazy_every_puts;
  EXPECT_LE(off_chain, 2 * (puts / every + 1))
      << "two followers off the chain, a batch every " << every << " puts";
  EXPECT_GE(off_chain, 2 * (puts / every - 1));
  for (NodeId id = 1; id < 5; ++id) {
    EXPECT_GE(c.replica(id).log().last_index(),
              c.replica(0).log().last_index() - every)
        << "replica " << id << " stays close behind";
  }
  for (int i = 0; i <= puts; ++i) {
    EXPECT_EQ(c.ReplyCount("put-" + std::to_string(i)), 1);
  }
}

// The two followers off the chain take turns: each batch goes to one of
// them, every lazy_every_puts / 2 puts, so that more puts reach a second
// replica within lazy_batch_delay; each of them still gets one every
// lazy_every_puts puts.
TEST(ChainTest, FollowersOffTheChainTakeTurnsForBatches) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  ASSERT_NE(chain.tail, kNoNode);
  c.RunFor(100 * kMs);
  const int every = c.replica(0).config().lazy_every_puts;
  ASSERT_EQ(every % 2, 0);
  auto batch = [&](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return a && m.src == 0 && !a->entries.empty() && m.dst != chain.head &&
           m.dst != chain.tail;
  };
  std::vector<NodeId> batch_to;  // who got a batch after each put
  for (int i = 1; i <= 2 * every; ++i) {
    const int before = c.CountDelivered(batch);
    PutNumber(c, i);
    c.RunFor(20 * kMs);
    std::vector<NodeId> to;
    for (const TestCluster::Envelope& e : c.delivered()) {
      if (batch(e.message)) to.push_back(e.message.dst);
    }
    ASSERT_LE(static_cast<int>(to.size()) - before, 1) << "after put " << i;
    batch_to.push_back(static_cast<int>(to.size()) > before ? to.back()
                                                            : kNoNode);
  }
  std::vector<NodeId> receivers;
  std::vector<size_t> after_put;
  for (size_t i = 0; i < batch_to.size(); ++i) {
    if (batch_to[i] == kNoNode) continue;
    receivers.push_back(batch_to[i]);
    after_put.push_back(i);
  }
  ASSERT_EQ(receivers.size(), 4u);
  for (size_t i = 1; i < after_put.size(); ++i) {
    EXPECT_EQ(after_put[i] - after_put[i - 1], static_cast<size_t>(every / 2));
  }
  EXPECT_NE(receivers[0], receivers[1]) << "in turn";
  EXPECT_EQ(receivers[0], receivers[2]);
  EXPECT_EQ(receivers[1], receivers[3]);
}

// A batch is sent as if the one before it to the same follower had
// arrived; it repeats that one's entries (RepeatFrom), so that when that
// one is lost, this one is still accepted rather than refused and
// repaired, and the puts since reach a second replica all the same.
TEST(ChainTest, BatchAfterALostOneIsAcceptedNotRefused) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  ASSERT_NE(chain.tail, kNoNode);
  c.RunFor(100 * kMs);
  auto batch = [&](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return a && m.src == 0 && !a->entries.empty() && m.dst != chain.head &&
           m.dst != chain.tail;
  };
  // Puts until a batch is on its way; it is lost.
  NodeId lost_to = kNoNode;
  int i = 1;
  for (; i <= 20 && lost_to == kNoNode; ++i) {
    PutNumber(c, i);
    c.AdvanceBy(c.replica(0).config().lazy_batch_delay);
    const std::vector<Message> pending = c.Pending(batch);
    if (!pending.empty()) {
      lost_to = pending[0].dst;
      c.Drop(batch);
    }
    c.RunFor(20 * kMs);
  }
  ASSERT_NE(lost_to, kNoNode);
  const LogIndex before = c.replica(lost_to).log().last_index();
  ASSERT_LT(before, c.replica(0).log().last_index());
  // Puts until the next one to the same follower has arrived.
  auto batch_to_it = [&](const Message& m) {
    return batch(m) && m.dst == lost_to;
  };
  const size_t seen = c.delivered().size();
  const int delivered = c.CountDelivered(batch_to_it);
  LogIndex through = 0;
  for (; i <= 40 && c.CountDelivered(batch_to_it) == delivered; ++i) {
    PutNumber(c, i);
    through = c.replica(0).log().last_index();
    c.RunFor(20 * kMs);
  }
  ASSERT_GT(c.CountDelivered(batch_to_it), delivered);
  EXPECT_GE(c.replica(lost_to).log().last_index(), through);
  for (size_t k = seen; k < c.delivered().size(); ++k) {
    EXPECT_FALSE(IsRefusal(c.delivered()[k].message, lost_to, 0)) << "refused";
  }
}

// The appends from 0 down its chain waiting to be delivered to the head
// (not keepalives to it).
std::vector<AppendEntries> PendingChainAppends(const TestCluster& c,
                                               const Chain& chain) {
  std::vector<AppendEntries> sent;
  for (const AppendEntries& a : c.PendingBodies<AppendEntries>(0, chain.head)) {
    if (!a.relay.empty()) sent.push_back(a);
  }
  return sent;
}

// The tail's acknowledgement of `sent` (an append down 0's chain), having
// received `received` chain appends in the term and, with the head, holding
// 0's log through `through`, as the leader gets it; reporting `link` as
// its count of its peers' messages that arrived and were lost (LinkLoss).
void AcknowledgeAsTheTailThrough(TestCluster& c, const Chain& chain,
                                 const AppendEntries& sent, uint64_t received,
                                 LogIndex through, LinkCounts link = {}) {
  AppendReply ack;
  ack.link_arrived = link.arrived;
  ack.link_lost = link.lost;
  ack.term = c.replica(0).term();
  ack.success = true;
  ack.match_index = through;
  ack.sent_at = sent.sent_at;
  ack.via = {chain.head};
  ack.via_match = through;
  ack.chain_received = received;
  c.Inject(chain.tail, 0, ack, /*leader=*/0);
}

// The same, holding all of 0's log.
void AcknowledgeAsTheTail(TestCluster& c, const Chain& chain,
                          const AppendEntries& sent, uint64_t received,
                          LinkCounts link = {}) {
  AcknowledgeAsTheTailThrough(c, chain, sent, received,
                              c.replica(0).log().last_index(), link);
}

// Of twenty puts, how many get a batch where the chain loses little: every
// lazy_every_puts / 2 puts (with two followers off the chain), one put in two.
constexpr int kCleanBatches = 10;

// Forty puts to 0, 6 ms apart; of the appends they send down the chain, the
// tail acknowledges every one it gets, and it gets all but one in every
// `lost_one_in` (none lost if 0). Each one that does not get there is lost
// on the way, or, if `head_refuses`, refused by the head, which says so.
// Returns how many batches went to the followers off the chain during the
// last twenty puts, when the leader has seen enough of the tail's counts to
// judge; and, if `batches_sent` is given, those batches and the chain.
// The tail's acknowledgements report `link` as its LinkLoss counts.
int LazyBatchesWhenTheChainLoses(int lost_one_in, bool head_refuses = false,
                                 std::vector<Message>* batches_sent = nullptr,
                                 Chain* chain_used = nullptr,
                                 LinkCounts link = {}) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  EXPECT_NE(chain.tail, kNoNode);
  if (chain_used != nullptr) *chain_used = chain;
  c.RunFor(100 * kMs);
  const Term term = c.replica(0).term();
  uint64_t received = 0;
  int batches = 0;
  for (int i = 1; i <= 40; ++i) {
    PutNumber(c, i);
    std::vector<AppendEntries> sent = PendingChainAppends(c, chain);
    EXPECT_EQ(sent.size(), 1u) << "put " << i;
    if (sent.empty()) return -1;
    c.DropAll();
    if (lost_one_in == 0 || i % lost_one_in != 0) {
      AcknowledgeAsTheTail(c, chain, sent[0], ++received, link);
    } else if (head_refuses) {
      AppendReply refusal;
      refusal.term = term;
      refusal.sent_at = sent[0].sent_at;
      refusal.conflict_index = sent[0].prev_index + 1;
      c.Inject(chain.head, 0, refusal, /*leader=*/0);
    }
    c.AdvanceBy(6 * kMs);  // lazy_batch_delay, and no more
    for (const Message& m : c.Pending()) {
      const AppendEntries* a = BodyAs<AppendEntries>(m);
      if (i > 20 && a && m.src == 0 && m.dst != chain.head &&
          m.dst != chain.tail && !a->entries.empty()) {
        ++batches;
        if (batches_sent != nullptr) batches_sent->push_back(m);
      }
    }
    c.DropAll();
  }
  return batches;
}

// Where much of what goes down the chain is lost, a put whose one append
// is lost has no other copy until the next put: the followers off the chain
// then get a batch every lazy_every_puts_lossy puts, here one after every
// put, in turn. Where little is, every lazy_every_puts.
TEST(ChainTest, LossyChainGivesTheOthersABatchAfterEveryPut) {
  const ReplicaConfig config;
  ASSERT_EQ(config.lazy_every_puts_lossy, 2);
  ASSERT_EQ(config.lazy_every_puts, 4);
  EXPECT_GE(LazyBatchesWhenTheChainLoses(/*lost_one_in=*/2), 19);
  EXPECT_LE(LazyBatchesWhenTheChainLoses(/*lost_one_in=*/10), kCleanBatches);
  EXPECT_LE(LazyBatchesWhenTheChainLoses(/*lost_one_in=*/0), kCleanBatches);
}

// The chain's own count can say too little, or by chance too much: every
// replica's count of its peers' messages lost on the way (LinkLoss) tells
// the leader as well. Here every chain append arrives, but the tail has
// seen 30% of its peers' datagrams lost: the network is lossy, and the
// leader takes it so. With 10% lost, it does not.
TEST(ChainTest, FollowersCountsOfLostDatagramsMakeTheChainLossy) {
  const int lossy = LazyBatchesWhenTheChainLoses(
      /*lost_one_in=*/0, false, nullptr, nullptr, LinkCounts{140, 60});
  EXPECT_GE(lossy, 19);
  const int clean = LazyBatchesWhenTheChainLoses(
      /*lost_one_in=*/0, false, nullptr, nullptr, LinkCounts{180, 20});
  EXPECT_LE(clean, kCleanBatches);
  // Too few counted to tell: the chain's count decides alone.
  const int few = LazyBatchesWhenTheChainLoses(
      /*lost_one_in=*/0, false, nullptr, nullptr, LinkCounts{35, 15});
  EXPECT_LE(few, kCleanBatches);
  // Counts no LinkLoss could hold are garbage, and ignored.
  const int garbage = LazyBatchesWhenTheChainLoses(
      /*lost_one_in=*/0, false, nullptr, nullptr, LinkCounts{0, 100000});
  EXPECT_LE(garbage, kCleanBatches);
}

// Where the chain is not lossy but the network loses some (here the
// tail counted 20% of its peers' datagrams lost, 17% with the leader's
// own count), a put's one append is still lost often enough that the
// followers off the chain get a batch after every put too; not a detour.
TEST(ChainTest, SomeLossGivesTheOthersABatchAfterEveryPut) {
  const ReplicaConfig config;
  ASSERT_EQ(config.lazy_every_puts_some_loss, 2);
  ASSERT_EQ(config.some_loss_per_mille, 140);
  std::vector<Message> batches;
  const int some = LazyBatchesWhenTheChainLoses(
      /*lost_one_in=*/0, false, &batches, nullptr, LinkCounts{160, 40});
  EXPECT_GE(some, 19);
  for (const Message& m : batches) {
    EXPECT_TRUE(BodyAs<AppendEntries>(m)->relay.empty()) << "to " << m.dst;
  }
  // 12%: below it.
  const int less = LazyBatchesWhenTheChainLoses(
      /*lost_one_in=*/0, false, nullptr, nullptr, LinkCounts{176, 24});
  EXPECT_LE(less, kCleanBatches);
}

// There each batch is a detour: it goes on from its follower to the tail,
// a second route by which the put reaches a majority. Where little is
// lost, a batch stops at its follower.
TEST(ChainTest, LossyChainSendsItsBatchesOnADetourToTheTail) {
  std::vector<Message> lossy;
  Chain chain;
  LazyBatchesWhenTheChainLoses(/*lost_one_in=*/2, false, &lossy, &chain);
  ASSERT_GE(lossy.size(), 19u);
  for (const Message& m : lossy) {
    EXPECT_EQ(BodyAs<AppendEntries>(m)->relay, std::vector<NodeId>{chain.tail})
        << "batch to " << m.dst;
  }
  std::vector<Message> clean;
  LazyBatchesWhenTheChainLoses(/*lost_one_in=*/0, false, &clean);
  ASSERT_FALSE(clean.empty());
  for (const Message& m : clean) {
    EXPECT_TRUE(BodyAs<AppendEntries>(m)->relay.empty()) << "to " << m.dst;
  }
}

// End to end, with `replicas` replicas: once the leader finds its chain
// lossy, a put whose chain append is lost reaches the tail by the detour
// that leaves after it, through followers off the chain only, as many as
// make a majority with the tail and the leader; and the tail answers it at
// once, and once. Without the detour it would wait for the next put's
// chain append.
void ExpectLostPutAnsweredThroughTheDetour(int replicas) {
  std::vector<Micros> timeouts;
  for (int i = 0; i < replicas; ++i) timeouts.push_back((1000 + 500 * i) * kMs);
  TestCluster c(replicas, timeouts);
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-0", "k0", "v");
  std::vector<NodeId> chain;  // head first
  for (const Message& m : c.Pending()) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (a != nullptr && m.src == 0 && !a->relay.empty()) {
      chain.push_back(m.dst);
      chain.insert(chain.end(), a->relay.begin(), a->relay.end());
    }
  }
  ASSERT_EQ(chain.size(), static_cast<size_t>(replicas / 2));
  c.RunFor(100 * kMs);
  // Half of what the leader sends by more than one hop (down the chain, or
  // a detour) is lost on the first.
  int sent = 0;
  auto relayed = [](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return m.src == 0 && a != nullptr && !a->relay.empty();
  };
  for (int i = 1; i <= 40; ++i) {
    PutNumber(c, i);
    c.AdvanceBy(1 * kMs);  // a detour leaves detour_delay after the put
    c.Drop([&](const Message& m) { return relayed(m) && ++sent % 2 == 0; });
    c.RunFor(99 * kMs);
  }
  c.Put(0, kClient, "lost", "kl", "v");
  const Micros put_at = c.now();
  c.AdvanceBy(1 * kMs);
  ASSERT_EQ(c.Drop([&](const Message& m) {
    return relayed(m) && m.dst == chain.front();
  }),
            1)
      << "the put's chain append, lost";
  std::vector<Message> detours = c.Pending(relayed);
  ASSERT_EQ(detours.size(), 1u) << "the leader must find its chain lossy";
  std::vector<NodeId> route{detours[0].dst};
  const std::vector<NodeId>& relay = BodyAs<AppendEntries>(detours[0])->relay;
  route.insert(route.end(), relay.begin(), relay.end());
  ASSERT_EQ(route.size(), chain.size());
  EXPECT_EQ(route.back(), chain.back());
  for (size_t i = 0; i + 1 < route.size(); ++i) {
    EXPECT_EQ(std::count(chain.begin(), chain.end(), route[i]), 0)
        << route[i] << " is on the chain";
    EXPECT_EQ(std::count(route.begin(), route.end(), route[i]), 1);
  }
  c.RunFor(10 * kMs);
  ASSERT_TRUE(Replied(c, "lost"));
  EXPECT_EQ(c.ReplyTo("lost")->from, chain.back());
  EXPECT_LT(c.ReplyTo("lost")->at - put_at, 10 * kMs);
  c.RunFor(3 * kSeconds);
  EXPECT_EQ(c.ReplyCount("lost"), 1);
}

TEST(ChainTest, PutLostOnALossyChainIsAnsweredThroughTheDetour) {
  ExpectLostPutAnsweredThroughTheDetour(5);
}

TEST(ChainTest, DetourOfASevenReplicaChainIsAsLongAsTheChain) {
  ExpectLostPutAnsweredThroughTheDetour(7);
}

// A head that refuses an append (it lacks entries, after a partition or a
// new leader) relays nothing, and the tail's count misses it: no loss.
TEST(ChainTest, HeadRefusingAppendsIsNoLoss) {
  EXPECT_LE(LazyBatchesWhenTheChainLoses(/*lost_one_in=*/2,
                                         /*head_refuses=*/true),
            kCleanBatches);
}

// What a chain loses while it stalls into star rounds (a member cut off or
// dead) is not loss either: the tail's count after it, which misses all of
// it, starts no verdict.
TEST(ChainTest, WhatAStalledChainLostIsNoLoss) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  ASSERT_NE(chain.tail, kNoNode);
  c.RunFor(100 * kMs);
  auto chain_appends = [&] { return PendingChainAppends(c, chain); };
  // The tail got the first put's append (SettleAndPut delivered it).
  uint64_t received = 1;
  // One append lost and sent again: from then on the tail may defer its
  // acknowledgements (ack_delay), and the leader finds an append lost only
  // twice ack_delay after it went. Puts go down the chain until then.
  PutNumber(c, 1);
  c.DropAll();
  ASSERT_TRUE(c.RunUntil([&] { return !chain_appends().empty(); },
                         c.now() + 100 * kMs));
  AcknowledgeAsTheTail(c, chain, chain_appends().back(), ++received);
  c.DropAll();
  // Nothing gets through for a while: the chain stalls, is sent again, and
  // then every follower is asked on its own, unanswered.
  int chain_sends = 0;
  for (int i = 2; i <= 17; ++i) {
    PutNumber(c, i);
    chain_sends += static_cast<int>(chain_appends().size());
    c.DropAll();
    c.AdvanceBy(6 * kMs);
  }
  auto star_probe_to = [&](NodeId peer) -> const AppendEntries* {
    for (const Message& m : c.Pending()) {
      const AppendEntries* a = BodyAs<AppendEntries>(m);
      if (a && m.src == 0 && m.dst == peer && a->relay.empty()) return a;
    }
    return nullptr;
  };
  int star_rounds = 0;
  while (star_rounds < 2) {
    ASSERT_EQ(c.replica(0).role(), Role::kLeader);
    c.AdvanceBy(10 * kMs);
    chain_sends += static_cast<int>(chain_appends().size());
    std::set<NodeId> asked;
    for (const Message& m : c.Pending()) {
      if (m.src == 0 && BodyAs<AppendEntries>(m)) asked.insert(m.dst);
    }
    if (asked.size() == 4) ++star_rounds;  // every follower, on its own
    if (star_rounds < 2) c.DropAll();
  }
  ASSERT_GE(chain_sends, ChainDelivery::kMinSent);
  // Then all arrives again: the chain's members answer the star round...
  for (NodeId peer : {chain.head, chain.tail}) {
    AppendReply answer;
    answer.term = c.replica(0).term();
    answer.success = true;
    answer.match_index = c.replica(0).log().last_index();
    answer.sent_at = star_probe_to(peer)->sent_at;
    c.Inject(peer, 0, answer, /*leader=*/0);
  }
  c.DropAll();
  // ...and the tail's count says nothing of the above.
  int batches = 0;
  for (int i = 18; i <= 37; ++i) {
    PutNumber(c, i);
    std::vector<AppendEntries> sent = chain_appends();
    ASSERT_FALSE(sent.empty()) << "put " << i;
    c.DropAll();
    AcknowledgeAsTheTail(c, chain, sent.back(), ++received);
    c.AdvanceBy(6 * kMs);
    for (const Message& m : c.Pending()) {
      const AppendEntries* a = BodyAs<AppendEntries>(m);
      if (a && m.src == 0 && m.dst != chain.head && m.dst != chain.tail &&
          !a->entries.empty()) {
        ++batches;
      }
    }
    c.DropAll();
  }
  ASSERT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_LE(batches, kCleanBatches)
      << "a batch every other put, not after every put";
}

// Puts that come in a burst (clients a partition or a dead leader held, all
// back at once) share chain appends: one goes at once, the rest wait out
// put_batch_window and go together. A put that comes alone goes at once.
TEST(ChainTest, BurstOfPutsSharesChainAppends) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.RunFor(100 * kMs);
  const Micros window = c.replica(0).config().put_batch_window;
  ASSERT_GT(window, 0);
  auto to_head = [&](NodeId head) {
    return [head](const Message& m) {
      const AppendEntries* a = BodyAs<AppendEntries>(m);
      return m.src == 0 && m.dst == head && a && !a->entries.empty();
    };
  };

  c.Put(0, kClient, "alone", "k", "v");
  const Chain chain = ChainOf(c);
  ASSERT_NE(chain.head, kNoNode);
  EXPECT_EQ(c.Pending(to_head(chain.head)).size(), 1u) << "at once";
  c.RunFor(100 * kMs);

  const int before = c.CountDelivered(to_head(chain.head));
  const int burst = 8;
  for (int i = 0; i < burst; ++i) {
    c.Put(0, kClient, "burst-" + std::to_string(i), "k" + std::to_string(i),
          "v");
  }
  EXPECT_EQ(c.Pending(to_head(chain.head)).size(), 1u)
      << "the first of the burst goes at once, the rest wait";
  c.RunFor(window + 50 * kMs);
  EXPECT_EQ(c.CountDelivered(to_head(chain.head)) - before, 2)
      << "the rest of the burst in one more append";
  for (int i = 0; i < burst; ++i) {
    EXPECT_EQ(c.ReplyCount("burst-" + std::to_string(i)), 1) << i;
  }
}

// A chain append whose acknowledgement is late is sent again.
TEST(ChainTest, LostRelayIsSentAgainAndAnsweredOnce) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-1", "k", "v");
  c.DeliverAll();  // the head relays it...
  ASSERT_EQ(c.Drop([&](const Message& m) {
    return m.src == chain.head && m.dst == chain.tail;
  }),
            1);  // ...and the relay is lost
  c.RunFor(c.replica(0).config().stall_slack - 1 * kMs);
  EXPECT_FALSE(Replied(c, "put-1"));
  c.RunFor(10 * kMs);
  ASSERT_TRUE(Replied(c, "put-1"));
  EXPECT_EQ(c.ReplyTo("put-1")->from, chain.tail);
  c.RunFor(3 * kSeconds);
  EXPECT_EQ(c.ReplyCount("put-1"), 1);
}

// The tail is cut off. The leader finds out from its probes and takes a
// spare into the chain: a put to another key is answered by the new tail
// at once. The put the old tail was to answer, and a later put to the same
// key (which keeps that answerer, so that the key's puts are answered in
// order), wait until the old tail has been silent for answer_takeover;
// then the leader answers both, in log order.
TEST(ChainTest, CutOffTailIsReplacedAndItsPutsTakenOver) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "warm-up", "v");
  c.RunFor(100 * kMs);
  c.Isolate(chain.tail);
  const Micros cut = c.now();
  c.Put(0, kClient, "put-1", "k", "v1");
  c.RunFor(1 * kSeconds);
  EXPECT_FALSE(Replied(c, "put-1")) << "its answerer may still answer it";

  c.Put(0, kClient, "put-other", "other", "v");
  c.Put(0, kClient, "put-2", "k", "v2");
  c.RunFor(50 * kMs);
  ASSERT_TRUE(Replied(c, "put-other")) << "the repaired chain answers";
  EXPECT_NE(c.ReplyTo("put-other")->from, chain.tail);
  EXPECT_FALSE(Replied(c, "put-2")) << "put-1 first";

  const Micros takeover = c.replica(0).config().answer_takeover;
  c.RunUntil(cut + takeover - 200 * kMs);
  EXPECT_FALSE(Replied(c, "put-1"));
  c.RunUntil(cut + takeover + 200 * kMs);
  ASSERT_TRUE(Replied(c, "put-1"));
  ASSERT_TRUE(Replied(c, "put-2"));
  EXPECT_EQ(c.ReplyTo("put-1")->from, 0);
  EXPECT_EQ(c.ReplyTo("put-2")->from, 0);
  EXPECT_LE(c.ReplyTo("put-1")->at, c.ReplyTo("put-2")->at);

  c.Get(0, kClient, "get-k", "k");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-k"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-k")->reply.value, "v2");
  c.Heal();
  c.RunFor(3 * kSeconds);
  EXPECT_EQ(c.duplicates(), 0)
      << "the old tail never got them: back, it is told the leader answers";
}

// The leader takes over only the puts it has applied, and answers them on
// the spot; a put not applied yet keeps its answerer. Here the leader,
// cut off with one follower, takes over the tail's committed put-0 while
// put-1 (same key, same answerer, not committed) already sits at that
// follower with the tail as its answerer. Were the leader to note itself as
// put-1's answerer, then, deposed, it would answer put-1 when the next
// leader commits it, and so would the tail: two answers, the second of
// which may come after a later put to the key was answered.
TEST(ChainTest, TakeoverLeavesUnappliedPutsToTheirAnswerer) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k", "v0");
  ASSERT_NE(chain.tail, kNoNode);
  const NodeId tail = chain.tail;
  c.Isolate(tail);
  const Micros cut = c.now();
  const LogIndex put0 = c.replica(0).log().last_index();
  c.RunFor(1 * kSeconds);
  ASSERT_GE(c.replica(0).commit_index(), put0) << "the repaired chain";
  ASSERT_FALSE(Replied(c, "put-0"));

  std::vector<NodeId> others;
  for (NodeId id = 1; id < 5; ++id) {
    if (id != tail) others.push_back(id);
  }
  const NodeId follower = others[0];
  const Micros takeover = c.replica(0).config().answer_takeover;
  c.RunUntil(cut + takeover - 1 * kSeconds);
  c.Partition({{0, follower}, {others[1], others[2]}, {tail}});
  c.Put(0, kClient, "put-1", "k", "v1");
  const LogIndex put1 = c.replica(0).log().last_index();
  c.RunUntil(cut + takeover - 100 * kMs);
  ASSERT_GE(c.replica(follower).log().last_index(), put1);
  c.RunUntil(cut + takeover + 300 * kMs);
  ASSERT_TRUE(Replied(c, "put-0")) << "taken over";
  EXPECT_EQ(c.ReplyTo("put-0")->from, 0);
  ASSERT_FALSE(Replied(c, "put-1")) << "not committed";

  // The follower, which holds put-1, leads the other two; the old leader
  // comes back as a follower, then the tail.
  c.Partition({{0}, {follower, others[1], others[2]}, {tail}});
  ASSERT_TRUE(
      c.RunUntil([&] { return c.replica(follower).role() == Role::kLeader; },
                 c.now() + 5 * kSeconds));
  c.RunFor(1 * kSeconds);
  ASSERT_GE(c.replica(follower).commit_index(), put1);
  c.Partition({{0, follower, others[1], others[2]}, {tail}});
  c.RunFor(1 * kSeconds);
  ASSERT_GE(c.replica(0).commit_index(), put1);
  c.Heal();
  c.RunFor(3 * kSeconds);
  ASSERT_TRUE(Replied(c, "put-1"));
  EXPECT_EQ(c.ReplyCount("put-1"), 1);
  EXPECT_EQ(c.ReplyTo("put-1")->from, tail);
  EXPECT_LT(c.ReplyTo("put-0")->at, c.ReplyTo("put-1")->at);
}

// A leader with a put not committed yet does not go quiet when clients do:
// announcing an idle spell would have its followers refuse to elect a
// successor for twice idle_interval, should it lose its majority (as here)
// and step down, while that put's client waits.
TEST(ChainTest, LeaderWithAPutToCommitDoesNotAnnounceIdle) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.Partition({0, 1}, {2, 3, 4});
  const Micros put_at = c.now();
  c.Put(0, kClient, "put-1", "k", "v1");
  const ReplicaConfig& config = c.replica(0).config();
  c.RunUntil(put_at + config.quorum_timeout - 100 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kLeader);
  ASSERT_FALSE(Replied(c, "put-1"));
  int after_idle = 0;
  for (const TestCluster::Envelope& e : c.delivered()) {
    const AppendEntries* a = BodyAs<AppendEntries>(e.message);
    if (!a || e.message.src != 0 || e.sent_at < put_at + config.idle_after) {
      continue;
    }
    ++after_idle;
    EXPECT_FALSE(a->idle) << "sent at " << e.sent_at;
  }
  EXPECT_GT(after_idle, 0);
  // Deposed, it leaves 1 free to vote once election_timeout_min has passed.
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).role() != Role::kLeader; },
                         c.now() + 1 * kSeconds));
  const Micros deposed = c.now();
  c.Heal();
  ASSERT_TRUE(c.RunUntil([&] { return Replied(c, "put-1"); },
                         deposed + config.idle_interval));
}

// 0 leads, is cut off with a put ("put-1", at *index) of its own, and
// another replica (*leader) is elected and commits past that index; then
// the network heals, and 0's refusal of the new leader's append arrives.
void DeposeZeroUntilItsRefusalArrives(TestCluster& c, NodeId* leader,
                                      LogIndex* index) {
  SettleWithLeaderZero(c);
  c.Isolate(0);
  c.Put(0, kClient, "put-1", "k", "v1");
  *index = c.replica(0).log().last_index();
  ASSERT_TRUE(c.RunUntil(
      [&] {
        *leader = c.LeaderAmong({1, 2, 3, 4});
        return *leader != kNoNode &&
               c.replica(*leader).commit_index() >= *index;
      },
      c.now() + 5 * kSeconds));
  // A few more puts, whose batches to 0 are lost too: the first append to
  // reach it then starts at its own put's index, not before (RepeatFrom
  // repeats only the batch before), and is refused.
  for (int i = 2; i <= 4; ++i) {
    c.Put(*leader, kClient, "put-" + std::to_string(i), "k", "v");
    c.RunFor(20 * kMs);
  }
  c.RunFor(500 * kMs);
  c.Heal();
  const NodeId to = *leader;
  auto refusal = [to](const Message& m) { return IsRefusal(m, 0, to); };
  ASSERT_TRUE(c.RunUntil([&] { return !c.Pending(refusal).empty(); },
                         c.now() + 3 * kSeconds));
  ASSERT_EQ(c.Deliver(refusal), 1);
}

// A follower that refused an append is sent the entries it lacks, and that
// repair stays a repair until the follower acknowledges it: appends that
// follow a lost one (keepalives, batches) repeat it from the same index and
// ask for an answer, rather than pipeline past it from the end of the
// leader's log and be refused again. Here the follower is a deposed leader
// whose put was overwritten: it holds the put's client until it learns the
// put's index committed with another entry, and then redirects it.
TEST(ChainTest, LostRepairIsRepeatedUntilAcknowledged) {
  TestCluster c = FiveReplicas();
  NodeId leader = kNoNode;
  LogIndex index = 0;
  ASSERT_NO_FATAL_FAILURE(DeposeZeroUntilItsRefusalArrives(c, &leader, &index));
  auto refusal = [&](const Message& m) { return IsRefusal(m, 0, leader); };
  auto to_zero = [&](const Message& m) {
    return m.src == leader && m.dst == 0 && BodyAs<AppendEntries>(m);
  };
  std::vector<LogIndex> prev;
  for (int lost = 0; lost < 3; ++lost) {
    ASSERT_TRUE(c.RunUntil([&] { return !c.Pending(to_zero).empty(); },
                           c.now() + 3 * kSeconds));
    for (const Message& m : c.Pending(to_zero)) {
      const AppendEntries* a = BodyAs<AppendEntries>(m);
      prev.push_back(a->prev_index);
      EXPECT_EQ(a->ack_delay, 0) << "append " << prev.size();
    }
    c.Drop(to_zero);
  }
  ASSERT_GE(prev.size(), 3u);
  for (LogIndex p : prev) EXPECT_EQ(p, prev.front()) << "pipelined past";
  EXPECT_LT(prev.front(), index);
  const size_t seen = c.delivered().size();
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-1"); }, c.now() + 3 * kSeconds));
  EXPECT_EQ(c.ReplyTo("put-1")->reply.kind, ReplyKind::kRedirect);
  for (size_t i = seen; i < c.delivered().size(); ++i) {
    EXPECT_FALSE(refusal(c.delivered()[i].message)) << "refused again";
  }
}

// The tail's acknowledgement of one put may arrive after the next put's
// append went down the chain: the tail lacks that put only because the
// relay is still on its way. The leader sends it nothing directly (that
// would carry the put twice); were the relay lost, the chain's stall check
// would send it again.
TEST(ChainTest, StaleAcknowledgementOfTheTailSendsItNothingDirectly) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-1", "k1", "v1");
  ASSERT_NE(chain.tail, kNoNode);
  ASSERT_EQ(c.Deliver(FromTo(0, chain.head)), 1);
  ASSERT_EQ(c.Deliver(FromTo(chain.head, chain.tail)), 1);
  ASSERT_TRUE(Replied(c, "put-1"));
  ASSERT_EQ(c.PendingBodies<AppendReply>(chain.tail, 0).size(), 1u);

  c.AdvanceBy(c.replica(0).config().put_batch_window);
  c.Put(0, kClient, "put-2", "k2", "v2");
  ASSERT_EQ(c.PendingBodies<AppendEntries>(0, chain.head).size(), 1u);
  ASSERT_EQ(c.Deliver(FromTo(chain.tail, 0)), 1) << "the older reply";
  EXPECT_TRUE(c.PendingBodies<AppendEntries>(0, chain.tail).empty());

  c.Stabilize();
  ASSERT_TRUE(Replied(c, "put-2"));
  EXPECT_EQ(c.ReplyTo("put-2")->from, chain.tail);
}

// An append from 0 down its chain (relayed on), not a batch to a follower
// off the chain.
bool DownTheChain(const Message& m) {
  const AppendEntries* a = BodyAs<AppendEntries>(m);
  return m.src == 0 && a != nullptr && !a->relay.empty();
}

// A put to 0 whose append is lost, and the resend after the stall too (a
// batch to a follower off the chain meanwhile arrives).
void PutLostTwice(TestCluster& c, const std::string& mid,
                  const std::string& key, const std::string& value) {
  c.Put(0, kClient, mid, key, value);
  ASSERT_EQ(c.Drop(DownTheChain), 1) << "its append, lost";
  ASSERT_TRUE(c.RunUntil([&] { return !c.Pending(DownTheChain).empty(); },
                         c.now() + 100 * kMs));
  ASSERT_EQ(c.Drop(DownTheChain), 1) << "sent again, lost again";
}

// While the chain stalls, a new put sends nothing of its own: an append
// would go the way of the lost one (a member cut off, a leader on the
// minority side). The stall's next resend carries it, and a put that comes
// while that resend is on its way goes down the chain when the resend is
// acknowledged.
TEST(ChainTest, StalledChainCarriesNewPutsOnItsResends) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  auto from_zero = [](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) != nullptr;
  };
  ASSERT_NO_FATAL_FAILURE(PutLostTwice(c, "put-1", "k1", "v1"));

  c.Put(0, kClient, "put-2", "k2", "v2");
  EXPECT_TRUE(c.Pending(from_zero).empty()) << "put-2 waits for the resend";
  // The resend goes down the chain; batches to the followers off the chain
  // go on meanwhile, every lazy_every_puts / 2 puts.
  ASSERT_TRUE(c.RunUntil([&] { return !c.Pending(DownTheChain).empty(); },
                         c.now() + 200 * kMs));
  const std::vector<Message> resend = c.Pending(DownTheChain);
  ASSERT_EQ(resend.size(), 1u);
  EXPECT_EQ(BodyAs<AppendEntries>(resend[0])->entries.size(), 2u)
      << "put-1 and put-2";

  c.Put(0, kClient, "put-3", "k3", "v3");
  EXPECT_EQ(c.Pending(DownTheChain).size(), 1u) << "only the resend, still";
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-3"); }, c.now() + 20 * kMs))
      << "sent on when the resend is acknowledged";
  c.RunFor(3 * kSeconds);
  for (const char* mid : {"put-1", "put-2", "put-3"}) {
    EXPECT_EQ(c.ReplyCount(mid), 1) << mid;
  }
}

// A put held while the chain stalls goes with the star rounds, which move
// every follower's nextIndex on as if they arrived. When a star answer
// ends the stall while a member of the chain still lacks the put (its star
// append lost), the put goes down the chain from what that member is known
// to hold: left to the star round, only the next put or a refusal would
// bring it to the tail, which answers it.
TEST(ChainTest, HeldPutGoesDownTheChainWhenTheStallEnds) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  c.Stabilize();
  ASSERT_TRUE(Replied(c, "put-0"));
  c.RunFor(100 * kMs);
  // The followers asked at once, on their own: a star round.
  auto next_star_round = [&] {
    const Micros deadline = c.now() + 2 * kSeconds;
    while (c.now() < deadline) {
      std::set<NodeId> asked;
      for (const Message& m : c.Pending()) {
        if (m.src == 0 && BodyAs<AppendEntries>(m)) asked.insert(m.dst);
      }
      if (asked.size() == 4) return true;
      c.DropAll();
      c.AdvanceBy(1 * kMs);
    }
    return false;
  };
  auto answered_by = [&](NodeId peer) {
    c.Deliver(FromTo(0, peer));
    c.Deliver(FromTo(peer, 0));
  };
  c.Put(0, kClient, "put-1", "k1", "v1");
  ASSERT_TRUE(next_star_round()) << "put-1's append and resends, lost";
  answered_by(chain.tail);  // the tail holds put-1; the head does not
  c.DropAll();
  c.Put(0, kClient, "put-2", "k2", "v2");
  ASSERT_TRUE(PendingChainAppends(c, chain).empty()) << "held";
  ASSERT_TRUE(next_star_round());
  answered_by(chain.head);  // it holds both now: the stall is over
  const std::vector<AppendEntries> sent = PendingChainAppends(c, chain);
  ASSERT_EQ(sent.size(), 1u) << "put-2 down the chain, for the tail lacks it";
  ASSERT_FALSE(sent[0].entries.empty());
  EXPECT_EQ(sent[0].entries.front().mid, "put-2");
  c.Drop([](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return a && m.src == 0 && a->relay.empty();  // the rest of the round
  });
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-2"); }, c.now() + 20 * kMs));
  EXPECT_EQ(c.ReplyTo("put-2")->from, chain.tail);
}

// On a chain judged lossy a stall is most likely loss too: there a new put
// still goes down the chain at once, with its own chance to get through,
// rather than wait for the stall's next resend.
TEST(ChainTest, NewPutStillGoesDownAStalledLossyChain) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  c.RunFor(100 * kMs);
  auto chain_appends = [&] { return PendingChainAppends(c, chain); };
  uint64_t received = 1;
  for (int i = 1; i <= 30; ++i) {  // every other one lost on the way
    PutNumber(c, i);
    const std::vector<AppendEntries> sent = chain_appends();
    ASSERT_EQ(sent.size(), 1u) << "put " << i;
    c.DropAll();
    if (i % 2 != 0) AcknowledgeAsTheTail(c, chain, sent[0], ++received);
    c.AdvanceBy(6 * kMs);
    c.DropAll();
  }
  PutNumber(c, 31);
  ASSERT_GE(c.Drop([](const Message& m) { return m.src == 0; }), 1);
  // Its append is taken as lost, and sent again: lost again.
  const Micros deadline = c.now() + 3 * kSeconds;
  while (chain_appends().empty()) {
    ASSERT_LT(c.now(), deadline);
    c.DropAll();
    c.AdvanceBy(10 * kMs);
  }
  c.DropAll();
  PutNumber(c, 32);
  EXPECT_EQ(chain_appends().size(), 1u) << "at once, not with the resend";
}

// Where the chain is far behind (max_backlog_held), a new put's append is
// also one more try at the backlog: it still goes during a stall.
TEST(ChainTest, NewPutStillGoesDownAStalledChainFarBehind) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-0", "k0", "v");
  c.Stabilize();
  ASSERT_TRUE(Replied(c, "put-0"));
  const int backlog =
      static_cast<int>(c.replica(0).config().max_backlog_held) + 10;
  for (int i = 1; i <= backlog; ++i) PutNumber(c, i);
  // Everything is lost for 50 ms: the first append, and the stall's
  // resends at 15 and 45 ms.
  int chain_sends = 0;
  for (int ms = 0; ms < 50; ++ms) {
    chain_sends += static_cast<int>(PendingChainAppends(c, chain).size());
    c.DropAll();
    c.AdvanceBy(1 * kMs);
  }
  ASSERT_GE(chain_sends, 3);
  PutNumber(c, backlog + 1);
  EXPECT_EQ(PendingChainAppends(c, chain).size(), 1u)
      << "at once, not with the resend";
}

// Settles 0 as the leader with put-0 answered, then loses put-1's append
// once: from then on the tail may defer its acknowledgements. Returns the
// chain; the tail has received two chain appends.
void SettleWithDeferredAcknowledgements(TestCluster& c, Chain* chain) {
  *chain = SettleAndPut(c, "put-0", "k0", "v");
  c.RunFor(100 * kMs);
  ASSERT_TRUE(Replied(c, "put-0"));
  PutNumber(c, 1);
  c.DropAll();
  ASSERT_TRUE(
      c.RunUntil([&] { return !PendingChainAppends(c, *chain).empty(); },
                 c.now() + 100 * kMs));
  AcknowledgeAsTheTail(c, *chain, PendingChainAppends(c, *chain).back(), 2);
  c.DropAll();
}

// A deferring tail answers every ack_delay or so for all it has by then,
// and a put sent meanwhile is not among it. Such an acknowledgement ends
// no stall, but the appends it covers are no longer overdue: the chain is
// sent again only once the oldest append it does not cover is, twice
// ack_delay (plus stall_slack) after that one went. Counted from the
// oldest append of all, the leader would resend while puts flow and the
// tail answers as it should.
TEST(ChainTest, PartialAcknowledgementPutsOffTheStall) {
  TestCluster c = FiveReplicas();
  Chain chain;
  ASSERT_NO_FATAL_FAILURE(SettleWithDeferredAcknowledgements(c, &chain));
  // Puts every 100 ms; every fourth one, the tail's answer for all but it.
  const ReplicaConfig& config = c.replica(0).config();
  std::vector<AppendEntries> sent;
  Micros oldest_uncovered = -1;
  uint64_t received = 2;
  for (int i = 2; i <= 16; ++i) {
    PutNumber(c, i);
    std::vector<AppendEntries> appends = PendingChainAppends(c, chain);
    ASSERT_EQ(appends.size(), 1u) << "put " << i;
    ASSERT_GT(appends[0].ack_delay, 0) << "deferred";
    sent.push_back(appends[0]);
    if (i % 4 == 1) {
      const AppendEntries& covered = sent[sent.size() - 2];
      received += 4;
      AcknowledgeAsTheTailThrough(c, chain, covered, received,
                                  covered.prev_index + covered.entries.size());
      oldest_uncovered = sent.back().sent_at;
    }
    c.DropAll();
    c.AdvanceBy(100 * kMs);
    EXPECT_TRUE(PendingChainAppends(c, chain).empty())
        << "no resend after put " << i;
    c.DropAll();
  }
  ASSERT_GE(oldest_uncovered, 0);
  const Micros overdue =
      oldest_uncovered + 2 * config.ack_delay + config.stall_slack;
  c.AdvanceTo(overdue - 1);
  EXPECT_TRUE(PendingChainAppends(c, chain).empty()) << "not yet";
  c.DropAll();
  c.AdvanceTo(overdue);
  std::vector<AppendEntries> resend = PendingChainAppends(c, chain);
  ASSERT_EQ(resend.size(), 1u) << "sent again once that one is overdue";
  EXPECT_EQ(resend[0].ack_delay, 0) << "answered at once";
  EXPECT_EQ(resend[0].prev_index + resend[0].entries.size(),
            c.replica(0).log().last_index());
}

// Only losses seen while clients are about make the tail defer its
// acknowledgements (ChainAckDelay). A leader that lost its no-op's append
// before any client came asks its first puts' acknowledgement at once, so
// that their append, if lost, is sent again within stall_slack, not
// 2 * ack_delay later; one lost while a put waits turns deferral on.
TEST(ChainTest, OnlyLossesWhileClientsAreAboutDeferAcknowledgements) {
  TestCluster c = FiveReplicas();
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).role() == Role::kLeader; },
                         c.now() + 3000 * kMs));
  c.DropAll();  // the no-op's appends: lost
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).commit_index() >= 1; },
                         c.now() + 1000 * kMs));
  c.RunFor(50 * kMs);
  const ReplicaConfig& config = c.replica(0).config();

  PutNumber(c, 0);
  const Chain chain = ChainOf(c);
  std::vector<AppendEntries> first = PendingChainAppends(c, chain);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].ack_delay, 0) << "the loss came before any client";
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-0"); }, c.now() + 1000 * kMs));
  c.RunFor(50 * kMs);

  // put-1's append is lost while it waits: acknowledgements may wait now.
  PutNumber(c, 1);
  ASSERT_EQ(PendingChainAppends(c, chain).size(), 1u);
  EXPECT_EQ(PendingChainAppends(c, chain)[0].ack_delay, 0);
  c.DropAll();
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "put-1"); }, c.now() + 1000 * kMs));
  c.RunFor(50 * kMs);

  PutNumber(c, 2);
  std::vector<AppendEntries> next = PendingChainAppends(c, chain);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].ack_delay, config.ack_delay);
}

// A tail that may defer its answer (ack_delay) is asked for it at once when
// the append does not reach the end of the leader's log: the next part
// goes only when this one is acknowledged. Deferred, a backlog drained
// 64 entries an ack_delay: after a partition healed at 34% drops, a new
// leader with 1,200 entries owed answered a get 10.4 s late (fresh fuzz
// seed 3302680).
TEST(ChainTest, AppendShortOfTheLogEndIsAnsweredAtOnce) {
  TestCluster c = FiveReplicas();
  Chain chain;
  ASSERT_NO_FATAL_FAILURE(SettleWithDeferredAcknowledgements(c, &chain));
  c.AdvanceBy(50 * kMs);
  const ReplicaConfig& config = c.replica(0).config();
  const LogIndex base = c.replica(0).log().last_index();

  PutNumber(c, 2);
  std::vector<AppendEntries> alone = PendingChainAppends(c, chain);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].ack_delay, config.ack_delay) << "reaches the log's end";
  c.DropAll();
  const int window = static_cast<int>(config.max_entries_per_append);
  for (int i = 3; i <= window + 12; ++i) PutNumber(c, i);
  c.AdvanceBy(config.put_batch_window);
  std::vector<AppendEntries> first = PendingChainAppends(c, chain);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].prev_index, base);
  ASSERT_EQ(first[0].entries.size(), config.max_entries_per_append);
  EXPECT_EQ(first[0].ack_delay, 0) << "the log runs further";
  c.DropAll();

  AcknowledgeAsTheTailThrough(c, chain, first[0], 3, base + window);
  std::vector<AppendEntries> rest = PendingChainAppends(c, chain);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].prev_index, base + window);
  EXPECT_EQ(rest[0].prev_index + rest[0].entries.size(),
            c.replica(0).log().last_index());
  EXPECT_EQ(rest[0].ack_delay, config.ack_delay) << "the last part may wait";
}

// A stalled chain is asked again on its own schedule, each time for an
// acknowledgement at once, which renews the lease as well as a lease round
// would: a get that arrives meanwhile sends nothing of its own (reads.cc),
// and is answered once the chain answers.
TEST(ChainTest, GetAddsNoLeaseRoundToAStalledChain) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  c.Stabilize();
  ASSERT_TRUE(Replied(c, "put-1"));
  c.RunFor(2 * kSeconds);  // the lease is out
  ASSERT_FALSE(c.replica(0).LeaseValid(c.now()));
  auto from_zero = [](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) != nullptr;
  };
  ASSERT_NO_FATAL_FAILURE(PutLostTwice(c, "put-2", "k2", "v2"));
  c.Get(0, kClient, "get-1", "k");
  EXPECT_TRUE(c.Pending(from_zero).empty()) << "no round of its own";
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
}

// A new leader does not know its followers' match yet; when its first chain
// append is lost it resends that append, not its whole log from index 1.
TEST(ChainTest, NewLeaderResendsOnlyTheLostAppend) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  SettleWithLeaderZero(c);
  for (int i = 0; i < 5; ++i) {
    c.Put(0, kClient, "put-" + std::to_string(i), "k", "v");
    c.RunFor(50 * kMs);
  }
  c.Stabilize();
  const LogIndex before = c.replica(0).log().last_index();
  ASSERT_GE(before, 6u);
  // A stray higher term makes 0 a follower; it is elected again, and the
  // append with its new no-op is lost.
  AppendReply stray;
  stray.term = c.replica(0).term() + 1;
  c.Inject(1, 0, stray);
  auto from_zero = [&](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) != nullptr;
  };
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).role() == Role::kLeader; },
                         c.now() + 5 * kSeconds));
  ASSERT_GE(c.Drop(from_zero), 1);
  std::vector<LogIndex> prev;
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (const Message& m : c.Pending(from_zero)) {
          prev.push_back(BodyAs<AppendEntries>(m)->prev_index);
        }
        return !prev.empty();
      },
      c.now() + kSeconds));
  for (LogIndex p : prev) EXPECT_EQ(p, before) << "resent from further back";
  ASSERT_TRUE(
      c.RunUntil([&] { return c.replica(0).commit_index() == before + 1; },
                 c.now() + kSeconds));
}

// Down a long chain a relay is too likely lost to stand for a keepalive: in
// a seven-replica cluster (a chain of three) the leader keeps sending its
// keepalives to the third, while the second, two hops away, needs none.
TEST(ChainTest, FarEndOfALongChainStillGetsKeepalives) {
  TestCluster c(7, {1000 * kMs, 1500 * kMs, 2000 * kMs, 2500 * kMs, 3000 * kMs,
                    3500 * kMs, 4000 * kMs});
  const Chain chain = SettleAndPut(c, "put-0", "k", "v");
  ASSERT_NE(chain.tail, kNoNode);
  NodeId middle = kNoNode;
  for (const Message& m : c.Pending()) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (a && m.src == 0 && a->relay.size() == 2) middle = a->relay.front();
  }
  ASSERT_NE(middle, kNoNode);
  const size_t start = c.delivered().size();
  for (int i = 1; i <= 40; ++i) {
    c.RunFor(50 * kMs);
    c.Put(0, kClient, "put-" + std::to_string(i), "k", "v");
  }
  c.RunFor(50 * kMs);
  int to_tail = 0, to_middle = 0;
  for (size_t i = start; i < c.delivered().size(); ++i) {
    const Message& m = c.delivered()[i].message;
    if (m.src != 0 || BodyAs<AppendEntries>(m) == nullptr) continue;
    if (m.dst == chain.tail) ++to_tail;
    if (m.dst == middle) ++to_middle;
  }
  EXPECT_GE(to_tail, 10) << "puts every 50 ms, keepalives every 100 ms";
  EXPECT_EQ(to_middle, 0);
}

// An append carries at most max_entries_per_append entries. When the chain
// acknowledges a full one and the leader's log runs further, the rest goes
// down the chain too, where a loss would be noticed and sent again, not to
// the tail alone with nothing but its reply to say it arrived.
TEST(ChainTest, BacklogBeyondOneAppendGoesDownTheChain) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  const LogIndex base = c.replica(0).log().last_index();
  c.Put(0, kClient, "put-0", "k0", "v");
  const Chain chain = ChainOf(c);
  ASSERT_NE(chain.tail, kNoNode);
  for (int i = 1; i < 100; ++i) {
    PutNumber(c, i);
  }
  c.DropAll();  // every chain append, lost
  const size_t batch = c.replica(0).config().max_entries_per_append;
  AppendReply reply;
  reply.term = c.replica(0).term();
  reply.success = true;
  reply.match_index = base + batch;
  reply.sent_at = c.now();
  reply.via = {chain.head};
  reply.via_match = base + batch;
  c.Inject(chain.tail, 0, reply, /*leader=*/0);
  std::vector<Message> sent = c.Pending([](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) != nullptr;
  });
  ASSERT_EQ(sent.size(), 1u);
  const AppendEntries* next = BodyAs<AppendEntries>(sent[0]);
  EXPECT_EQ(sent[0].dst, chain.head);
  EXPECT_EQ(next->relay, std::vector<NodeId>{chain.tail});
  EXPECT_EQ(next->prev_index, base + batch);
}

// A leader that steps down remembers which puts were answered: re-elected,
// it does not wait on (nor answer again) puts confirmed while it led, even
// when their answerer is gone.
TEST(ChainTest, ReelectedLeaderDoesNotWatchAnsweredPutsAgain) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  c.RunFor(100 * kMs);
  ASSERT_TRUE(Replied(c, "put-1"));
  const NodeId tail = c.ReplyTo("put-1")->from;
  ASSERT_NE(tail, 0);
  c.Isolate(tail);
  // A stray higher term makes 0 a follower; it is elected again.
  AppendReply stray;
  stray.term = c.replica(0).term() + 1;
  c.Inject(tail, 0, stray);
  ASSERT_NE(c.replica(0).role(), Role::kLeader);
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).role() == Role::kLeader; },
                         c.now() + 5 * kSeconds));
  c.RunFor(100 * kMs);
  c.Get(0, kClient, "get-1", "k");
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
  c.RunFor(c.replica(0).config().answer_takeover + kSeconds);
  EXPECT_EQ(c.duplicates(), 0);
}

// A get in the log while the lease is out (reads.cc) is sent again when
// its chain append is lost, like a put's.
TEST(ChainTest, GetInTheLogIsSentAgainWhenItsAppendIsLost) {
  TestCluster c(3, {1000 * kMs, 1500 * kMs, 2000 * kMs});
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-1", "k", "v1");
  c.RunFor(2 * kSeconds);  // the lease is out
  ASSERT_FALSE(c.replica(0).LeaseValid(c.now()));
  c.Get(0, kClient, "get-1", "k");
  ASSERT_GE(c.Drop([](const Message& m) { return m.src == 0; }), 1)
      << "the first round";
  ASSERT_TRUE(
      c.RunUntil([&] { return Replied(c, "get-1"); }, c.now() + kSeconds));
  EXPECT_EQ(c.ReplyTo("get-1")->reply.kind, ReplyKind::kOk);
  EXPECT_EQ(c.ReplyTo("get-1")->reply.value, "v1");
}

// --- A leader cut off -------------------------------------------------------

// Runs 0, leader of five with a put outstanding, in 1 ms steps for `span`
// or until it steps down. Nothing arrives but what passes between 0 and a
// follower for which `answers(round, follower)` holds, `round` counting the
// star rounds (an append to every follower at once, CheckChainStall) sent
// so far. Returns the star rounds' times.
std::vector<Micros> StarRounds(
    TestCluster& c, Micros span,
    const std::function<bool(int round, NodeId follower)>& answers) {
  std::vector<Micros> rounds;
  const Micros end = c.now() + span;
  while (c.now() < end && c.replica(0).role() == Role::kLeader) {
    c.AdvanceBy(1 * kMs);
    std::set<NodeId> to;
    for (const Message& m : c.Pending()) {
      if (m.src == 0 && BodyAs<AppendEntries>(m)) to.insert(m.dst);
    }
    if (to.size() == 4) rounds.push_back(c.now());
    const int round = static_cast<int>(rounds.size());
    auto passes = [&](const Message& m) {
      return (m.src == 0 && answers(round, m.dst)) ||
             (m.dst == 0 && answers(round, m.src));
    };
    while (!c.pending().empty()) {
      c.Deliver(passes);
      c.Drop([&](const Message& m) { return !passes(m); });
    }
  }
  return rounds;
}

// On the minority side of a partition with its chain's head, the leader's
// put can never commit. Its star rounds go on election_timeout_min / 4 apart
// at most until the head's answers and the others' silence say it is cut
// off (LooksCutOff); then they back off, for each of them is counted and
// dropped.
TEST(ChainTest, LeaderCutOffWithAMinorityBacksOffItsStarRounds) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-1", "k", "v");
  const ReplicaConfig& config = c.replica(0).config();
  const std::vector<Micros> rounds =
      StarRounds(c, 2 * config.quorum_timeout,
                 [&](int, NodeId follower) { return follower == chain.head; });
  ASSERT_GE(rounds.size(), 4u);
  EXPECT_LE(rounds[2] - rounds[1], config.election_timeout_min / 4);
  EXPECT_GT(rounds[3] - rounds[2], config.election_timeout_min / 4);
  for (size_t i = 3; i < rounds.size(); ++i) {
    EXPECT_LE(rounds[i] - rounds[i - 1], config.quorum_timeout / 2);
  }
  // CheckQuorum still makes it step down.
  EXPECT_NE(c.replica(0).role(), Role::kLeader);
  EXPECT_LE(rounds.size(), 6u) << "a round every election_timeout_min / 4 "
                                  "would have made about ten";
}

// The same silence, but the one follower that answers misses two rounds in
// three: on a network that lossy, three silent followers may all be alive
// and unlucky (with only a bare majority alive, each is needed), so the
// rounds do not back off.
TEST(ChainTest, LossyLeaderKeepsItsStarRoundsGoing) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-1", "k", "v");
  const ReplicaConfig& config = c.replica(0).config();
  const std::vector<Micros> rounds =
      StarRounds(c, config.quorum_timeout, [&](int round, NodeId follower) {
        return follower == chain.head && round % 3 == 1;
      });
  ASSERT_GE(rounds.size(), 7u);
  for (size_t i = 1; i < rounds.size(); ++i) {
    EXPECT_LE(rounds[i] - rounds[i - 1], config.election_timeout_min / 4)
        << "round " << i;
  }
}

// The same unlucky answers, but the leader has counted how lossy the
// network is (the tail's LinkLoss counts: 10% lost), and at that loss the
// head would answer four rounds in five: the others' silence says cut off,
// and the rounds back off.
TEST(ChainTest, LeaderThatCountedLittleLossTakesSilenceForAPartition) {
  TestCluster c = FiveReplicas();
  const Chain chain = SettleAndPut(c, "put-1", "k", "v");
  const std::vector<AppendEntries> sent = PendingChainAppends(c, chain);
  ASSERT_EQ(sent.size(), 1u);
  c.DropAll();
  // An acknowledgement of what came before put-1, reporting the counts.
  AcknowledgeAsTheTailThrough(c, chain, sent[0], 1, sent[0].prev_index,
                              LinkCounts{180, 20});
  c.DropAll();
  const ReplicaConfig& config = c.replica(0).config();
  const std::vector<Micros> rounds =
      StarRounds(c, config.quorum_timeout, [&](int round, NodeId follower) {
        return follower == chain.head && round % 3 == 1;
      });
  ASSERT_GE(rounds.size(), 4u);
  bool backed_off = false;
  for (size_t i = 1; i < rounds.size(); ++i) {
    if (rounds[i] - rounds[i - 1] > config.election_timeout_min / 4) {
      backed_off = true;
    }
  }
  EXPECT_TRUE(backed_off);
  EXPECT_LE(rounds.size(), 5u);
}

}  // namespace
}  // namespace stepwise

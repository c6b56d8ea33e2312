// A follower off the chain that leaves the leader's asks unanswered is taken
// for dead or cut off and sent nothing more until it speaks again: its
// campaign, or an answer (leader.cc, Silent; election.cc).

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replica/replica.h"
#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::BodyAs;
using ::stepwise::testing::FiveReplicas;
using ::stepwise::testing::SettleWithLeaderZero;
using ::stepwise::testing::TestCluster;

constexpr Micros kMs = kMillis;
constexpr NodeId kClient = 0x0100;

using Filter = std::function<bool(const Message&)>;

bool Touches(const Message& m, NodeId id) { return m.src == id || m.dst == id; }

// Drives the cluster for `duration` in 1 ms steps, a put to `leader` every
// `put_every` (if not 0), delivering at once every message but those `lost`
// matches, which are dropped. Counts the AppendEntries `leader` sends to
// `watch` (the ones `count` matches), whether delivered or lost.
class Driver {
 public:
  Driver(TestCluster& c, NodeId leader, Micros put_every = 100 * kMs)
      : c_(c), leader_(leader), put_every_(put_every) {}

  int Run(Micros duration, NodeId watch, const Filter& lost,
          const std::function<bool(const AppendEntries&)>& count = nullptr) {
    const Micros end = c_.now() + duration;
    int sent = 0;
    while (c_.now() < end) {
      if (put_every_ > 0 && c_.now() >= next_put_) {
        const std::string n = std::to_string(puts_++);
        c_.Put(leader_, kClient, "put-" + n, "k" + n, "v");
        next_put_ = c_.now() + put_every_;
      }
      for (int hop = 0; hop < 20 && !c_.pending().empty(); ++hop) {
        for (const Message& m : c_.Pending()) {
          const AppendEntries* a = BodyAs<AppendEntries>(m);
          if (a && m.src == leader_ && m.dst == watch &&
              (!count || count(*a))) {
            ++sent;
          }
        }
        c_.Drop(lost);
        c_.DeliverAll();
      }
      c_.AdvanceBy(1 * kMs);
    }
    return sent;
  }

 private:
  TestCluster& c_;
  NodeId leader_;
  Micros put_every_;
  int puts_ = 0;
  Micros next_put_ = 0;
};

bool HasEntries(const AppendEntries& a) { return !a.entries.empty(); }

// Everything to or from 0, once it is killed.
bool ToOrFromZero(const Message& m) { return Touches(m, 0); }

// Settles 0 as the leader, then kills it (everything to or from it is lost)
// and runs until another leads. Returns the new leader.
NodeId KillZeroAndElect(TestCluster& c) {
  SettleWithLeaderZero(c);
  const Filter dead = ToOrFromZero;
  const Micros deadline = c.now() + 5 * kSeconds;
  while (c.LeaderAmong({1, 2, 3, 4}) == kNoNode && c.now() < deadline) {
    c.Drop(dead);
    c.DeliverAll();
    c.AdvanceBy(1 * kMs);
  }
  return c.LeaderAmong({1, 2, 3, 4});
}

// The killed leader stays among its successor's followers. Asked to answer
// when the successor takes over, and with what it is sent after, it never
// does: once taken for silent, it is sent nothing, while the live follower
// off the chain still gets its batches.
TEST(SilentFollowersTest, KilledLeaderIsSentNothingOnceSilent) {
  TestCluster c = FiveReplicas();
  const NodeId leader = KillZeroAndElect(c);
  ASSERT_NE(leader, kNoNode);
  const Filter dead = ToOrFromZero;
  Driver driver(c, leader);
  EXPECT_GT(driver.Run(3 * kSeconds, 0, dead), 0) << "asked before judged";
  EXPECT_EQ(driver.Run(3 * kSeconds, 0, dead), 0);
  // The live follower off the chain gets what it did before the kill: a
  // batch every lazy_every_puts puts, not the dead one's share on top. Nor
  // one with every put once 0 has been silent for crash_silence: no append
  // is lost here, and a crash alone changes nothing (SeenACrash).
  const int every = c.replica(leader).config().lazy_every_puts;
  ASSERT_EQ(every, 4);
  int batches_to_live = 0;
  for (NodeId id = 1; id <= 4; ++id) {
    if (id == leader) continue;
    // Not the chain's appends: those go to its head, with a relay.
    batches_to_live +=
        driver.Run(3 * kSeconds, id, dead, [](const AppendEntries& a) {
          return !a.entries.empty() && a.relay.empty();
        });
  }
  EXPECT_GE(batches_to_live, 30 / every - 1);  // 30 puts in each 3 s
  EXPECT_LE(batches_to_live, 30 / every + 1);
}

// A chain append of `leader` every 2 s (appends being lost, each well
// within loss_memory of the one before); `last_loss` is when the last one
// was.
Filter ChainLosses(TestCluster& c, NodeId leader, Micros& last_loss) {
  return [&c, leader, &last_loss](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (!a || m.src != leader || a->relay.empty() || a->entries.empty()) {
      return false;
    }
    if (last_loss >= 0 && c.now() - last_loss < 2 * kSeconds) return false;
    last_loss = c.now();
    return true;
  };
}

// Everything to or from 0, dead, and ChainLosses.
Filter DeadZeroAndChainLosses(TestCluster& c, NodeId leader,
                              Micros& last_loss) {
  Filter losses = ChainLosses(c, leader, last_loss);
  return [losses](const Message& m) { return Touches(m, 0) || losses(m); };
}

// The followers of `leader` that none of its chain appends delivered so far
// went to or through.
std::vector<NodeId> OffTheChain(const TestCluster& c, NodeId leader) {
  std::vector<NodeId> off;
  for (NodeId id = 0; id < c.size(); ++id) {
    if (id != leader) off.push_back(id);
  }
  for (const auto& e : c.delivered()) {
    const AppendEntries* a = BodyAs<AppendEntries>(e.message);
    if (a && e.message.src == leader && !a->relay.empty()) {
      std::erase(off, e.message.dst);
      std::erase(off, a->relay.back());
    }
  }
  return off;
}

// The appends with entries `leader` delivered to `id` so far.
int BatchesDelivered(const TestCluster& c, NodeId leader, NodeId id) {
  return c.CountDelivered([&](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return a && m.src == leader && m.dst == id && !a->entries.empty();
  });
}

// Silent for longer than a partition lasts, the killed leader has crashed
// (SeenACrash): while chain appends are being lost, each put then goes at
// once to the live follower off the chain as well, where before it got a
// batch every lazy_every_puts puts.
TEST(SilentFollowersTest, AfterACrashEachPutAlsoGoesToAFollowerOffTheChain) {
  TestCluster c = FiveReplicas();
  const NodeId leader = KillZeroAndElect(c);
  ASSERT_NE(leader, kNoNode);
  const Micros elected = c.now();
  const ReplicaConfig& config = c.replica(leader).config();
  ASSERT_EQ(config.lazy_every_puts, 4);
  ASSERT_EQ(config.lazy_every_puts_after_crash, 1);
  ASSERT_EQ(config.crash_silence, 6 * kSeconds);
  Micros last_loss = -1;
  const Filter lost = DeadZeroAndChainLosses(c, leader, last_loss);
  Driver driver(c, leader);
  driver.Run(100 * kMs, 0, lost);
  // The live follower off the chain; 0, dead, is the other.
  std::vector<NodeId> off_the_chain = OffTheChain(c, leader);
  std::erase(off_the_chain, 0);
  ASSERT_EQ(off_the_chain.size(), 1u);
  const NodeId off = off_the_chain[0];
  // What the leader sends it (none of it is lost).
  auto batches = [&] { return BatchesDelivered(c, leader, off); };
  // Before crash_silence: a batch every lazy_every_puts puts at most.
  int start = batches();
  driver.Run(5 * kSeconds, 0, lost);
  EXPECT_LE(batches() - start, 50 / config.lazy_every_puts + 2) << "of 50 puts";
  ASSERT_GT(last_loss, elected) << "appends were lost";
  driver.Run(elected + config.crash_silence - c.now(), 0, lost);
  // After: one with every put but those that come while the chain stalls
  // (from twice ack_delay after each loss until the resend is answered).
  start = batches();
  driver.Run(3 * kSeconds, 0, lost);
  EXPECT_GE(batches() - start, 18) << "of 30 puts";
  EXPECT_LE(batches() - start, 31);
}

// A follower off the chain answers only when asked, so it may go unheard
// for long while it is well. Cut off then, and taken for silent, it has
// not crashed until it has left our asks unanswered for crash_silence,
// counted from the first of them (SeenACrash): a partition heals sooner.
TEST(SilentFollowersTest, QuietFollowerCutOffIsNotTakenForCrashedAtOnce) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  Micros last_loss = -1;
  const Filter losses = ChainLosses(c, 0, last_loss);
  Driver driver(c, 0);
  driver.Run(7 * kSeconds, 1, losses);
  // The two followers off the chain: neither was asked anything, so
  // neither said anything since the first seconds.
  const std::vector<NodeId> off = OffTheChain(c, 0);
  ASSERT_EQ(off.size(), 2u);
  const NodeId cut = off[0];
  const NodeId other = off[1];
  // `cut` is cut off, and for 1.5 s every chain append is lost, so that the
  // chain's stall reaches a star round, which asks every follower.
  const Micros cut_at = c.now();
  Micros first_ask = -1;
  const Filter cut_off = [&](const Message& m) {
    if (Touches(m, cut)) {
      const AppendEntries* a = BodyAs<AppendEntries>(m);
      if (a && a->ack_delay == 0 && first_ask < 0) first_ask = c.now();
      return true;
    }
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (a && m.src == 0 && !a->relay.empty() && c.now() < cut_at + 1500 * kMs) {
      return true;
    }
    return losses(m);
  };
  driver.Run(2 * kSeconds, cut, cut_off);
  ASSERT_GT(first_ask, cut_at) << "the star round asked it";
  auto batches_to = [&](NodeId id) { return BatchesDelivered(c, 0, id); };
  driver.Run(first_ask + 3500 * kMs - c.now(), cut, cut_off);
  // Taken for silent by now (sent nothing), but not for crashed: the
  // other follower off the chain still gets a batch every lazy_every_puts
  // puts, not one with every put.
  int start = batches_to(other);
  EXPECT_EQ(driver.Run(2 * kSeconds, cut, cut_off), 0) << "silent";
  EXPECT_LE(batches_to(other) - start, 20 / 6 + 2) << "of 20 puts";
  // crash_silence after the first ask it left unanswered, it has crashed.
  driver.Run(first_ask + 6500 * kMs - c.now(), cut, cut_off);
  start = batches_to(other);
  driver.Run(2 * kSeconds, cut, cut_off);
  EXPECT_GE(batches_to(other) - start, 12) << "of 20 puts";
}

// 0 killed, a successor leading, and puts driven until 0 is taken for
// silent (nothing sent to it for a second).
class SilencedZeroTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leader_ = KillZeroAndElect(c_);
    ASSERT_NE(leader_, kNoNode);
    driver_ = std::make_unique<Driver>(c_, leader_);
    driver_->Run(4 * kSeconds, 0, ToOrFromZero);
    ASSERT_EQ(driver_->Run(1 * kSeconds, 0, ToOrFromZero), 0)
        << "taken for silent";
  }

  TestCluster c_ = FiveReplicas();
  NodeId leader_ = kNoNode;
  std::unique_ptr<Driver> driver_;
};

// Back from the dead (a partition heals), it answers the first thing the
// leader sends it after its campaign, and gets its batches again.
TEST_F(SilencedZeroTest, SilentFollowerThatSpeaksGetsBatchesAgain) {
  ASSERT_GT(c_.replica(leader_).commit_index(),
            c_.replica(0).commit_index() + 40);
  const Filter none = [](const Message&) { return false; };
  driver_->Run(3 * kSeconds, 0, none);
  EXPECT_EQ(c_.replica(0).leader(), leader_);
  EXPECT_GT(driver_->Run(2 * kSeconds, 0, none, HasEntries), 2);
  // Caught up from 80 puts behind, but for the last few (a batch goes every
  // few puts).
  EXPECT_GE(c_.replica(0).commit_index() + 10,
            c_.replica(leader_).commit_index());
}

// Its campaign alone proves it alive: even with every answer of its lost,
// the leader, reached by its pre-vote, sends it batches again (for a
// while: unanswered, it is taken for silent again, and campaigns again).
TEST_F(SilencedZeroTest, CampaignOfASilentFollowerBringsItBack) {
  const Filter answers_lost = [](const Message& m) {
    return m.src == 0 && BodyAs<AppendReply>(m) != nullptr;
  };
  auto campaigns = [&] {
    return c_.CountDelivered([&](const Message& m) {
      return m.src == 0 && m.dst == leader_ && BodyAs<VoteRequest>(m);
    });
  };
  const int campaigns_before = campaigns();
  const int sent_to_zero =
      driver_->Run(6 * kSeconds, 0, answers_lost, HasEntries);
  const int campaigns_heard = campaigns() - campaigns_before;
  ASSERT_GT(campaigns_heard, 0);
  // Not counting the append that answers each campaign directly.
  EXPECT_GT(sent_to_zero - campaigns_heard, 2);
}

// An answer from it (to a star round's ask, say) proves it alive as well:
// it gets keepalives again, and batches.
TEST_F(SilencedZeroTest, AnswerOfASilentFollowerBringsItBack) {
  // Still cut off but for one answer, which says it holds all we do.
  AppendReply answer;
  answer.term = c_.replica(leader_).term();
  answer.success = true;
  answer.match_index = c_.replica(leader_).log().last_index();
  answer.sent_at = c_.now();
  c_.Inject(0, leader_, answer, /*leader=*/leader_);
  Driver idle(c_, leader_, /*put_every=*/0);
  EXPECT_GT(idle.Run(3 * kSeconds, 0, ToOrFromZero), 0) << "keepalives";
  EXPECT_GT(driver_->Run(1 * kSeconds, 0, ToOrFromZero, HasEntries), 0)
      << "batches";
}

// A follower that answered puts for us and has not told us it did owes us
// that news, and is never taken for silent: were it sent nothing, the
// leader would take over its clients (answers.cc) on our silence rather
// than on its own, and answer them twice if it lives.
TEST(SilentFollowersTest, FollowerThatOwesAnswersIsNeverTakenForSilent) {
  TestCluster c = FiveReplicas();
  SettleWithLeaderZero(c);
  c.Put(0, kClient, "put-owed", "k", "v");
  NodeId tail = kNoNode;
  for (const Message& m : c.Pending()) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (a && m.src == 0 && !a->relay.empty()) tail = a->relay.back();
  }
  ASSERT_NE(tail, kNoNode);
  // The chain carries the put to the tail, which answers the client; its
  // acknowledgement is lost, and from then on it is cut off.
  for (int hop = 0; hop < 3; ++hop) {
    c.Drop([&](const Message& m) {
      return m.src == tail && BodyAs<AppendReply>(m) != nullptr;
    });
    c.DeliverAll();
  }
  ASSERT_NE(c.ReplyTo("put-owed"), nullptr);
  ASSERT_EQ(c.ReplyTo("put-owed")->from, tail);
  // No more puts: while they flow, each commit is news sent to it anyway
  // (MaybeAdvanceCommit); keepalives are what it gets without them.
  const Filter cut_off = [&](const Message& m) { return Touches(m, tail); };
  Driver driver(c, 0, /*put_every=*/0);
  driver.Run(2 * kSeconds, tail, cut_off);
  // Well past six asks, well before the takeover (answer_takeover).
  EXPECT_GT(driver.Run(2 * kSeconds, tail, cut_off), 3);
}

}  // namespace
}  // namespace stepwise

#include "replica/link_loss.h"

#include <map>

#include "gtest/gtest.h"

namespace stepwise {
namespace {

TEST(LinkLossTest, AJumpInSeqIsThatManyLost) {
  LinkLoss loss;
  loss.Received(1, 1);  // the first from a peer only starts its count
  EXPECT_EQ(loss.counts().arrived, 0u);
  loss.Received(1, 2);
  loss.Received(1, 5);  // 3 and 4 lost
  loss.Received(2, 10);
  loss.Received(2, 12);  // 11 lost: each peer counts on its own
  EXPECT_EQ(loss.counts().arrived, 3u);
  EXPECT_EQ(loss.counts().lost, 3u);
}

TEST(LinkLossTest, AnOutageIsNoLoss) {
  LinkLoss loss;
  loss.Received(1, 1);
  loss.Received(1, 2 + LinkLoss::kMaxGap);  // kMaxGap lost: loss
  EXPECT_EQ(loss.counts().lost, LinkLoss::kMaxGap);
  loss.Received(1, 100);  // a partition's worth: not counted
  EXPECT_EQ(loss.counts().lost, LinkLoss::kMaxGap);
  EXPECT_EQ(loss.counts().arrived, 2u);
  loss.Received(1, 102);  // and counting goes on from there
  EXPECT_EQ(loss.counts().lost, LinkLoss::kMaxGap + 1);
}

TEST(LinkLossTest, LateRepeatedAndUnnumberedMessagesCountForNothing) {
  LinkLoss loss;
  loss.Received(1, 1);
  loss.Received(1, 4);
  loss.Received(1, 3);  // late: already counted lost
  loss.Received(1, 4);  // repeated
  loss.Received(1, 0);  // not numbered (an injected or older message)
  EXPECT_EQ(loss.counts().arrived, 1u);
  EXPECT_EQ(loss.counts().lost, 2u);
}

// The counts halve at 2 * kSpan, so that they follow a network whose loss
// changes, and the share stays what it was.
TEST(LinkLossTest, CountsHalveAtTwiceTheSpan) {
  LinkLoss loss;
  uint64_t seq = 1;
  loss.Received(1, seq);
  for (int i = 0; i < 1000; ++i) {
    seq += (i % 4 == 0) ? 2 : 1;  // one in four followed by a loss
    loss.Received(1, seq);
    const LinkCounts& c = loss.counts();
    ASSERT_LT(c.arrived + c.lost, 2 * LinkLoss::kSpan);
  }
  const LinkCounts& c = loss.counts();
  EXPECT_GE(c.arrived + c.lost, LinkLoss::kSpan);
  const double share = static_cast<double>(c.lost) / (c.arrived + c.lost);
  EXPECT_NEAR(share, 0.2, 0.02);
}

TEST(LinkLossTest, CountsAboveTheirCeilingAreNotPlausible) {
  EXPECT_TRUE(Plausible(LinkCounts{300, 100}));
  EXPECT_FALSE(Plausible(LinkCounts{2 * LinkLoss::kSpan, 0}));
  EXPECT_FALSE(Plausible(LinkCounts{300, 300}));
  // Each alone below the ceiling, their sum wrapping around: still no.
  EXPECT_FALSE(Plausible(LinkCounts{~uint64_t{0}, 2}));
  EXPECT_FALSE(Plausible(LinkCounts{2, ~uint64_t{0}}));
}

TEST(LinkLossTest, LostPerMilleSumsEveryReplicasCounts) {
  std::map<NodeId, LinkCounts> reported;
  EXPECT_EQ(LostPerMille(LinkCounts{40, 10}, reported), -1);  // too few
  reported[2] = LinkCounts{30, 20};
  EXPECT_EQ(LostPerMille(LinkCounts{40, 10}, reported), 300);
  reported[3] = LinkCounts{100, 0};
  EXPECT_EQ(LostPerMille(LinkCounts{40, 10}, reported), 150);
  EXPECT_EQ(LostPerMille(LinkCounts{kMinCounted, 0}, {}), 0);
}

TEST(LinkLossTest, DeliveryBelowCompoundsTheHops) {
  // 30% lost per hop: two hops deliver 49%, one 70%.
  EXPECT_TRUE(DeliveryBelow(300, 2, 60));
  EXPECT_FALSE(DeliveryBelow(300, 1, 60));
  // 15% and 22%: 72% and 61% over two hops.
  EXPECT_FALSE(DeliveryBelow(150, 2, 60));
  EXPECT_FALSE(DeliveryBelow(220, 2, 60));
  EXPECT_TRUE(DeliveryBelow(230, 2, 60));
  EXPECT_FALSE(DeliveryBelow(0, 0, 60));
}

}  // namespace
}  // namespace stepwise

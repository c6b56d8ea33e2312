// The leader's measure of how much of what it sends down the chain reaches
// the tail (chain_delivery.h).

#include "replica/chain_delivery.h"

#include <gtest/gtest.h>

namespace stepwise {
namespace {

constexpr Micros kMs = kMillis;
constexpr NodeId kTail = 3;
constexpr Micros kT0 = 1 * kSeconds;  // the term began before

// Sends `sends` appends to kTail, 10 ms apart from `start`, of which the
// tail received `every_nth` - 1 in every `every_nth` (all if 0), and
// acknowledges every fourth one it received, as a deferred reply would.
// Returns the time of the last send.
Micros SendAndAcknowledge(ChainDelivery& d, Micros start, int sends,
                          int every_nth, uint64_t* received) {
  Micros at = start;
  for (int i = 1; i <= sends; ++i) {
    at = start + i * 10 * kMs;
    d.Sent(kTail, at);
    if (every_nth != 0 && i % every_nth == 0) continue;  // lost
    ++*received;
    if (*received % 4 == 0) d.Acknowledged(kTail, at, *received);
  }
  return at;
}

TEST(ChainDeliveryTest, SaysNothingUntilItHasSeenEnough) {
  ChainDelivery d;
  // Half of what goes arrives...
  uint64_t received = 0;
  Micros at = kT0;
  for (int i = 1; i < ChainDelivery::kMinSent; ++i) {
    at += kMs;
    d.Sent(kTail, at);
    if (i % 2 == 0) d.Acknowledged(kTail, at, ++received);
  }
  ASSERT_GT(d.window_sent(), 0);
  ASSERT_LT(d.window_sent(), ChainDelivery::kMinSent);
  // ...which is no verdict yet.
  EXPECT_FALSE(d.Below(60, 100));
  for (int i = 1; i <= 4; ++i) {
    at += kMs;
    d.Sent(kTail, at);
    if (i % 2 == 0) d.Acknowledged(kTail, at, ++received);
  }
  EXPECT_GE(d.window_sent(), ChainDelivery::kMinSent);
  EXPECT_TRUE(d.Below(60, 100));
}

// The tail's count and ours both start at 0 with the term: the first
// acknowledgement is already a sample.
TEST(ChainDeliveryTest, FirstAcknowledgementIsASample) {
  ChainDelivery d;
  for (int i = 1; i <= 10; ++i) d.Sent(kTail, kT0 + i * kMs);
  d.Acknowledged(kTail, kT0 + 10 * kMs, 4);
  EXPECT_EQ(d.window_sent(), 10);
  EXPECT_EQ(d.window_received(), 4);
}

TEST(ChainDeliveryTest, TellsALossyChainFromAGoodOne) {
  ChainDelivery lossy;
  ChainDelivery good;
  uint64_t lossy_received = 0;
  uint64_t good_received = 0;
  SendAndAcknowledge(lossy, kT0, 64, 2, &lossy_received);  // half arrive
  SendAndAcknowledge(good, kT0, 64, 5, &good_received);    // four in five
  EXPECT_TRUE(lossy.Below(60, 100));
  EXPECT_FALSE(good.Below(60, 100));
  EXPECT_TRUE(good.Below(85, 100));
  // The window holds the last kWindow sends or so, not the whole term.
  EXPECT_LE(lossy.window_sent(), 2 * ChainDelivery::kWindow);
}

TEST(ChainDeliveryTest, ForgetsOldLossOnceTheWindowMovesOn) {
  ChainDelivery d;
  uint64_t received = 0;
  Micros at = SendAndAcknowledge(d, kT0, 64, 2, &received);
  ASSERT_TRUE(d.Below(60, 100));
  SendAndAcknowledge(d, at, 3 * ChainDelivery::kWindow, 0, &received);
  EXPECT_FALSE(d.Below(95, 100));
}

TEST(ChainDeliveryTest, ALostAcknowledgementCostsNoSample) {
  ChainDelivery d;
  // Everything arrives, but only every eighth acknowledgement.
  for (int i = 1; i <= 2 * ChainDelivery::kMinSent; ++i) {
    d.Sent(kTail, kT0 + i * kMs);
    if (i % 8 == 0) d.Acknowledged(kTail, kT0 + i * kMs, i);
  }
  EXPECT_EQ(d.window_sent(), d.window_received());
  EXPECT_GE(d.window_sent(), ChainDelivery::kMinSent);
  EXPECT_FALSE(d.Below(100, 100));
}

// A tail back after a partition reports a count that leaves out all that
// was sent while it was cut off: not loss.
TEST(ChainDeliveryTest, AStretchLongerThanMaxSpanIsNoSample) {
  ChainDelivery d;
  d.Sent(kTail, kT0);
  d.Acknowledged(kTail, kT0, 1);
  ASSERT_EQ(d.window_sent(), 1);
  for (int i = 1; i <= 40; ++i) {
    d.Sent(kTail, kT0 + i * 100 * kMs);  // 4 s, cut off
  }
  d.Acknowledged(kTail, kT0 + 40 * 100 * kMs, 2);
  EXPECT_EQ(d.window_sent(), 1);
  EXPECT_EQ(d.window_received(), 1);
}

TEST(ChainDeliveryTest, AStretchAcrossADisruptionIsNoSample) {
  ChainDelivery d;
  d.Sent(kTail, kT0);
  d.Acknowledged(kTail, kT0, 1);
  for (int i = 1; i <= 20; ++i) d.Sent(kTail, kT0 + i * kMs);
  d.Disrupted();
  // Acknowledgements of what went before it, late or not, start nothing.
  d.Acknowledged(kTail, kT0 + 10 * kMs, 2);
  d.Acknowledged(kTail, kT0 + 20 * kMs, 3);
  d.Sent(kTail, kT0 + 30 * kMs);
  d.Acknowledged(kTail, kT0 + 30 * kMs, 4);  // the base of the next sample
  EXPECT_EQ(d.window_sent(), 1);
  d.Sent(kTail, kT0 + 40 * kMs);
  d.Acknowledged(kTail, kT0 + 40 * kMs, 5);
  EXPECT_EQ(d.window_sent(), 2);
  EXPECT_EQ(d.window_received(), 2);
}

TEST(ChainDeliveryTest, CountsOfOneTailDoNotMixWithAnothers) {
  ChainDelivery d;
  d.Sent(1, kT0);
  d.Acknowledged(1, kT0, 1);
  d.Sent(2, kT0 + 1 * kMs);
  d.Sent(2, kT0 + 2 * kMs);
  d.Acknowledged(2, kT0 + 2 * kMs, 1);  // 1 of 2
  for (int i = 3; i <= 20; ++i) d.Sent(1, kT0 + i * kMs);
  d.Acknowledged(1, kT0 + 20 * kMs, 19);  // 18 of 18
  EXPECT_EQ(d.window_sent(), 1 + 2 + 18);
  EXPECT_EQ(d.window_received(), 1 + 1 + 18);
}

TEST(ChainDeliveryTest, IgnoresNonsense) {
  ChainDelivery d;
  d.Acknowledged(kTail, kT0 + 5 * kMs, 3);  // nothing sent to it
  EXPECT_EQ(d.window_sent(), 0);
  d.Sent(kTail, kT0 + 10 * kMs);
  d.Acknowledged(kTail, kT0 + 7 * kMs, 9);  // a send time never used
  EXPECT_EQ(d.window_sent(), 0);
  d.Acknowledged(kTail, kT0 + 10 * kMs, 1000);  // more than was sent
  EXPECT_EQ(d.window_sent(), 1);
  EXPECT_EQ(d.window_received(), 1);
  d.Acknowledged(kTail, kT0 + 10 * kMs, 1000);  // the one taken, again
  EXPECT_EQ(d.window_sent(), 1);
  d.Sent(kTail, kT0 + 30 * kMs);
  d.Acknowledged(kTail, kT0 + 30 * kMs, 5);  // the count went backwards
  EXPECT_EQ(d.window_sent(), 1);
}

TEST(ChainDeliveryTest, ResetForgetsEverything) {
  ChainDelivery d;
  uint64_t received = 0;
  SendAndAcknowledge(d, kT0, 64, 2, &received);
  ASSERT_TRUE(d.Below(60, 100));
  d.Reset();
  EXPECT_EQ(d.window_sent(), 0);
  EXPECT_FALSE(d.Below(60, 100));
  d.Acknowledged(kTail, kT0 + 640 * kMs, received);  // sends forgotten
  EXPECT_EQ(d.window_sent(), 0);
}

}  // namespace
}  // namespace stepwise

// The default latency model against the harness doc's measurements
// ("Timing measured on this kind of machine"): simple-2 with a trivial
// responder that answers at once, after a round trip with one peer, or
// after replies from two peers (a 5-replica quorum). Virtual time only.

#include <gtest/gtest.h>

#include <cstdio>

#include "simulator/report.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"
#include "simulator/testing/fake_nodes.h"

namespace stepwise::sim {
namespace {

double MedianMicros(int peers_to_wait, uint64_t seed) {
  ParseResult p = LoadScenario("scenarios/course/simple-2.json");
  EXPECT_TRUE(p.ok) << p.error;
  testing::FakeOptions o;
  o.peers_to_wait = peers_to_wait;
  RunResult r = Simulate(p.scenario, seed, testing::FakeFactory(o));
  EXPECT_EQ(r.clients.incorrect, 0);
  double median = MedianSeconds(r.clients.latencies) * 1e6;
  std::printf("peers_to_wait=%d seed=%llu median=%.1f us\n", peers_to_wait,
              static_cast<unsigned long long>(seed), median);
  return median;
}

TEST(CalibrationTest, OneHopMedianIsInTheMeasuredRange) {
  for (uint64_t seed : {1, 2, 3}) {
    double m = MedianMicros(0, seed);
    EXPECT_GE(m, 340) << seed;
    EXPECT_LE(m, 380) << seed;
  }
}

TEST(CalibrationTest, OnePeerRoundTripMedianIsInTheMeasuredRange) {
  for (uint64_t seed : {1, 2, 3}) {
    double m = MedianMicros(1, seed);
    EXPECT_GE(m, 630) << seed;
    EXPECT_LE(m, 760) << seed;
  }
}

TEST(CalibrationTest, QuorumOfTwoPeersMedianIsInTheMeasuredRange) {
  for (uint64_t seed : {1, 2, 3}) {
    double m = MedianMicros(2, seed);
    EXPECT_GE(m, 820) << seed;
    EXPECT_LE(m, 890) << seed;
  }
}

}  // namespace
}  // namespace stepwise::sim

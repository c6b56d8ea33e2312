#include "simulator/liveness.h"

#include <gtest/gtest.h>

#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

// 5 replicas; requests over [5 s, 25 s]; a partition from 2 s to 6 s after
// start_wait, so the faults heal at 11 s and requests are judged from 14 s.
Scenario Healing() {
  nlohmann::json config = testing::BaseConfig();
  config["lifetime"] = 20;
  config["end_wait"] = 4;
  config["liveness_bound"] = 3;
  config["events"] = {{{"type", "part_hard"}, {"time", 2}},
                      {{"type", "part_end"}, {"time", 6}}};
  return testing::MustParse(config);
}

RunResult RunWith(std::vector<RequestTiming> requests) {
  RunResult run;
  run.end_time = 29 * kSeconds;
  run.requests = std::move(requests);
  return run;
}

TEST(LivenessTest, HealTimeIsTheEndOfTheLastEventIncludingSpikes) {
  Scenario s = Healing();
  EXPECT_EQ(HealTime(s), 11 * kSeconds);
  FaultEvent spike;
  spike.type = FaultType::kLatencySpike;
  spike.time = 5;
  spike.duration = 2.5;
  s.events.push_back(spike);
  EXPECT_EQ(HealTime(s), 12'500'000);
}

TEST(LivenessTest, RequestsAnsweredWithinTheBoundPass) {
  EXPECT_FALSE(CheckLiveness(
      Healing(), RunWith({{false, 15 * kSeconds, 15 * kSeconds + 2'999'000},
                          {true, 20 * kSeconds, 20 * kSeconds + 1000}})));
}

TEST(LivenessTest, ALateOrMissingAnswerAfterRecoveryFails) {
  auto late = CheckLiveness(
      Healing(), RunWith({{false, 15 * kSeconds, 15 * kSeconds + 3'000'001}}));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->property, kLiveness);
  EXPECT_EQ(late->time, 18 * kSeconds);
  EXPECT_NE(late->detail.find("answered ok only at 18.000 s"),
            std::string::npos)
      << late->detail;
  auto never =
      CheckLiveness(Healing(), RunWith({{true, 14 * kSeconds, kNever}}));
  ASSERT_TRUE(never);
  EXPECT_NE(never->detail.find("a get first sent at 14.000 s was never"),
            std::string::npos)
      << never->detail;
}

TEST(LivenessTest, RecoveryTimeAndTheRunsEndAreNotJudged) {
  // Sent before heal + bound (14 s): the cluster may still be recovering.
  EXPECT_FALSE(
      CheckLiveness(Healing(), RunWith({{false, 13'999'999, kNever}})));
  // Its bound reaches past the end of the run.
  EXPECT_FALSE(
      CheckLiveness(Healing(), RunWith({{false, 27 * kSeconds, kNever}})));
}

TEST(LivenessTest, NotJudgedUnlessTheEventsLeaveTheNetworkHealed) {
  RunResult stalled = RunWith({{false, 20 * kSeconds, kNever}});
  EXPECT_TRUE(CheckLiveness(Healing(), stalled));
  Scenario cut = Healing();
  cut.events.pop_back();  // the part_end
  EXPECT_FALSE(EndsHealed(cut));
  EXPECT_FALSE(CheckLiveness(cut, stalled));
  Scenario lossy = Healing();
  FaultEvent drops;
  drops.type = FaultType::kDrops;
  drops.time = 6;
  drops.probability = 0.2;
  lossy.events.push_back(drops);
  EXPECT_FALSE(EndsHealed(lossy));
  lossy.drops = 0.2;  // back at the base rate: healed
  EXPECT_TRUE(EndsHealed(lossy));
  FaultEvent spike;
  spike.type = FaultType::kLatencySpike;
  spike.time = 6;
  spike.extra_us = 1000;
  Scenario slow = Healing();
  slow.events.push_back(spike);
  EXPECT_FALSE(EndsHealed(slow));
  slow.events.back().duration = 1.0;
  EXPECT_TRUE(EndsHealed(slow));
}

TEST(LivenessTest, NotJudgedWithoutABoundOrWithoutAMajority) {
  Scenario no_bound = Healing();
  no_bound.liveness_bound.reset();
  EXPECT_FALSE(
      CheckLiveness(no_bound, RunWith({{false, 20 * kSeconds, kNever}})));
  RunResult minority = RunWith({{false, 20 * kSeconds, kNever}});
  minority.killed = {0, 1, 2};
  EXPECT_FALSE(CheckLiveness(Healing(), minority));
  minority.killed = {0, 1};  // 3 of 5 live: judged
  EXPECT_TRUE(CheckLiveness(Healing(), minority));
}

// The fuzzer's measure of how close a run came to failing: the longest wait
// among the requests CheckLiveness judges, a late or missing answer counted
// as the bound.
TEST(LivenessTest, LongestJudgedWaitIsTheSlowestJudgedRequest) {
  EXPECT_EQ(LongestJudgedWait(Healing(),
                              RunWith({{false, 15 * kSeconds, 15'400'000},
                                       {true, 16 * kSeconds, 17'250'000},
                                       {false, 17 * kSeconds, 17'001'000}})),
            1'250'000);
  // Not judged: sent during recovery, or too near the end of the run.
  EXPECT_EQ(
      LongestJudgedWait(Healing(), RunWith({{false, 13 * kSeconds, kNever},
                                            {false, 15 * kSeconds, 15'400'000},
                                            {false, 27 * kSeconds, kNever}})),
      400'000);
  EXPECT_EQ(
      LongestJudgedWait(Healing(), RunWith({{false, 15 * kSeconds, 15'400'000},
                                            {true, 20 * kSeconds, kNever}})),
      3 * kSeconds);
  EXPECT_EQ(LongestJudgedWait(Healing(),
                              RunWith({{false, 15 * kSeconds, 19 * kSeconds}})),
            3 * kSeconds);
  EXPECT_FALSE(LongestJudgedWait(Healing(), RunWith({})));
  RunResult minority = RunWith({{false, 20 * kSeconds, kNever}});
  minority.killed = {0, 1, 2};
  EXPECT_FALSE(LongestJudgedWait(Healing(), minority));
}

}  // namespace
}  // namespace stepwise::sim

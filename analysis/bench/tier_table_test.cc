#include "analysis/bench/tier_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "analysis/bench/testing/seed_run.h"

namespace stepwise::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The tiers of three course configs, copied from scenarios/course/.
ConfigSpec Simple1() {
  ConfigSpec s;
  s.name = "simple-1";
  s.replicas = 5;
  s.requests = 500;
  s.mix = 0.8;
  s.tiers = {Tiers{1200, 3000, 5000}, Tiers{0, 1, 2}, Tiers{0, 2, 5},
             Tiers{0.0004, 0.002, 0.05}};
  return s;
}

ConfigSpec Simple2() {
  ConfigSpec s;
  s.name = "simple-2";
  s.replicas = 5;
  s.requests = 500;
  s.mix = 0.2;
  s.tiers = {Tiers{2200, 4000, 5000}, Tiers{0, 1, 2}, Tiers{0, 2, 5},
             Tiers{0.001, 0.005, 0.05}};
  return s;
}

ConfigSpec Crash4() {
  ConfigSpec s;
  s.name = "crash-4";
  s.replicas = 5;
  s.requests = 300;
  s.mix = 0.2;
  s.tiers = {Tiers{1800, 4000, 5000}, Tiers{1, 4, 10}, Tiers{0, 2, 10},
             Tiers{0.00015, 0.005, 0.05}};
  return s;
}

// Four seeds of simple-2: an even count, one failed seed, one run with no
// reply at all (latency NaN).
std::vector<SeedRun> Simple2Runs() {
  return {SeedResult(1, true, 3700, 0, 0, 0.0012),
          SeedResult(2, true, 3800, 1, 0, 0.0011),
          SeedResult(3, false, 3720, 0, 1, 0.0013),
          SeedResult(4, true, 3790, 2, 0, kNaN)};
}

TEST(MedianOverTest, OddCountIsTheMiddleValue) {
  EXPECT_EQ(MedianOver({5, 1, 3}), 3);
}

TEST(MedianOverTest, EvenCountIsTheMeanOfTheTwoMiddleValues) {
  EXPECT_EQ(MedianOver({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(MedianOver({3700, 3800, 3720, 3790}), 3755);
}

TEST(MedianOverTest, NoReplyAtAllSortsLastAsTheWorst) {
  EXPECT_EQ(MedianOver({0.001, kNaN, 0.002}), 0.002);
  EXPECT_EQ(MedianOver({kNaN, kNaN, 0.002}), kInf);
}

TEST(MedianOverTest, NoValuesIsNaN) { EXPECT_TRUE(std::isnan(MedianOver({}))); }

TEST(WorstOverTest, LargestValueAndNoReplyIsWorst) {
  EXPECT_EQ(WorstOver({1, 7, 3}), 7);
  EXPECT_EQ(WorstOver({0, 0}), 0);
  EXPECT_EQ(WorstOver({0.001, kNaN}), kInf);
  EXPECT_TRUE(std::isnan(WorstOver({})));
}

TEST(LatencyFloorTest, MedianReplyIsAGetWhenGetsAreTheMajority) {
  EXPECT_DOUBLE_EQ(LatencyFloorSeconds(0.8, 5), 350e-6);
}

TEST(LatencyFloorTest, MedianReplyIsAQuorumPutWhenPutsAreTheMajority) {
  EXPECT_DOUBLE_EQ(LatencyFloorSeconds(0.2, 5), 850e-6);
  EXPECT_DOUBLE_EQ(LatencyFloorSeconds(0.2, 7), 850e-6);
  EXPECT_DOUBLE_EQ(LatencyFloorSeconds(0.2, 3), 700e-6);  // one peer
  EXPECT_DOUBLE_EQ(LatencyFloorSeconds(0.2, 1), 350e-6);  // no peer
}

TEST(LatencyFloorTest, EvenMixIsTheMeanOfAGetAndAPut) {
  EXPECT_DOUBLE_EQ(LatencyFloorSeconds(0.5, 5), 600e-6);
}

TEST(BestAttainableTest, MessagesFloorIsTheCorrectnessCheck) {
  // 500 x 5 x (1 - 0.2) x 0.5.
  EXPECT_DOUBLE_EQ(LowestAttainable(kMessages, Simple2()), 1000);
  EXPECT_EQ(BestAttainable(kMessages, Simple2()), Tier::kBonus);
  EXPECT_EQ(BestAttainable(kMessages, Simple1()), Tier::kBonus);
  // A bonus threshold at the floor itself cannot be beaten.
  ConfigSpec tight = Simple2();
  tight.tiers[kMessages] = Tiers{1000, 4000, 5000};
  EXPECT_EQ(BestAttainable(kMessages, tight), Tier::kFull);
}

TEST(BestAttainableTest, ZeroBonusThresholdForCountsMeansFull) {
  EXPECT_EQ(BestAttainable(kFailures, Simple2()), Tier::kFull);
  EXPECT_EQ(BestAttainable(kDuplicates, Simple2()), Tier::kFull);
  EXPECT_EQ(BestAttainable(kFailures, Crash4()), Tier::kBonus);  // [1, ...]
  EXPECT_EQ(BestAttainable(kDuplicates, Crash4()), Tier::kFull);
}

TEST(BestAttainableTest, LatencyBonusOnlyAboveTheMixFloor) {
  EXPECT_EQ(BestAttainable(kLatency, Simple1()), Tier::kBonus);  // 400 > 350
  EXPECT_EQ(BestAttainable(kLatency, Simple2()), Tier::kBonus);  // 1000 > 850
  EXPECT_EQ(BestAttainable(kLatency, Crash4()), Tier::kFull);    // 150 < 350
  // Above a get's floor but below a quorum put's: still out of reach when
  // most requests are puts.
  ConfigSpec puts = Simple2();
  puts.tiers[kLatency] = Tiers{0.0008, 0.005, 0.05};
  EXPECT_EQ(BestAttainable(kLatency, puts), Tier::kFull);
  puts.mix = 0.8;
  EXPECT_EQ(BestAttainable(kLatency, puts), Tier::kBonus);
}

TEST(SummarizeConfigTest, MediansWorstsAndTiersOverAnEvenNumberOfSeeds) {
  const ConfigRow row = SummarizeConfig(Simple2(), Simple2Runs());
  EXPECT_EQ(row.seeds, 4);
  EXPECT_EQ(row.failed_seeds, std::vector<uint64_t>{3});
  ASSERT_EQ(row.failed_checks.size(), 1u);
  EXPECT_EQ(row.failed_checks[0], "Some state was stored (0 puts answered ok)");

  const MetricCell& msgs = row.cells[kMessages];
  EXPECT_EQ(msgs.median, 3755);  // (3720 + 3790) / 2
  EXPECT_EQ(msgs.worst, 3800);
  EXPECT_EQ(msgs.median_tier, Tier::kFull);
  EXPECT_EQ(msgs.worst_tier, Tier::kFull);
  EXPECT_EQ(msgs.best, Tier::kBonus);

  const MetricCell& fails = row.cells[kFailures];
  EXPECT_EQ(fails.median, 0.5);  // 0 0 | 1 2 -> (0 + 1) / 2
  EXPECT_EQ(fails.worst, 2);
  EXPECT_EQ(fails.median_tier, Tier::kFull);
  EXPECT_EQ(fails.worst_tier, Tier::kNone);  // 2 is not below 2
  EXPECT_EQ(fails.best, Tier::kFull);

  const MetricCell& dups = row.cells[kDuplicates];
  EXPECT_EQ(dups.median, 0);
  EXPECT_EQ(dups.worst, 1);
  EXPECT_EQ(dups.median_tier, Tier::kFull);
  EXPECT_EQ(dups.worst_tier, Tier::kFull);

  const MetricCell& latency = row.cells[kLatency];
  EXPECT_DOUBLE_EQ(latency.median, 0.00125);  // (1.2 + 1.3) / 2 ms
  EXPECT_EQ(latency.worst, kInf);             // seed 4 had no reply
  EXPECT_EQ(latency.median_tier, Tier::kFull);
  EXPECT_EQ(latency.worst_tier, Tier::kNone);
  EXPECT_EQ(latency.best, Tier::kBonus);
}

TEST(SummarizeConfigTest, OneSeedIsItsOwnMedianAndWorst) {
  const ConfigRow row =
      SummarizeConfig(Simple1(), {SeedResult(7, true, 1000, 0, 0, 0.00035)});
  EXPECT_TRUE(row.failed_seeds.empty());
  EXPECT_EQ(row.cells[kMessages].median, 1000);
  EXPECT_EQ(row.cells[kMessages].worst, 1000);
  EXPECT_EQ(row.cells[kMessages].worst_tier, Tier::kBonus);
  EXPECT_EQ(row.cells[kLatency].worst_tier, Tier::kBonus);
}

std::vector<ConfigRow> TwoRows() {
  return {
      SummarizeConfig(Simple2(), Simple2Runs()),
      SummarizeConfig(Simple1(), {SeedResult(1, true, 1000, 0, 0, 0.00035)})};
}

TEST(SummarizeTest, CountsCellsByTheWorstOverSeeds) {
  // simple-2 worst: F N F N; simple-1: B F F B. Best: B F F B twice.
  const Summary s = Summarize(TwoRows(), Over::kWorst);
  EXPECT_EQ(s.reached.bonus, 2);
  EXPECT_EQ(s.reached.full, 4);
  EXPECT_EQ(s.reached.lower, 2);
  EXPECT_EQ(s.reached.total(), 8);
  EXPECT_EQ(s.best.bonus, 4);
  EXPECT_EQ(s.best.full, 4);
  EXPECT_EQ(s.best.lower, 0);
  EXPECT_EQ(s.short_of_best, (std::vector<std::string>{
                                 "simple-2 total messages", "simple-2 failures",
                                 "simple-2 median latency"}));
  // Every seed's messages and latency fall short (Full, and Full or none,
  // against Bonus); only seeds 2 and 4 fail requests (1 and 2: Partial and
  // none, against the Full of 0).
  EXPECT_EQ(s.seeds_short_of_best,
            (std::vector<std::string>{"simple-2 total messages 4 of 4",
                                      "simple-2 failures 2 of 4",
                                      "simple-2 median latency 4 of 4"}));
  EXPECT_EQ(SummaryLine(s, Over::kWorst),
            "worst over seeds: Bonus 2, Full 4, lower 2 of 8; best attainable "
            "4/4/0");
}

TEST(SummarizeTest, CountsCellsByTheMedianOverSeeds) {
  // simple-2 median: F F F F; simple-1: B F F B.
  const Summary s = Summarize(TwoRows(), Over::kMedian);
  EXPECT_EQ(s.reached.bonus, 2);
  EXPECT_EQ(s.reached.full, 6);
  EXPECT_EQ(s.reached.lower, 0);
  EXPECT_EQ(s.short_of_best,
            (std::vector<std::string>{"simple-2 total messages",
                                      "simple-2 median latency"}));
  EXPECT_EQ(SummaryLine(s, Over::kMedian),
            "median over seeds: Bonus 2, Full 6, lower 0 of 8; best "
            "attainable 4/4/0");
}

// The whole formula against the 17 graded configs: Bonus for all 17
// message cells, 5 failure cells (advanced-1..4, crash-4 have a bonus
// threshold of 1) and the 7 latency cells whose threshold is above the mix
// floor (simple-1, simple-2, crash-1, crash-2, unreliable-1..3); Full for
// the rest.
TEST(SummarizeTest, BestAttainableOverTheCourseConfigs) {
  std::vector<ConfigRow> rows;
  for (const auto& entry :
       std::filesystem::directory_iterator("scenarios/course")) {
    sim::ParseResult parsed = sim::LoadScenario(entry.path().string());
    ASSERT_TRUE(parsed.ok) << parsed.error;
    rows.push_back(SummarizeConfig(
        SpecFromScenario(entry.path().stem().string(), parsed.scenario),
        {SeedResult(1, true, 0, 0, 0, 0)}));
  }
  ASSERT_EQ(rows.size(), 17u);
  const Summary s = Summarize(rows, Over::kWorst);
  EXPECT_EQ(s.best.bonus, 29);
  EXPECT_EQ(s.best.full, 39);
  EXPECT_EQ(s.best.lower, 0);
}

}  // namespace
}  // namespace stepwise::bench

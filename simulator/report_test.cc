#include "simulator/report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

TEST(ReportTest, BelowTheFirstThresholdIsBonus) {
  const Tiers t{1000, 3000, 4000};
  EXPECT_EQ(Grade(999, t), Tier::kBonus);
  EXPECT_EQ(Grade(1000, t), Tier::kFull);  // not below the first
  EXPECT_EQ(Grade(2999, t), Tier::kFull);
  EXPECT_EQ(Grade(3000, t), Tier::kPartial);
  EXPECT_EQ(Grade(3999, t), Tier::kPartial);
  EXPECT_EQ(Grade(4000, t), Tier::kNone);
}

TEST(ReportTest, AZeroBonusThresholdMakesZeroFullCredit) {
  EXPECT_EQ(Grade(0, Tiers{0, 1, 2}), Tier::kFull);
  EXPECT_EQ(Grade(1, Tiers{0, 1, 2}), Tier::kPartial);
  EXPECT_EQ(Grade(0, Tiers{1, 10, 100}), Tier::kBonus);
}

TEST(ReportTest, LatencyTiers) {
  const Tiers t{0.0004, 0.002, 0.05};
  EXPECT_EQ(Grade(0.000351, t), Tier::kBonus);
  EXPECT_EQ(Grade(0.0004, t), Tier::kFull);
  EXPECT_EQ(Grade(NAN, t), Tier::kNone);  // no reply at all
}

TEST(ReportTest, TierNamesAreTheHarnesssWords) {
  EXPECT_STREQ(TierName(Tier::kBonus), "Bonus");
  EXPECT_STREQ(TierName(Tier::kFull), "Full credit");
  EXPECT_STREQ(TierName(Tier::kPartial), "Partial credit");
  EXPECT_STREQ(TierName(Tier::kNone), "No credit");
}

TEST(ReportTest, MedianIsPythonsMedian) {
  EXPECT_DOUBLE_EQ(MedianSeconds({300, 100, 200}), 0.0002);
  EXPECT_DOUBLE_EQ(MedianSeconds({400, 100, 200, 300}), 0.00025);
  EXPECT_TRUE(std::isnan(MedianSeconds({})));
}

RunResult GoodRun() {
  RunResult run;
  run.total_messages = 2000;
  run.clients.gets_generated = 40;
  run.clients.puts_generated = 60;
  run.clients.puts_ok = 60;
  run.clients.gets_ok = 40;
  run.clients.latencies = {500, 600, 700};
  return run;
}

const Check& Find(const Report& r, const std::string& prefix) {
  for (const Check& c : r.checks) {
    if (c.name.rfind(prefix, 0) == 0) return c;
  }
  static Check none;
  ADD_FAILURE() << "no check " << prefix;
  return none;
}

TEST(ReportTest, AGoodRunPassesAndIsGraded) {
  Scenario s = testing::MustParse(testing::BaseConfig());
  Report r = Evaluate(s, GoodRun());
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.metrics.size(), 4u);
  EXPECT_EQ(r.metrics[0].tier, Tier::kFull);  // 2000 in [1000, 3000)
  EXPECT_EQ(r.metrics[1].value, 0);
  EXPECT_DOUBLE_EQ(r.metrics[3].value, 0.0006);
  EXPECT_EQ(r.metrics[3].tier, Tier::kBonus);
}

TEST(ReportTest, EachCheckFailsOnItsOwn) {
  Scenario s = testing::MustParse(testing::BaseConfig());
  struct Case {
    const char* check;
    std::function<void(RunResult&)> spoil;
  };
  const Case cases[] = {
      {"No incorrect", [](RunResult& r) { r.clients.incorrect = 1; }},
      {"No incorrect", [](RunResult& r) { r.hub_incorrect = {"x"}; }},
      {"No replicas died", [](RunResult& r) { r.died = {"0001: x"}; }},
      {"Some state", [](RunResult& r) { r.clients.puts_ok = 0; }},
      {"Unanswered get", [](RunResult& r) { r.clients.unanswered_gets = 21; }},
      {"Unanswered put", [](RunResult& r) { r.clients.unanswered_puts = 31; }},
      {"Gets that could not",
       [](RunResult& r) { r.clients.get_generation_failures = 5; }},
      {"Enough messages", [](RunResult& r) { r.total_messages = 124; }},
  };
  for (const Case& c : cases) {
    RunResult run = GoodRun();
    c.spoil(run);
    Report r = Evaluate(s, run);
    EXPECT_FALSE(r.passed) << c.check;
    EXPECT_FALSE(Find(r, c.check).passed) << c.check;
  }
  // The limits are inclusive: exactly 50% unanswered, exactly 10% of gets
  // not generated and exactly the message floor still pass.
  RunResult edge = GoodRun();
  edge.clients.unanswered_gets = 18;  // half of the 36 generated
  edge.clients.unanswered_puts = 30;
  edge.clients.gets_generated = 36;
  edge.clients.get_generation_failures = 4;
  edge.total_messages = 125;  // 100 requests x 5 replicas x 0.5 x 0.5
  EXPECT_TRUE(Evaluate(s, edge).passed);
}

TEST(ReportTest, FailuresAreFailRepliesPlusUnanswered) {
  Scenario s = testing::MustParse(testing::BaseConfig());
  RunResult run = GoodRun();
  run.clients.get_fails = 1;
  run.clients.put_fails = 2;
  run.clients.unanswered_gets = 3;
  run.clients.unanswered_puts = 4;
  EXPECT_EQ(Evaluate(s, run).metrics[1].value, 10);
}

TEST(ReportTest, TextUsesTheHarnesssWordsAndEndsWithTheReplay) {
  Scenario s = testing::MustParse(testing::BaseConfig());
  s.path = "x.json";
  RunResult run = GoodRun();
  run.seed = 9;
  Report r = Evaluate(s, run);
  std::string text =
      FormatText(s, run, r, "bazel run //simulator -- x.json --seed=9");
  EXPECT_NE(text.find("Total client get()/put() requests: 40/60"),
            std::string::npos);
  EXPECT_NE(
      text.find("* Median response latency: 0.000600 [0.001, 0.01, 0.1] Bonus"),
      std::string::npos);
  EXPECT_NE(text.find("* Total messages between replicas: 2000 [1000, 3000, "
                      "4000] Full credit"),
            std::string::npos);
  EXPECT_NE(text.find("All correctness checks passed"), std::string::npos);
  EXPECT_NE(text.find("Replay: bazel run //simulator -- x.json --seed=9\n"),
            std::string::npos);
  std::string json = FormatJson(s, run, r, "replay");
  EXPECT_NE(json.find("\"tier\": \"Bonus\""), std::string::npos);
}

}  // namespace
}  // namespace stepwise::sim

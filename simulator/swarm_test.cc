#include "simulator/swarm.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "simulator/liveness.h"
#include "simulator/scenario.h"
#include "simulator/scenario_writer.h"

namespace stepwise::sim {
namespace {

Scenario Reparse(const Scenario& s) {
  ParseResult r = ParseScenario(FormatScenario(s), "reparsed.json");
  EXPECT_TRUE(r.ok) << r.error << "\n" << FormatScenario(s);
  return r.scenario;
}

TEST(SwarmTest, SameSeedSameScenarioOtherSeedOther) {
  EXPECT_EQ(FormatScenario(GenerateSwarmScenario(7)),
            FormatScenario(GenerateSwarmScenario(7)));
  EXPECT_NE(FormatScenario(GenerateSwarmScenario(7)),
            FormatScenario(GenerateSwarmScenario(8)));
}

TEST(SwarmTest, ScenariosStayInTheirBoundsAndHealBeforeJudging) {
  std::set<int> sizes;
  std::set<std::string> kinds;
  bool zero_drops = false;
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    const Scenario s = GenerateSwarmScenario(seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    ASSERT_EQ(s.seed, seed);
    ASSERT_GE(s.replicas, 3);
    ASSERT_LE(s.replicas, 9);
    sizes.insert(s.replicas);
    ASSERT_GE(s.drops, 0);
    ASSERT_LE(s.drops, 0.4);
    zero_drops |= s.drops == 0;
    ASSERT_TRUE(s.liveness_bound.has_value());
    ASSERT_GE(s.end_wait, *s.liveness_bound);
    // Judged requests exist: some are due after heal + bound.
    const Micros judged_from =
        HealTime(s) + Scenario::ToMicros(*s.liveness_bound);
    ASSERT_LT(judged_from + 2 * kSeconds, s.requests_end_us());
    int kills = 0;
    for (const FaultEvent& e : s.events) {
      kinds.insert(FaultTypeName(e.type));
      kills += e.type == FaultType::kKill || e.type == FaultType::kKillLeader ||
               e.type == FaultType::kKillNonLeader;
    }
    ASSERT_LE(kills, (s.replicas - 1) / 2) << "a majority must live";
    // The last events heal everything, drops back to the base rate.
    ASSERT_FALSE(s.events.empty());
    EXPECT_EQ(s.events.back().type, FaultType::kDrops);
    EXPECT_EQ(s.events.back().probability, s.drops);
  }
  EXPECT_EQ(sizes.size(), 7u) << "every size from 3 to 9";
  EXPECT_TRUE(zero_drops);
  for (const char* kind :
       {"kill_leader", "kill_non_leader", "kill", "part_easy", "part_hard",
        "part_end", "partition", "one_way", "drops", "duplicate", "reorder",
        "latency_spike", "duplicate_end", "reorder_end", "latency_spike_end"}) {
    EXPECT_EQ(kinds.count(kind), 1u) << kind << " never generated";
  }
}

TEST(SwarmTest, GeneratedScenariosWriteAndParseBackIdentically) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const Scenario s = GenerateSwarmScenario(seed);
    const std::string text = FormatScenario(s);
    EXPECT_EQ(FormatScenario(Reparse(s)), text) << "seed " << seed;
  }
}

TEST(ScenarioWriterTest, EveryCommittedScenarioRoundTrips) {
  int files = 0;
  for (const char* dir : {"scenarios", "scenarios/course"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      ParseResult r = LoadScenario(entry.path().string());
      ASSERT_TRUE(r.ok) << r.error;
      const std::string once = FormatScenario(r.scenario);
      EXPECT_EQ(FormatScenario(Reparse(r.scenario)), once) << entry.path();
      ++files;
    }
  }
  EXPECT_GE(files, 20);
}

}  // namespace
}  // namespace stepwise::sim

#include "simulator/scenario.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

using nlohmann::json;
using testing::BaseConfig;

const char* const kCourse[] = {
    "advanced-1",   "advanced-2",  "advanced-3", "advanced-4",  "crash-1",
    "crash-2",      "crash-3",     "crash-4",    "partition-1", "partition-2",
    "partition-3",  "partition-4", "simple-1",   "simple-2",    "unreliable-1",
    "unreliable-2", "unreliable-3"};

TEST(ScenarioTest, EveryCourseConfigParsesAsIs) {
  for (const char* name : kCourse) {
    std::string path = std::string("scenarios/course/") + name + ".json";
    ParseResult r = LoadScenario(path);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.scenario.replicas, 5) << name;
    EXPECT_EQ(r.scenario.lifetime, 30) << name;
  }
}

TEST(ScenarioTest, CourseRunIs37SecondsWithEventsAfterStartWait) {
  ParseResult r = LoadScenario("scenarios/course/crash-3.json");
  ASSERT_TRUE(r.ok) << r.error;
  const Scenario& s = r.scenario;
  EXPECT_EQ(s.start_wait_us(), 5 * kSeconds);
  EXPECT_EQ(s.requests_end_us(), 35 * kSeconds);
  EXPECT_EQ(s.run_end_us(), 37 * kSeconds);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, FaultType::kKillLeader);
  EXPECT_EQ(s.EventTimeUs(s.events[0]), 15 * kSeconds);  // "time": 10
  EXPECT_DOUBLE_EQ(s.mix, 0.2);
  EXPECT_EQ(s.max_packets, 20000);
  EXPECT_EQ(s.total_msgs.bonus, 2000);
  EXPECT_EQ(s.median_latency.bonus, 0.0002);
}

TEST(ScenarioTest, DefaultsMatchTheHarness) {
  json config = BaseConfig();
  config.erase("mix");
  Scenario s = testing::MustParse(config);
  EXPECT_DOUBLE_EQ(s.mix, 0.8);
  EXPECT_DOUBLE_EQ(s.drops, 0);
  EXPECT_DOUBLE_EQ(s.end_wait, 2);
  EXPECT_DOUBLE_EQ(s.start_wait, 5);
  EXPECT_DOUBLE_EQ(s.max_get_fail_fraction, 0.5);
  EXPECT_DOUBLE_EQ(s.max_put_fail_fraction, 0.5);
  EXPECT_DOUBLE_EQ(s.max_get_generation_fail_fraction, 0.1);
}

// The harness quirk: the top-level key is accepted and ignored; only the
// one inside "tests" counts.
TEST(ScenarioTest, GetGenerationFractionCountsOnlyInsideTests) {
  json config = BaseConfig();
  config["maximum_get_generation_fail_fraction"] = 0.2;
  EXPECT_DOUBLE_EQ(testing::MustParse(config).max_get_generation_fail_fraction,
                   0.1);
  config["tests"]["maximum_get_generation_fail_fraction"] = 0.3;
  EXPECT_DOUBLE_EQ(testing::MustParse(config).max_get_generation_fail_fraction,
                   0.3);
}

TEST(ScenarioTest, ExtraFieldsAndEvents) {
  json config = BaseConfig();
  config["seed"] = 42;
  config["latency"] = {{"hop_us", 7}, {"hub_us", 99}};
  config["events"] = {
      {{"type", "latency_spike"},
       {"time", 3},
       {"extra_us", 500},
       {"duration", 1}},
      {{"type", "partition"},
       {"time", 1},
       {"groups", {{"0000", "0001"}, {"0002", "0003", "0004"}}}},
      {{"type", "one_way"},
       {"time", 1},
       {"from", {"0000"}},
       {"to", {"0001", "0002"}}},
      {{"type", "duplicate"}, {"time", 2}, {"probability", 0.1}},
      {{"type", "reorder"}, {"time", 2}, {"max_extra_us", 300}},
      {{"type", "kill"}, {"time", 4}, {"replica", "0003"}},
      {{"type", "part_end"}, {"time", 4}}};
  Scenario s = testing::MustParse(config);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.latency.hop_us, 7);
  EXPECT_EQ(s.latency.hub_us, 99);
  EXPECT_EQ(s.latency.client_send_us, LatencyModel{}.client_send_us);
  ASSERT_EQ(s.events.size(), 7u);
  // Sorted by time, file order kept among equal times.
  EXPECT_EQ(s.events[0].type, FaultType::kPartition);
  EXPECT_EQ(s.events[1].type, FaultType::kOneWay);
  EXPECT_EQ(s.events[2].type, FaultType::kDuplicate);
  EXPECT_EQ(s.events[3].type, FaultType::kReorder);
  EXPECT_EQ(s.events[4].type, FaultType::kLatencySpike);
  EXPECT_EQ(s.events[5].type, FaultType::kKill);
  EXPECT_EQ(s.events[5].replica, 3);
  EXPECT_EQ(s.events[0].groups[1], (std::vector<NodeId>{2, 3, 4}));
  EXPECT_EQ(s.events[1].to, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(s.events[4].duration, 1.0);
}

struct BadCase {
  const char* what;
  std::function<void(json&)> mutate;
  const char* error;
};

TEST(ScenarioTest, ErrorsNameTheField) {
  const std::vector<BadCase> cases = {
      {"negative event time",
       [](json& c) {
         c["events"] = {{{"type", "part_end"}, {"time", 1}},
                        {{"type", "part_end"}, {"time", 1}},
                        {{"type", "kill_leader"}, {"time", -1}}};
       },
       "test.json: events[2].time: expected a number >= 0"},
      {"unknown top-level field", [](json& c) { c["lifetme"] = 3; },
       "test.json: lifetme: unknown field"},
      {"missing required", [](json& c) { c.erase("requests"); },
       "test.json: requests: missing (required)"},
      {"fractional replicas", [](json& c) { c["replicas"] = 2.5; },
       "test.json: replicas: expected an integer in [1, 64]"},
      {"string lifetime", [](json& c) { c["lifetime"] = "30"; },
       "test.json: lifetime: expected a number > 0"},
      {"mix above 1", [](json& c) { c["mix"] = 1.5; },
       "test.json: mix: expected a number in [0, 1]"},
      {"negative seed", [](json& c) { c["seed"] = -1; },
       "test.json: seed: expected an integer >= 0"},
      {"unknown event type",
       [](json& c) {
         c["events"] = {{{"type", "kill_everyone"}, {"time", 1}}};
       },
       "test.json: events[0].type: unknown event type \"kill_everyone\" "
       "(expected kill_leader, kill_non_leader, part_easy, part_hard, "
       "part_end, kill, partition, one_way, drops, duplicate, duplicate_end, "
       "reorder, reorder_end, latency_spike or latency_spike_end)"},
      {"field of another event kind",
       [](json& c) {
         c["events"] = {
             {{"type", "kill_leader"}, {"time", 1}, {"replica", "0001"}}};
       },
       "test.json: events[0].replica: unknown field"},
      {"event after the end",
       [](json& c) {
         c["events"] = {{{"type", "part_end"}, {"time", 8}}};
       },
       "test.json: events[0].time: expected a number <= 7 (lifetime + "
       "end_wait)"},
      {"bad replica id in a group",
       [](json& c) {
         c["events"] = {{{"type", "partition"},
                         {"time", 1},
                         {"groups", {{"0000"}, {"0005"}}}}};
       },
       "test.json: events[0].groups[1][0]: expected a replica id "
       "\"0000\"..\"0004\""},
      {"replica in two groups",
       [](json& c) {
         c["events"] = {{{"type", "partition"},
                         {"time", 1},
                         {"groups", {{"0000", "0001"}, {"0001"}}}}};
       },
       "test.json: events[0].groups[1][0]: replica 0001 listed twice"},
      {"missing probability",
       [](json& c) {
         c["events"] = {{{"type", "duplicate"}, {"time", 1}}};
       },
       "test.json: events[0].probability: missing (required)"},
      {"bad latency field",
       [](json& c) {
         c["latency"] = {{"hop_us", "x"}};
       },
       "test.json: latency.hop_us: expected an integer in [0, 60000000]"},
      {"unknown latency field",
       [](json& c) {
         c["latency"] = {{"hub_cost", 3}};
       },
       "test.json: latency.hub_cost: unknown field"},
      {"two tiers",
       [](json& c) {
         c["tests"]["benchmarks"]["failures"] = {1, 2};
       },
       "test.json: tests.benchmarks.failures: expected [bonus, full, "
       "partial]: three numbers >= 0"},
      {"missing benchmark",
       [](json& c) { c["tests"]["benchmarks"].erase("duplicates"); },
       "test.json: tests.benchmarks.duplicates: missing (required)"},
      {"unknown test",
       [](json& c) { c["tests"]["maximum_appends_batched_fraction"] = 0.5; },
       "test.json: tests.maximum_appends_batched_fraction: unknown field"},
      {"events not an array", [](json& c) { c["events"] = 3; },
       "test.json: events: expected an array"},
      {"event not an object", [](json& c) { c["events"] = {3}; },
       "test.json: events[0]: expected an object"},
  };
  for (const BadCase& c : cases) {
    json config = BaseConfig();
    c.mutate(config);
    ParseResult r = ParseScenario(config.dump(), "test.json");
    EXPECT_FALSE(r.ok) << c.what;
    EXPECT_EQ(r.error, c.error) << c.what;
  }
}

TEST(ScenarioTest, NotJsonOrNotAnObject) {
  EXPECT_EQ(ParseScenario("{\"lifetime\": ", "x.json").error,
            "x.json: not valid JSON");
  EXPECT_EQ(ParseScenario("[1, 2]", "x.json").error,
            "x.json: (top level): expected an object");
  EXPECT_EQ(LoadScenario("/nonexistent/x.json").error,
            "/nonexistent/x.json: cannot read the file");
}

}  // namespace
}  // namespace stepwise::sim

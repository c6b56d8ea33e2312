#include "simulator/shrink.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "simulator/swarm.h"

namespace stepwise::sim {
namespace {

bool KillsReplica1(const Scenario& s) {
  return std::any_of(s.events.begin(), s.events.end(), [](const FaultEvent& e) {
    return e.type == FaultType::kKill && e.replica == 1;
  });
}

// A big scenario with one event that matters among many that do not.
Scenario Failing() {
  Scenario s = GenerateSwarmScenario(3);
  s.replicas = 7;
  s.drops = 0.2;
  FaultEvent kill;
  kill.type = FaultType::kKill;
  kill.replica = 1;
  kill.time = 3;
  s.events.insert(s.events.begin() + s.events.size() / 2, kill);
  return s;
}

TEST(ShrinkTest, KeepsOnlyWhatTheFailureNeeds) {
  // "Fails" when replica 0001 is killed in a run of at least 3 replicas
  // and 10 requests.
  int calls = 0;
  auto still_fails = [&](const Scenario& s) {
    ++calls;
    return KillsReplica1(s) && s.requests >= 10;
  };
  const Scenario failing = Failing();
  ASSERT_TRUE(still_fails(failing));
  ASSERT_GT(failing.events.size(), 5u);
  ShrinkResult r = Shrink(failing, still_fails, 500);
  EXPECT_EQ(r.runs, calls - 1);
  ASSERT_EQ(r.scenario.events.size(), 1u);
  EXPECT_TRUE(KillsReplica1(r.scenario));
  EXPECT_EQ(r.scenario.replicas, 3);
  EXPECT_GE(r.scenario.requests, 10);
  EXPECT_LT(r.scenario.requests, 20);
  EXPECT_EQ(r.scenario.drops, 0);
  EXPECT_TRUE(still_fails(r.scenario));
}

TEST(ShrinkTest, StopsAtTheRunBudget) {
  int calls = 0;
  ShrinkResult r = Shrink(
      Failing(),
      [&](const Scenario& s) {
        ++calls;
        return KillsReplica1(s);
      },
      4);
  EXPECT_EQ(r.runs, 4);
  EXPECT_EQ(calls, 4);
}

TEST(ShrinkTest, NothingSmallerFailsLeavesTheScenarioAsIs) {
  const Scenario failing = Failing();
  ShrinkResult r = Shrink(
      failing, [](const Scenario&) { return false; }, 1000);
  EXPECT_EQ(r.accepted, 0);
  EXPECT_EQ(r.scenario.events.size(), failing.events.size());
  EXPECT_EQ(r.scenario.replicas, failing.replicas);
}

TEST(ShrinkTest, ARemovedReplicaLeavesEveryEvent) {
  Scenario s;
  s.replicas = 4;
  FaultEvent kill3;
  kill3.type = FaultType::kKill;
  kill3.replica = 3;
  FaultEvent part;
  part.type = FaultType::kPartition;
  part.groups = {{0, 3}, {1, 2}};
  FaultEvent alone;
  alone.type = FaultType::kPartition;
  alone.groups = {{3}};
  FaultEvent one_way;
  one_way.type = FaultType::kOneWay;
  one_way.from = {3};
  one_way.to = {0};
  s.events = {kill3, part, alone, one_way};
  std::optional<Scenario> c = WithoutLastReplica(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->replicas, 3);
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_EQ(c->events[0].groups,
            (std::vector<std::vector<NodeId>>{{0}, {1, 2}}));
  c->replicas = 3;
  EXPECT_FALSE(WithoutLastReplica(*c));
}

}  // namespace
}  // namespace stepwise::sim

// Every graded course config passes in simulation under several seeds, and
// so do our own scenarios (except the stress ones listed in README.md that
// the current core is known not to pass).

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "simulator/replica_node.h"
#include "simulator/report.h"
#include "simulator/safety.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace stepwise::sim {
namespace {

class ScenarioPasses
    : public ::testing::TestWithParam<std::tuple<std::string, uint64_t>> {};

TEST_P(ScenarioPasses, AllCorrectnessChecks) {
  const auto& [path, seed] = GetParam();
  ParseResult p = LoadScenario(path);
  ASSERT_TRUE(p.ok) << p.error;
  RunResult run = SimulateChecked(p.scenario, seed, ReplicaNodeFactory());
  ASSERT_TRUE(run.raft_checked);
  ASSERT_EQ(run.history_verdict, kLinearizableVerdict)
      << path << " --seed=" << seed;
  Report report = Evaluate(p.scenario, run);
  std::string failed;
  for (const Check& c : report.checks) {
    if (!c.passed) failed += c.name + " (" + c.detail + "); ";
  }
  for (const std::string& d : run.clients.incorrect_details) failed += d + "; ";
  EXPECT_TRUE(report.passed) << path << " --seed=" << seed << ": " << failed;
  EXPECT_FALSE(run.storm);
  for (const SafetyFinding& f : run.safety) {
    ADD_FAILURE() << path << " --seed=" << seed << ": " << f.property << ": "
                  << f.detail;
  }
}

std::string Name(
    const ::testing::TestParamInfo<std::tuple<std::string, uint64_t>>& info) {
  std::string name = std::get<0>(info.param);
  name = name.substr(name.rfind('/') + 1);
  name = name.substr(0, name.size() - 5);  // .json
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name + "_seed" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    Course, ScenarioPasses,
    ::testing::Combine(::testing::Values("scenarios/course/advanced-1.json",
                                         "scenarios/course/advanced-2.json",
                                         "scenarios/course/advanced-3.json",
                                         "scenarios/course/advanced-4.json",
                                         "scenarios/course/crash-1.json",
                                         "scenarios/course/crash-2.json",
                                         "scenarios/course/crash-3.json",
                                         "scenarios/course/crash-4.json",
                                         "scenarios/course/partition-1.json",
                                         "scenarios/course/partition-2.json",
                                         "scenarios/course/partition-3.json",
                                         "scenarios/course/partition-4.json",
                                         "scenarios/course/simple-1.json",
                                         "scenarios/course/simple-2.json",
                                         "scenarios/course/unreliable-1.json",
                                         "scenarios/course/unreliable-2.json",
                                         "scenarios/course/unreliable-3.json"),
                       ::testing::Values(1, 2, 3)),
    Name);

INSTANTIATE_TEST_SUITE_P(
    Ours, ScenarioPasses,
    ::testing::Combine(::testing::Values("scenarios/partition.json",
                                         "scenarios/one-way.json",
                                         "scenarios/duplicate-reorder.json",
                                         "scenarios/seven-replicas.json",
                                         "scenarios/live-smoke.json"),
                       ::testing::Values(1, 2, 3)),
    Name);

// Course seeds that once failed a correctness check, each with its fix.
// advanced-3 seed 2635: an idle leader deposed by a stray term bump left
// its followers refusing every campaign for its quiet spell, the first
// puts were answered 3.5 s late, and too many first gets found no key of
// their own (ReleaseLeaseOfDeposedLeader, replica/election.cc).
INSTANTIATE_TEST_SUITE_P(
    Fixed, ScenarioPasses,
    ::testing::Values(std::make_tuple("scenarios/course/advanced-3.json",
                                      uint64_t{2635})),
    Name);

}  // namespace
}  // namespace stepwise::sim

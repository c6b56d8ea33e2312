// Proof that the safety checks bite (issue #4). Each deliberately broken
// replica (simulator/testing/broken_replicas.h) must be caught by the
// property that its bug violates, within a stated number of seeds of a
// stated scenario; and the real replica, on the same scenario and seed, must
// show no finding at all, so the catch is not noise.
//
// variant            caught by               scenario        seeds first rate
// ack_before_commit  linearizability         partition-churn   5   1/1  39/37
// follower_reads     linearizability         slow-elections   10   1/1  25/40
// lease_ignored      linearizability         slow-elections   10   2/1  17/40
// double_vote        election_safety or      slow-lossy-      20   -/1   -/10
//                    log_matching            elections
// no_truncate        log_matching (or        partition-churn   5   1/1  36/37
//                    state_machine_safety,
//                    committed_on_majority)
// dirty_reads        linearizability         partition-churn  15   2/2  11/24
// commit_on_send     committed_on_majority   course/simple-2   3   1/1  40/40
// commit_by_counting leader_completeness    Figure 8 script   -   always
//                    (commit_by_counting_test.cc, no seed: the test is
//                    the network)
//
// Scenarios are scenarios/broken/*.json unless named. "seeds" is the budget
// (seeds 1..N are tried), "first" the first seed that catches it and "rate"
// how many of seeds 1..40 do, for two cores: the plain Raft core of commit
// 47b51b1 / the chain-replication core that followed it. The budgets leave
// room for cores to come. dirty_reads is also flagged at seed 1 of both
// bait scenarios by the harness's own client check ("No incorrect
// responses"), which is stricter than linearizability: a get returned a put
// its client had not yet seen acknowledged.
//
// Why some are caught as they are:
// - double_vote: two leaders of one term. The checker reports the first
//   violation of a step, and the second leader's no-op lands where the
//   first leader already has an entry of that term, so the same step
//   usually reports log_matching before election_safety. Same-term
//   candidates need overlapping elections: hence the slow network, and
//   drops too since replicas with the same log that campaign together no
//   longer both go on (YieldToEqualRival, election.cc): on slow-elections
//   alone only 4 seeds of 40 catch it (first 18; 28/24 and 3/1 before),
//   while with 20% drops rivals often miss each other's pre-vote.
// - lease_ignored needs a read at a leader that is deposed or has not yet
//   applied its predecessor's commits; CheckQuorum and the no-op keep that
//   window short, hence the slow network too.
// - commit_by_counting needs Raft's Figure 8, which no scenario here
//   produces: with no finding in 560 runs of the plain core (every course
//   config and our scenarios, seeds 1..20; the bait scenarios, 1..40) nor
//   in every scenario file with seeds 1..20 for the chain core
//   (SWEEP_SCENARIOS=all below), though it raised the advertised commit in
//   thousands of appends. A leader sends its term's no-op in the same
//   append as the earlier-term entries before it, so a majority ending on
//   an earlier-term entry needs a follower more than
//   max_entries_per_append behind, that follower's next append lost, and
//   then a leader elected without the entries. commit_by_counting_test.cc
//   plays exactly that by hand, and the Raft checker catches it; the real
//   replica plays the same script without a finding.

#include "simulator/testing/broken_replicas.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/raft_invariants.h"
#include "simulator/replica_node.h"
#include "simulator/report.h"
#include "simulator/safety.h"
#include "simulator/scenario.h"

namespace stepwise::sim::testing {
namespace {

struct Case {
  Broken kind;
  const char* scenario;
  std::vector<std::string> properties;  // a finding of any one is the catch
  uint64_t budget;                      // seeds 1..budget
};

const Case kCases[] = {
    {Broken::kAckBeforeCommit,
     "scenarios/broken/partition-churn.json",
     {kLinearizability},
     5},
    {Broken::kFollowerReads,
     "scenarios/broken/slow-elections.json",
     {kLinearizability},
     10},
    {Broken::kLeaseIgnored,
     "scenarios/broken/slow-elections.json",
     {kLinearizability},
     10},
    {Broken::kDoubleVote,
     "scenarios/broken/slow-lossy-elections.json",
     {kElectionSafety, kLogMatching},
     20},
    {Broken::kNoTruncate,
     "scenarios/broken/partition-churn.json",
     {kLogMatching, kStateMachineSafety, kCommittedOnMajority},
     5},
    {Broken::kDirtyReads,
     "scenarios/broken/partition-churn.json",
     {kLinearizability},
     15},
    {Broken::kCommitOnSend,
     "scenarios/course/simple-2.json",
     {kCommittedOnMajority},
     3},
};

// Seeds of every case's scenario the real replica must pass cleanly.
constexpr uint64_t kControlSeeds = 3;

Scenario Load(const std::string& path) {
  ParseResult p = LoadScenario(path);
  EXPECT_TRUE(p.ok) << p.error;
  return p.scenario;
}

// One line on what a run's checks said, for failure messages.
std::string Summary(uint64_t seed, const RunResult& run) {
  std::string s = "seed " + std::to_string(seed) + ": history " +
                  run.history_verdict + ", " +
                  std::to_string(run.clients.incorrect) +
                  " incorrect client replies, findings:";
  if (run.safety.empty()) s += " none";
  for (const SafetyFinding& f : run.safety) s += " " + f.property;
  return s;
}

std::string Findings(const RunResult& run) {
  std::string s;
  for (const SafetyFinding& f : run.safety) {
    s += "\n  " + f.property + ": " + f.detail;
  }
  return s;
}

class BrokenReplicaIsCaught : public ::testing::TestWithParam<Case> {};

TEST_P(BrokenReplicaIsCaught, WithinBudget) {
  const Case& c = GetParam();
  const Scenario scenario = Load(c.scenario);
  const NodeFactory broken = BrokenReplicaFactory(c.kind);
  uint64_t caught_at = 0;
  std::string catch_detail;
  std::string looked_at;
  for (uint64_t seed = 1; seed <= c.budget && caught_at == 0; ++seed) {
    RunResult run = SimulateChecked(scenario, seed, broken);
    ASSERT_TRUE(run.raft_checked);
    looked_at += "\n  " + Summary(seed, run);
    for (const SafetyFinding& f : run.safety) {
      if (std::count(c.properties.begin(), c.properties.end(), f.property)) {
        caught_at = seed;
        catch_detail = f.property + ": " + f.detail;
        break;
      }
    }
  }
  ASSERT_NE(caught_at, 0u) << BrokenName(c.kind) << " not caught in "
                           << c.budget << " seeds of " << c.scenario << ":"
                           << looked_at;
  std::printf("%s: caught on %s at seed %llu (budget %llu) by %s\n",
              BrokenName(c.kind), c.scenario,
              static_cast<unsigned long long>(caught_at),
              static_cast<unsigned long long>(c.budget), catch_detail.c_str());
  RecordProperty("first_catching_seed", static_cast<int>(caught_at));

  // Not noise: the real replica, same scenario and seed, is clean.
  RunResult real = SimulateChecked(scenario, caught_at, ReplicaNodeFactory());
  EXPECT_TRUE(real.safety.empty())
      << "the real replica also has findings on " << c.scenario
      << " --seed=" << caught_at << ":" << Findings(real);
  EXPECT_EQ(real.history_verdict, kLinearizableVerdict);
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return BrokenName(info.param.kind);
}

INSTANTIATE_TEST_SUITE_P(Variants, BrokenReplicaIsCaught,
                         ::testing::ValuesIn(kCases), CaseName);

class RealReplicaIsClean : public ::testing::TestWithParam<std::string> {};

TEST_P(RealReplicaIsClean, NoFinding) {
  const Scenario scenario = Load(GetParam());
  for (uint64_t seed = 1; seed <= kControlSeeds; ++seed) {
    RunResult run = SimulateChecked(scenario, seed, ReplicaNodeFactory());
    EXPECT_TRUE(run.raft_checked);
    EXPECT_TRUE(run.safety.empty())
        << GetParam() << " --seed=" << seed << ":" << Findings(run);
    EXPECT_EQ(run.history_verdict, kLinearizableVerdict)
        << GetParam() << " --seed=" << seed;
  }
}

std::vector<std::string> ControlScenarios() {
  std::set<std::string> paths;
  for (const Case& c : kCases) paths.insert(c.scenario);
  return {paths.begin(), paths.end()};
}

std::string ScenarioName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(info.param.rfind('/') + 1);
  name = name.substr(0, name.size() - 5);  // .json
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Control, RealReplicaIsClean,
                         ::testing::ValuesIn(ControlScenarios()), ScenarioName);

// Every scenario file in the test's data, sorted.
std::vector<std::string> AllScenarioFiles() {
  std::vector<std::string> paths;
  for (const char* dir :
       {"scenarios", "scenarios/course", "scenarios/broken"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".json") {
        paths.push_back(entry.path().string());
      }
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Re-measures the table above: the real replica and every variant on every
// case's scenario, seeds 1..SWEEP_SEEDS (default 20). SWEEP_VARIANT=name
// limits it to one (or "real"); SWEEP_SCENARIOS=all takes every scenario.
//   bazel run -c opt //simulator:broken_replicas_test --
//       --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
TEST(BrokenReplicaSweep, DISABLED_Measure) {
  const char* env = std::getenv("SWEEP_SEEDS");
  const uint64_t seeds = env != nullptr ? std::strtoull(env, nullptr, 10) : 20;
  const char* only = std::getenv("SWEEP_VARIANT");
  const char* which = std::getenv("SWEEP_SCENARIOS");
  const std::vector<std::string> paths =
      which != nullptr && std::string(which) == "all" ? AllScenarioFiles()
                                                      : ControlScenarios();
  std::vector<std::pair<std::string, NodeFactory>> factories = {
      {"real", ReplicaNodeFactory()}};
  for (Broken kind : AllBroken()) {
    factories.emplace_back(BrokenName(kind), BrokenReplicaFactory(kind));
  }
  for (const auto& [name, factory] : factories) {
    if (only != nullptr && name != only) continue;
    for (const std::string& path : paths) {
      const Scenario scenario = Load(path);
      std::map<std::string, uint64_t> first;
      int caught = 0;
      int failed = 0;  // any check of the report, the harness's included
      for (uint64_t seed = 1; seed <= seeds; ++seed) {
        RunResult run = SimulateChecked(scenario, seed, factory);
        if (!Evaluate(scenario, run).passed) ++failed;
        if (!run.safety.empty()) ++caught;
        for (const SafetyFinding& f : run.safety) {
          first.try_emplace(f.property, seed);
        }
      }
      std::string firsts;
      for (const auto& [property, seed] : first) {
        firsts += " " + property + "@" + std::to_string(seed);
      }
      std::printf("%-18s %-38s caught %d/%llu, report failed %d:%s\n",
                  name.c_str(), path.c_str(), caught,
                  static_cast<unsigned long long>(seeds), failed,
                  firsts.c_str());
      std::fflush(stdout);
    }
  }
}

TEST(BrokenNames, RoundTrip) {
  std::set<std::string> names;
  for (Broken kind : AllBroken()) {
    ASSERT_EQ(ParseBroken(BrokenName(kind)), kind) << BrokenName(kind);
    EXPECT_TRUE(names.insert(BrokenName(kind)).second) << BrokenName(kind);
    EXPECT_STRNE(BrokenDescription(kind), "");
  }
  EXPECT_EQ(names.size(), 8u);
  EXPECT_EQ(ParseBroken("no_such_bug"), std::nullopt);
}

}  // namespace
}  // namespace stepwise::sim::testing

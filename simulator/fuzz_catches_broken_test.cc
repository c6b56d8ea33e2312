// The swarm fuzzer catches the deliberately broken replicas
// (simulator/testing/broken_replicas.h): each is run on generated scenarios,
// seed after seed from 1, judged exactly as `//simulator:fuzz` judges, and
// must fail within its budget. The budgets are the measured first catching
// seed with room to spare; the measurement is printed.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "simulator/fuzz_case.h"
#include "simulator/replica_node.h"
#include "simulator/swarm.h"
#include "simulator/testing/broken_replicas.h"

namespace stepwise::sim {
namespace {

using testing::Broken;

struct Case {
  Broken kind;
  uint64_t budget;  // seeds tried, from 1
};

class FuzzCatches : public ::testing::TestWithParam<Case> {};

TEST_P(FuzzCatches, WithinItsSeedBudget) {
  const Case c = GetParam();
  const NodeFactory factory = testing::BrokenReplicaFactory(c.kind);
  for (uint64_t seed = 1; seed <= c.budget; ++seed) {
    Scenario s = GenerateSwarmScenario(seed);
    FuzzOutcome outcome = RunFuzzCase(s, factory);
    if (!outcome.Failed()) continue;
    // A catch is a safety failure (not a stall: a broken replica may just
    // be slow) that the real replica does not have on that seed.
    const FuzzOutcome real = RunFuzzCase(s, ReplicaNodeFactory());
    for (const FuzzFailure& f : outcome.failures) {
      if (f.kind == "liveness" || real.Has(f.kind)) continue;
      std::printf("%s: caught by swarm seed %llu: %s: %s\n",
                  testing::BrokenName(c.kind),
                  static_cast<unsigned long long>(seed), f.kind.c_str(),
                  f.detail.c_str());
      return;
    }
  }
  ADD_FAILURE() << testing::BrokenName(c.kind) << " not caught in " << c.budget
                << " swarm seeds";
}

INSTANTIATE_TEST_SUITE_P(
    Broken, FuzzCatches,
    ::testing::Values(
        Case{Broken::kAckBeforeCommit, 30}, Case{Broken::kFollowerReads, 10},
        Case{Broken::kLeaseIgnored, 10}, Case{Broken::kDoubleVote, 300},
        Case{Broken::kNoTruncate, 100}, Case{Broken::kDirtyReads, 10},
        Case{Broken::kCommitOnSend, 10}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = testing::BrokenName(info.param.kind);
      name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
      return name;
    });

}  // namespace
}  // namespace stepwise::sim

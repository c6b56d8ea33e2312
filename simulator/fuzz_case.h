#ifndef STEPWISE_SIMULATOR_FUZZ_CASE_H_
#define STEPWISE_SIMULATOR_FUZZ_CASE_H_

// What the fuzzer counts as a bug in one run: a Raft safety property broken
// at some step, a client history that is not linearizable, a cluster that
// did not recover after healing, a replica that died, or a reply the
// harness's own checks call incorrect. The harness's limits on unanswered
// requests are not bugs under arbitrary faults, and storms are not judged
// (fuzz scenarios set no packet limit).

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/node.h"
#include "simulator/report.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

struct FuzzFailure {
  std::string kind;  // a Raft property name, "linearizability", "liveness",
                     // "replica_died", "incorrect_response", ...
  std::string detail;
};

struct FuzzOutcome {
  RunResult run;
  std::vector<FuzzFailure> failures;  // empty: the run is clean
  bool undecided = false;             // the history search ran out of steps
  bool Failed() const { return !failures.empty(); }
  bool Has(const std::string& kind) const;
};

std::vector<FuzzFailure> JudgeRun(const RunResult& run);

// One checked simulation of `scenario` (its own seed, else 1), judged.
FuzzOutcome RunFuzzCase(const Scenario& scenario, const NodeFactory& factory);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_FUZZ_CASE_H_

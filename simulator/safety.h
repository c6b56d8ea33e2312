#ifndef STEPWISE_SIMULATOR_SAFETY_H_
#define STEPWISE_SIMULATOR_SAFETY_H_

// The safety checks every simulated run gets: Raft's properties after every
// step of every replica (analysis/raft_invariants.h), and linearizability of
// the whole client history at the end (analysis/linearizability.h). The
// first Raft violation stops the run; the run is then replayed with the
// trace on, which determinism makes exact, to show the events that led to
// it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/raft_invariants.h"
#include "simulator/node.h"
#include "simulator/report.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

// Feeds every step of every real replica to the Raft invariant checker.
// Stand-in nodes without a core are not checked.
class RaftSafetyObserver : public StepObserver {
 public:
  explicit RaftSafetyObserver(int replicas) : checker_(replicas) {}
  std::optional<SafetyFinding> AfterStep(NodeId id, const SimNode& node,
                                         Micros now) override;
  void Stopped(NodeId id) override { checker_.MarkDead(id); }

  const RaftInvariantChecker& checker() const { return checker_; }

 private:
  RaftInvariantChecker checker_;
};

// Search steps per key: a course history needs a few thousand at most. A
// step budget, not a time budget, keeps the verdict a function of the seed.
inline constexpr uint64_t kHistoryStepsPerKey = 5'000'000;
// Operations listed with a linearizability finding.
inline constexpr size_t kMaxOperationsShown = 40;
// Trace lines shown with a Raft finding.
inline constexpr size_t kTraceTailLines = 40;

// Checks run->history and sets run->history_verdict; a violation is added
// to run->safety, with the offending key's operations as its events.
void CheckHistory(RunResult* run);

// The checks made once a run is over, virtual or live: the history, and
// liveness when the scenario sets a bound (simulator/liveness.h).
void CheckFinishedRun(const Scenario& scenario, RunResult* run);

// Simulate with both checks on. A Raft finding's events are the last trace
// lines before it, from a replay of the same seed. `events_run`, if given,
// gets the number of events the run took.
RunResult SimulateChecked(const Scenario& scenario, uint64_t seed,
                          const NodeFactory& factory,
                          std::ostream* trace = nullptr,
                          uint64_t* events_run = nullptr);

// The last `lines` lines of the run's trace (it stops at a finding, if any).
std::vector<std::string> TraceTail(const Scenario& scenario, uint64_t seed,
                                   const NodeFactory& factory, size_t lines);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_SAFETY_H_

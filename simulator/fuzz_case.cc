#include "simulator/fuzz_case.h"

#include <algorithm>

#include "simulator/safety.h"

namespace stepwise::sim {

bool FuzzOutcome::Has(const std::string& kind) const {
  return std::any_of(failures.begin(), failures.end(),
                     [&](const FuzzFailure& f) { return f.kind == kind; });
}

std::vector<FuzzFailure> JudgeRun(const RunResult& run) {
  std::vector<FuzzFailure> out;
  for (const SafetyFinding& f : run.safety) {
    out.push_back({f.property, f.detail});
  }
  if (run.history_verdict.rfind("invalid", 0) == 0) {
    out.push_back({"invalid_history", run.history_verdict});
  }
  for (const std::string& d : run.died) out.push_back({"replica_died", d});
  for (const std::string& d : run.hub_incorrect) {
    out.push_back({"incorrect_response", d});
  }
  if (run.clients.incorrect > 0) {
    std::string detail =
        std::to_string(run.clients.incorrect) + " incorrect client replies";
    if (!run.clients.incorrect_details.empty()) {
      detail += ", first: " + run.clients.incorrect_details.front();
    }
    out.push_back({"incorrect_response", detail});
  }
  return out;
}

FuzzOutcome RunFuzzCase(const Scenario& scenario, const NodeFactory& factory) {
  FuzzOutcome out;
  out.run = SimulateChecked(scenario, scenario.seed.value_or(1), factory);
  out.failures = JudgeRun(out.run);
  out.undecided = out.run.history_verdict.rfind("unknown", 0) == 0;
  return out;
}

}  // namespace stepwise::sim

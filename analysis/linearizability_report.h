#ifndef STEPWISE_ANALYSIS_LINEARIZABILITY_REPORT_H_
#define STEPWISE_ANALYSIS_LINEARIZABILITY_REPORT_H_

// The run report's linearizability part: the checker's verdict on the
// clients' history, and for each key without a valid order a diagram in
// Porcupine's style, so that the problem can be seen at a glance.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/linearizability.h"
#include "analysis/trace_history.h"

namespace stepwise::analysis {

struct LinearizabilityReport {
  TraceHistory history;
  CheckResult result;
  int64_t keys = 0;  // distinct keys in the history
  std::chrono::milliseconds time_budget{0};
};

// Checks `history` within `time_budget` (zero: unlimited); keys left
// undecided when it runs out make the verdict "unknown".
LinearizabilityReport CheckTraceHistory(TraceHistory history,
                                        std::chrono::milliseconds time_budget);

struct ViolationDrawing {
  int max_keys = 4;  // diagrams drawn; further keys are only named
  // Operations per diagram: a key with more shows a window of them around
  // the first one that cannot be placed.
  int max_ops = 40;
};

// One line for the top of the report (a <div id="verdict">).
std::string RenderVerdictBanner(const LinearizabilityReport& report);

// The section (<h2 id="linearizability">): what was checked, the verdict,
// and a diagram per violating key.
std::string RenderLinearizabilitySection(const LinearizabilityReport& report,
                                         const ViolationDrawing& drawing);

// One key's diagram: a row per client (more when its operations overlap),
// each operation a bar from invoke to reply. Green and numbered: the
// longest linearizable prefix found, in its order; red: ok operations that
// cannot be placed after it; grey: unknown-outcome puts taken as never
// happening; faint: unknown puts nothing read (they cannot matter).
// Unknown-outcome puts are hatched and open to the right, since they may
// take effect until the end of the run. Each bar's data-tip has the
// details. `index` keeps element ids unique within a page.
std::string RenderViolationSvg(const KeyViolation& violation,
                               const std::vector<std::string>& mids,
                               int64_t run_end, int max_ops, int index);

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_LINEARIZABILITY_REPORT_H_

#ifndef STEPWISE_ANALYSIS_HTML_FROM_TRACE_H_
#define STEPWISE_ANALYSIS_HTML_FROM_TRACE_H_

// A trace in, the run's HTML report out: what `//analysis:report` and the
// simulator's --html do. Reads the trace once, as a stream (a
// 100,000-request run has millions of lines), into the run statistics and
// the clients' history; checks the history for linearizability within a
// time budget; renders one self-contained page.

#include <chrono>
#include <istream>
#include <string>

#include "analysis/html_report.h"

namespace stepwise::analysis {

struct TraceReportOptions {
  // For the linearizability check; past it the verdict is "unknown".
  std::chrono::milliseconds check_budget{2000};
  HtmlOptions html;  // html.source defaults to the trace's name
};

// Reads `trace` (a simulated or a live run's) and sets `*html` to its
// report. Returns "" on success, else the trace reader's error naming the
// line ("run.jsonl:17: field \"t\": expected integer"); `*html` is then
// left empty. `name` names the trace in errors and in the report. Never
// throws.
std::string RenderHtmlFromTrace(std::istream& trace, const std::string& name,
                                std::string* html,
                                const TraceReportOptions& options = {});

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_HTML_FROM_TRACE_H_

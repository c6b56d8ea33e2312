#include "analysis/html_from_trace.h"

#include <exception>
#include <utility>

#include "analysis/linearizability_report.h"
#include "analysis/run_stats.h"
#include "analysis/trace_history.h"
#include "analysis/trace_reader.h"

namespace stepwise::analysis {

std::string RenderHtmlFromTrace(std::istream& trace, const std::string& name,
                                std::string* html,
                                const TraceReportOptions& options) {
  html->clear();
  try {
    RunStatsBuilder stats;
    TraceHistoryBuilder history;
    const std::string error =
        ForEachTraceEvent(trace, name, [&](const TraceEvent& e) {
          stats.Add(e);
          history.Add(e);
        });
    if (!error.empty()) return error;
    const LinearizabilityReport lin =
        CheckTraceHistory(history.Finish(), options.check_budget);
    HtmlOptions html_options = options.html;
    if (html_options.source.empty()) html_options.source = name;
    *html = RenderHtmlReport(stats.Finish(), html_options, &lin);
    return "";
  } catch (const std::exception& e) {
    html->clear();
    return name + ": " + e.what();
  }
}

}  // namespace stepwise::analysis

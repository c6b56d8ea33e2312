#ifndef STEPWISE_ANALYSIS_HTML_REPORT_H_
#define STEPWISE_ANALYSIS_HTML_REPORT_H_

// Renders a run's statistics as one self-contained HTML page: inline SVG
// charts, the data for the interactive timeline as embedded JSON and a
// little vanilla JavaScript to draw it. Nothing is fetched: it opens
// offline.

#include <string>

#include "analysis/linearizability_report.h"
#include "analysis/run_stats.h"

namespace stepwise::analysis {

struct HtmlOptions {
  std::string source;  // the trace's file name, shown in the title
  // Beyond this many requests, marks are counted in time buckets per lane
  // instead of drawn one by one, so a file's size stays bounded.
  int max_marks = 3000;
  int buckets = 1000;  // across the whole run, when bucketing
  // Beyond this many seconds, the messages-per-second chart sums seconds
  // into wider bars.
  int max_message_bars = 300;
  ViolationDrawing violations;
};

// `linearizability`, if given, puts its verdict at the top and its section
// (with the violation diagrams) under the summary.
std::string RenderHtmlReport(
    const RunStats& stats, const HtmlOptions& options,
    const LinearizabilityReport* linearizability = nullptr);

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_HTML_REPORT_H_

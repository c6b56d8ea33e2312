#ifndef STEPWISE_ANALYSIS_HTML_UTIL_H_
#define STEPWISE_ANALYSIS_HTML_UTIL_H_

// Small text helpers shared by the parts of the HTML report.

#include <cstdint>
#include <string>

namespace stepwise::analysis {

// Text and attribute values: &, <, > and " escaped.
std::string HtmlEscape(const std::string& s);

// A duration or a time in the run: "350 µs", "1.234 ms", "12.345 s".
std::string FormatUs(int64_t us);

// printf with one double, e.g. Printf("%.1f", x).
std::string Printf(const char* format, double v);

// A node id as the trace writes it: 4 upper-case hex digits.
std::string NodeName(int node);

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_HTML_UTIL_H_

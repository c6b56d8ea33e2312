#ifndef STEPWISE_ANALYSIS_BENCH_TABLE_FORMAT_H_
#define STEPWISE_ANALYSIS_BENCH_TABLE_FORMAT_H_

// The tier table as text: aligned columns for a terminal, or a Markdown
// table for the README. Both end with the legend and the list of seeds that
// failed a correctness check; the summary lines are the caller's.

#include <string>
#include <vector>

#include "analysis/bench/tier_table.h"

namespace stepwise::bench {

// "B", "F", "P", "N".
const char* TierLetter(Tier tier);
// A metric value as the table shows it: counts as integers (".5" for the
// median of an even number of seeds), latency in milliseconds, "none" for
// no reply at all.
std::string FormatValue(int metric, double value);
// "[2200, 4000, 5000]"; latency tiers in milliseconds.
std::string FormatTiers(int metric, const Tiers& tiers);
// "ok" or "FAIL 2/20".
std::string ChecksText(const ConfigRow& row);

// `title` is one line, e.g. "simulated, seeds 1..20".
std::string FormatTextTable(const std::vector<ConfigRow>& rows,
                            const std::string& title);
std::string FormatMarkdownTable(const std::vector<ConfigRow>& rows,
                                const std::string& title);

}  // namespace stepwise::bench

#endif  // STEPWISE_ANALYSIS_BENCH_TABLE_FORMAT_H_

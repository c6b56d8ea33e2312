#ifndef STEPWISE_ANALYSIS_BENCH_TIER_HTML_H_
#define STEPWISE_ANALYSIS_BENCH_TIER_HTML_H_

// The tier table as a picture: one self-contained HTML page with an inline
// SVG heat map, configs down, metrics across, each metric split into the
// tier of the median and the tier of the worst over seeds, colored Bonus /
// Full / Partial / None. No script, no fetch: it opens offline.

#include <string>
#include <vector>

#include "analysis/bench/tier_table.h"

namespace stepwise::bench {

// `notes`: lines shown under the picture (the summary lines).
std::string RenderTierHtml(const std::vector<ConfigRow>& rows,
                           const std::string& title,
                           const std::vector<std::string>& notes);

}  // namespace stepwise::bench

#endif  // STEPWISE_ANALYSIS_BENCH_TIER_HTML_H_

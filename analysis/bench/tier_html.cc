#include "analysis/bench/tier_html.h"

#include <sstream>

#include "analysis/bench/table_format.h"
#include "analysis/html_util.h"

namespace stepwise::bench {
namespace {

constexpr int kNameWidth = 120;
constexpr int kChecksWidth = 80;
constexpr int kCellWidth = 86;  // one of median / worst
constexpr int kGap = 10;        // between metrics
constexpr int kRowHeight = 26;
constexpr int kHeaderHeight = 44;
constexpr int kLegendHeight = 36;

const char* Fill(Tier tier) {
  switch (tier) {
    case Tier::kBonus:
      return "#1b7f3b";
    case Tier::kFull:
      return "#8cc665";
    case Tier::kPartial:
      return "#f2b632";
    case Tier::kNone:
      return "#c62828";
  }
  return "#999999";
}

const char* Ink(Tier tier) {
  return tier == Tier::kBonus || tier == Tier::kNone ? "#ffffff" : "#111111";
}

void Cell(std::ostringstream& svg, int x, int y, Tier tier, Tier best,
          const std::string& text, const std::string& tip) {
  svg << "<g><title>" << analysis::HtmlEscape(tip) << "</title><rect x=\"" << x
      << "\" y=\"" << y << "\" width=\"" << kCellWidth - 2 << "\" height=\""
      << kRowHeight - 2 << "\" rx=\"3\" fill=\"" << Fill(tier) << "\"";
  // A dashed outline: this cell reached less than it could.
  if (tier > best) {
    svg << " stroke=\"#111\" stroke-width=\"1.5\" stroke-dasharray=\"3,2\"";
  }
  svg << "/><text x=\"" << x + (kCellWidth - 2) / 2 << "\" y=\""
      << y + kRowHeight / 2 + 3 << "\" fill=\"" << Ink(tier)
      << "\" text-anchor=\"middle\">" << analysis::HtmlEscape(text)
      << "</text></g>\n";
}

}  // namespace

std::string RenderTierHtml(const std::vector<ConfigRow>& rows,
                           const std::string& title,
                           const std::vector<std::string>& notes) {
  const int metric_width = 2 * kCellWidth + kGap;
  const int width = kNameWidth + kChecksWidth + kNumMetrics * metric_width;
  const int height = kHeaderHeight +
                     static_cast<int>(rows.size()) * kRowHeight + kLegendHeight;
  std::ostringstream svg;
  // Inline in HTML5, so no namespace attribute is needed.
  svg << "<svg width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height
      << "\" font-family=\"system-ui, sans-serif\" "
      << "font-size=\"12\">\n";
  for (int m = 0; m < kNumMetrics; ++m) {
    const int x = kNameWidth + kChecksWidth + m * metric_width;
    std::string name = MetricName(m);
    if (m == kLatency) name += " (ms)";
    svg << "<text x=\"" << x + kCellWidth << "\" y=\"16\" "
        << "text-anchor=\"middle\" font-weight=\"600\">"
        << analysis::HtmlEscape(name) << "</text>\n";
    svg << "<text x=\"" << x + kCellWidth / 2 << "\" y=\"36\" "
        << "text-anchor=\"middle\" fill=\"#555\">median</text>\n";
    svg << "<text x=\"" << x + kCellWidth + kCellWidth / 2 << "\" y=\"36\" "
        << "text-anchor=\"middle\" fill=\"#555\">worst</text>\n";
  }
  svg << "<text x=\"" << kNameWidth << "\" y=\"36\" fill=\"#555\">checks"
      << "</text>\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    const ConfigRow& row = rows[r];
    const int y = kHeaderHeight + static_cast<int>(r) * kRowHeight;
    const int baseline = y + kRowHeight / 2 + 3;
    svg << "<text x=\"0\" y=\"" << baseline << "\" font-weight=\"600\">"
        << analysis::HtmlEscape(row.spec.name) << "</text>\n";
    const bool ok = row.failed_seeds.empty();
    svg << "<text x=\"" << kNameWidth << "\" y=\"" << baseline << "\" fill=\""
        << (ok ? "#1b7f3b" : "#c62828") << "\">"
        << analysis::HtmlEscape(ChecksText(row)) << "</text>\n";
    for (int m = 0; m < kNumMetrics; ++m) {
      const MetricCell& cell = row.cells[m];
      const int x = kNameWidth + kChecksWidth + m * metric_width;
      const std::string about = row.spec.name + " " + MetricName(m) +
                                ", tiers " + FormatTiers(m, row.spec.tiers[m]) +
                                ", best attainable " + sim::TierName(cell.best);
      Cell(svg, x, y, cell.median_tier, cell.best, FormatValue(m, cell.median),
           about + ": median over seeds " + FormatValue(m, cell.median) +
               " is " + sim::TierName(cell.median_tier));
      Cell(svg, x + kCellWidth, y, cell.worst_tier, cell.best,
           FormatValue(m, cell.worst),
           about + ": worst over seeds " + FormatValue(m, cell.worst) + " is " +
               sim::TierName(cell.worst_tier));
    }
  }
  // Legend.
  const int ly =
      kHeaderHeight + static_cast<int>(rows.size()) * kRowHeight + 12;
  int lx = 0;
  for (Tier tier : {Tier::kBonus, Tier::kFull, Tier::kPartial, Tier::kNone}) {
    svg << "<rect x=\"" << lx << "\" y=\"" << ly
        << "\" width=\"14\" height=\"14\" rx=\"2\" fill=\"" << Fill(tier)
        << "\"/><text x=\"" << lx + 20 << "\" y=\"" << ly + 11 << "\">"
        << sim::TierName(tier) << "</text>\n";
    lx += 120;
  }
  svg << "<rect x=\"" << lx << "\" y=\"" << ly
      << "\" width=\"14\" height=\"14\" rx=\"2\" fill=\"#fff\" stroke=\"#111\" "
      << "stroke-width=\"1.5\" stroke-dasharray=\"3,2\"/><text x=\"" << lx + 20
      << "\" y=\"" << ly + 11 << "\">below the best attainable tier</text>\n";
  svg << "</svg>\n";

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       << "<title>" << analysis::HtmlEscape(title) << "</title>\n"
       << "<style>body { font: 13px/1.4 system-ui, sans-serif; margin: 16px "
          "24px; color: #222; } p { margin: 4px 0; }</style>\n"
       << "</head><body>\n<h1>" << analysis::HtmlEscape(title) << "</h1>\n"
       << svg.str();
  for (const std::string& note : notes) {
    html << "<p>" << analysis::HtmlEscape(note) << "</p>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace stepwise::bench

#include "analysis/bench/table_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace stepwise::bench {
namespace {

std::string Printf(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Legend(const std::string& cell) {
  return "Each " + cell +
         ": median and worst over the seeds, the config's tiers [bonus, "
         "full, partial], then the tier reached by the median / by the "
         "worst (best attainable in parentheses). B Bonus, F Full credit, "
         "P Partial credit, N No credit. Latency in ms.\n";
}

std::string FailedSeeds(const std::vector<ConfigRow>& rows,
                        const std::string& bullet) {
  std::string out;
  for (const ConfigRow& row : rows) {
    for (size_t i = 0; i < row.failed_seeds.size(); ++i) {
      out += bullet + row.spec.name + " seed " +
             std::to_string(row.failed_seeds[i]) +
             " failed: " + row.failed_checks[i] + "\n";
    }
  }
  return out;
}

std::string TierCell(const MetricCell& cell) {
  return std::string(TierLetter(cell.median_tier)) + "/" +
         TierLetter(cell.worst_tier) + " (" + TierLetter(cell.best) + ")";
}

}  // namespace

const char* TierLetter(Tier tier) {
  switch (tier) {
    case Tier::kBonus:
      return "B";
    case Tier::kFull:
      return "F";
    case Tier::kPartial:
      return "P";
    case Tier::kNone:
      return "N";
  }
  return "?";
}

std::string FormatValue(int metric, double value) {
  if (std::isnan(value) || std::isinf(value)) return "none";
  if (metric == kLatency) return Printf("%.3f", value * 1e3);
  if (value == std::floor(value)) return Printf("%.0f", value);
  return Printf("%.1f", value);
}

std::string FormatTiers(int metric, const Tiers& t) {
  const double scale = metric == kLatency ? 1e3 : 1;
  return "[" + Printf("%g", t.bonus * scale) + ", " +
         Printf("%g", t.full * scale) + ", " + Printf("%g", t.partial * scale) +
         "]";
}

std::string ChecksText(const ConfigRow& row) {
  if (row.failed_seeds.empty()) return "ok";
  return "FAIL " + std::to_string(row.failed_seeds.size()) + "/" +
         std::to_string(row.seeds);
}

std::string FormatTextTable(const std::vector<ConfigRow>& rows,
                            const std::string& title) {
  // Columns: config, checks, then per metric: median, worst, tiers, tier.
  constexpr int kPerMetric = 4;
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"config", "checks"};
  for (int m = 0; m < kNumMetrics; ++m) {
    header.insert(header.end(), {"median", "worst", "tiers", "tier"});
  }
  table.push_back(header);
  for (const ConfigRow& row : rows) {
    std::vector<std::string> line = {row.spec.name, ChecksText(row)};
    for (int m = 0; m < kNumMetrics; ++m) {
      const MetricCell& cell = row.cells[m];
      line.insert(line.end(),
                  {FormatValue(m, cell.median), FormatValue(m, cell.worst),
                   FormatTiers(m, row.spec.tiers[m]), TierCell(cell)});
    }
    table.push_back(line);
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& line : table) {
    for (size_t c = 0; c < line.size(); ++c) {
      width[c] = std::max(width[c], line[c].size());
    }
  }
  auto pad = [](const std::string& s, size_t w, bool right) {
    std::string fill(w > s.size() ? w - s.size() : 0, ' ');
    return right ? fill + s : s + fill;
  };
  constexpr char kGroupGap[] = " | ";
  std::ostringstream out;
  out << title << "\n";
  // The group line names each metric over its four columns.
  std::string groups =
      pad("", width[0], false) + "  " + pad("", width[1], false);
  for (int m = 0; m < kNumMetrics; ++m) {
    size_t span = 0;
    for (int k = 0; k < kPerMetric; ++k) span += width[2 + m * kPerMetric + k];
    span += 2 * (kPerMetric - 1);
    std::string name = MetricName(m);
    if (m == kLatency) name += " (ms)";
    groups += kGroupGap + pad(name, span, false);
  }
  while (!groups.empty() && groups.back() == ' ') groups.pop_back();
  out << groups << "\n";
  for (const auto& line : table) {
    std::string text =
        pad(line[0], width[0], false) + "  " + pad(line[1], width[1], false);
    for (int m = 0; m < kNumMetrics; ++m) {
      text += kGroupGap;
      for (int k = 0; k < kPerMetric; ++k) {
        const size_t c = 2 + m * kPerMetric + k;
        if (k > 0) text += "  ";
        // Numbers right-aligned; the tiers and tier columns read left to
        // right.
        text += pad(line[c], width[c], k < 2);
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  }
  out << Legend("metric");
  out << FailedSeeds(rows, "  ");
  return out.str();
}

std::string FormatMarkdownTable(const std::vector<ConfigRow>& rows,
                                const std::string& title) {
  std::ostringstream out;
  out << "**" << title << "**\n\n";
  out << "| config | checks |";
  for (int m = 0; m < kNumMetrics; ++m) {
    out << " " << MetricName(m) << (m == kLatency ? " (ms)" : "") << " |";
  }
  out << "\n|---|---|";
  for (int m = 0; m < kNumMetrics; ++m) out << "---|";
  out << "\n";
  for (const ConfigRow& row : rows) {
    out << "| " << row.spec.name << " | " << ChecksText(row) << " |";
    for (int m = 0; m < kNumMetrics; ++m) {
      const MetricCell& cell = row.cells[m];
      out << " " << FormatValue(m, cell.median) << " / "
          << FormatValue(m, cell.worst) << " "
          << FormatTiers(m, row.spec.tiers[m]) << " **" << TierCell(cell)
          << "** |";
    }
    out << "\n";
  }
  out << "\n" << Legend("cell");
  const std::string failed = FailedSeeds(rows, "- ");
  if (!failed.empty()) out << "\n" << failed;
  return out.str();
}

}  // namespace stepwise::bench

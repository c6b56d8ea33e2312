#include "analysis/bench/table_format.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "analysis/bench/testing/seed_run.h"
#include "analysis/bench/tier_html.h"
#include "analysis/testing/count_occurrences.h"

namespace stepwise::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// simple-2's tiers over four seeds: medians F F F F, worsts F N F N, best
// attainable B F F B.
ConfigRow Simple2Row(const std::string& name = "simple-2") {
  ConfigSpec s;
  s.name = name;
  s.replicas = 5;
  s.requests = 500;
  s.mix = 0.2;
  s.tiers = {Tiers{2200, 4000, 5000}, Tiers{0, 1, 2}, Tiers{0, 2, 5},
             Tiers{0.001, 0.005, 0.05}};
  return SummarizeConfig(s, {SeedResult(1, true, 3700, 0, 0, 0.0012),
                             SeedResult(2, true, 3800, 1, 0, 0.0011),
                             SeedResult(3, false, 3720, 0, 1, 0.0013),
                             SeedResult(4, true, 3790, 2, 0, kNaN)});
}

TEST(FormatValueTest, CountsLatencyAndNoReply) {
  EXPECT_EQ(FormatValue(kMessages, 3755), "3755");
  EXPECT_EQ(FormatValue(kFailures, 0.5), "0.5");
  EXPECT_EQ(FormatValue(kLatency, 0.00125), "1.250");
  EXPECT_EQ(FormatValue(kLatency, std::numeric_limits<double>::infinity()),
            "none");
}

TEST(FormatTiersTest, LatencyInMilliseconds) {
  EXPECT_EQ(FormatTiers(kLatency, Tiers{0.0004, 0.002, 0.05}), "[0.4, 2, 50]");
  EXPECT_EQ(FormatTiers(kMessages, Tiers{2200, 4000, 5000}),
            "[2200, 4000, 5000]");
}

TEST(ChecksTextTest, CountsFailedSeeds) {
  EXPECT_EQ(ChecksText(Simple2Row()), "FAIL 1/4");
  ConfigRow ok = Simple2Row();
  ok.failed_seeds.clear();
  ok.failed_checks.clear();
  EXPECT_EQ(ChecksText(ok), "ok");
}

TEST(MarkdownTest, OneRowPerConfigWithMedianWorstTiersAndTierLetters) {
  const std::string md = FormatMarkdownTable({Simple2Row()}, "seeds 1..4");
  EXPECT_NE(md.find("**seeds 1..4**"), std::string::npos);
  EXPECT_NE(md.find("| config | checks | total messages | failures | "
                    "duplicates | median latency (ms) |"),
            std::string::npos);
  EXPECT_NE(md.find("| simple-2 | FAIL 1/4 | 3755 / 3800 [2200, 4000, 5000] "
                    "**F/F (B)** | 0.5 / 2 [0, 1, 2] **F/N (F)** | 0 / 1 "
                    "[0, 2, 5] **F/F (F)** | 1.250 / none [1, 5, 50] "
                    "**F/N (B)** |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- simple-2 seed 3 failed: Some state was stored"),
            std::string::npos);
}

TEST(TextTableTest, AlignedRowAndFailedSeeds) {
  const std::string text =
      FormatTextTable({Simple2Row(), Simple2Row("x")}, "seeds 1..4");
  EXPECT_EQ(text.rfind("seeds 1..4\n", 0), 0u);
  EXPECT_NE(text.find("simple-2  FAIL 1/4 |   3755   3800  [2200, 4000, "
                      "5000]  F/F (B) |"),
            std::string::npos)
      << text;
  // The short name is padded to the same width.
  EXPECT_NE(text.find("\nx         FAIL 1/4 |"), std::string::npos) << text;
  EXPECT_NE(text.find("  simple-2 seed 3 failed: "), std::string::npos);
}

TEST(HtmlTest, SelfContainedHeatMapWithOneCellPerMedianAndWorst) {
  const std::string html = RenderTierHtml({Simple2Row(), Simple2Row("a<b")},
                                          "seeds 1..4", {"worst over seeds"});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // 2 rows x 4 metrics x (median, worst) cells, plus 5 legend swatches.
  EXPECT_EQ(CountOccurrences(html, "<rect"), 2u * 8 + 5);
  // Per row, 5 cells are below the best attainable tier: messages (median
  // and worst), failures (worst), latency (median and worst); plus the
  // legend's swatch.
  EXPECT_EQ(CountOccurrences(html, "stroke-dasharray"), 2u * 5 + 1);
  // Colored by tier: the worst failures and latency are No credit.
  EXPECT_EQ(CountOccurrences(html, "fill=\"#c62828\"/>"), 1u);  // the legend
  EXPECT_EQ(CountOccurrences(html, "fill=\"#c62828\" stroke"), 2u * 2);
  EXPECT_NE(html.find("a&lt;b"), std::string::npos);
  EXPECT_EQ(html.find("a<b"), std::string::npos);
  EXPECT_NE(html.find("<p>worst over seeds</p>"), std::string::npos);
}

}  // namespace
}  // namespace stepwise::bench

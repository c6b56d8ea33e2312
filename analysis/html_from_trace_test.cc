#include "analysis/html_from_trace.h"

#include <fstream>
#include <sstream>
#include <string>

#include "analysis/testing/count_occurrences.h"
#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

// Tests run in the runfiles tree, at the workspace root.
std::string Render(const std::string& path, std::string* html) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return RenderHtmlFromTrace(in, path, html);
}

TEST(HtmlFromTraceTest, AStaleReadIsShownAsAViolation) {
  std::string html;
  ASSERT_EQ(Render("analysis/testdata/stale_read.jsonl", &html), "");
  // The verdict at the top, before the summary.
  const size_t verdict =
      html.find("<div id=\"verdict\" class=\"verdict bad\">");
  ASSERT_NE(verdict, std::string::npos);
  EXPECT_LT(verdict, html.find("<div class=\"summary\">"));
  EXPECT_NE(html.find("<h2 id=\"linearizability\">"), std::string::npos);
  EXPECT_NE(html.find("data-key=\"k\""), std::string::npos);
  // Operation ids are the order of the request events: put v1 (0), put v2
  // (1), the stale get (2), another client's get (3), the redirected put of
  // v3 (4) and its unanswered retry (5).
  EXPECT_NE(html.find("class=\"op lin\" data-op=\"0\" data-order=\"1\""),
            std::string::npos);
  EXPECT_NE(html.find("class=\"op lin\" data-op=\"1\" data-order=\"2\""),
            std::string::npos);
  EXPECT_NE(html.find("class=\"op bad\" data-op=\"2\""), std::string::npos);
  EXPECT_EQ(CountOccurrences(html, "class=\"op bad\""), 1u);
  EXPECT_NE(html.find("class=\"op idle\" data-op=\"4\""), std::string::npos);
  EXPECT_NE(html.find("class=\"op idle\" data-op=\"5\""), std::string::npos);
  EXPECT_EQ(html.find("data-op=\"3\""), std::string::npos);  // key k2
  EXPECT_NE(html.find("(MID MID-STALE-GET), client 0015"), std::string::npos);
  EXPECT_NE(html.find("data-ops=\"5\""), std::string::npos);
}

TEST(HtmlFromTraceTest, ALiveTraceRenders) {
  // An excerpt of `simulator scenarios/live-smoke.json --live --trace`: no
  // role events, no replicas or requests in the run event, no unanswered
  // counts at the end, times in real microseconds.
  std::string html;
  ASSERT_EQ(Render("analysis/testdata/live_excerpt.jsonl", &html), "");
  EXPECT_NE(html.find("live (real processes, real time)"), std::string::npos);
  EXPECT_NE(html.find("<th>wall time</th>"), std::string::npos);
  EXPECT_NE(html.find("not in the trace"), std::string::npos);
  EXPECT_NE(html.find("roles are inferred from what each replica sends"),
            std::string::npos);
  // Five lanes, and the leaders the replicas' messages show: 0004 in term
  // 1, then 0003 in term 2 after 0004 was killed.
  for (const char* id : {"0000", "0001", "0002", "0003", "0004"}) {
    EXPECT_NE(html.find(std::string("{\"id\":\"") + id + "\""),
              std::string::npos)
        << id;
  }
  EXPECT_NE(html.find("\"elections\":[[894869,4,1],[4016388,3,2]]"),
            std::string::npos);
  EXPECT_NE(html.find("class=\"verdict ok\""), std::string::npos);
  EXPECT_EQ(html.find("class=\"op "), std::string::npos);
}

TEST(HtmlFromTraceTest, ABadLineIsNamedAndNothingIsRendered) {
  std::istringstream in(
      "{\"t\":0,\"ev\":\"start\",\"replica\":\"0000\"}\n{\"t\":1,\"ev\":");
  std::string html = "old";
  EXPECT_EQ(RenderHtmlFromTrace(in, "run.jsonl", &html),
            "run.jsonl:2: not valid JSON: unexpected end (truncated line?)");
  EXPECT_TRUE(html.empty());
}

}  // namespace
}  // namespace stepwise::analysis

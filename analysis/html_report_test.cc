#include "analysis/html_report.h"

#include <string>

#include "analysis/run_stats.h"
#include "analysis/testing/count_occurrences.h"
#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

RunStats Stats(int requests) {
  RunStats s;
  s.has_run = true;
  s.scenario = "x.json";
  s.replicas = 3;
  s.end_t = 30'000'000;
  s.roles.resize(3);
  for (int i = 0; i < 3; ++i) {
    s.roles[i].push_back(RoleInterval{0, s.end_t, "follower", 1});
  }
  for (int k = 0; k < requests; ++k) {
    RequestRecord r;
    r.sent = static_cast<int64_t>(k) * (s.end_t / requests);
    r.dst = k % 3;
    r.is_get = k % 2 == 0;
    r.mid = "M" + std::to_string(k);
    r.outcome = k % 7 == 0 ? Outcome::kRedirect : Outcome::kOk;
    r.latency_us = 300 + k % 1000;
    s.requests.push_back(r);
    (r.is_get ? s.get_latencies : s.put_latencies).push_back(r.latency_us);
  }
  return s;
}

TEST(HtmlReportTest, FewRequestsAreDrawnOneByOne) {
  std::string html = RenderHtmlReport(Stats(100), HtmlOptions{});
  EXPECT_NE(html.find("\"mode\":\"each\""), std::string::npos);
  EXPECT_NE(html.find("\"M99\""), std::string::npos);
  EXPECT_NE(html.find("id=\"latency-histogram\""), std::string::npos);
}

TEST(HtmlReportTest, ManyRequestsGiveABoundedFile) {
  HtmlOptions o;
  std::string small = RenderHtmlReport(Stats(5'000), o);
  std::string large = RenderHtmlReport(Stats(100'000), o);
  EXPECT_NE(large.find("\"mode\":\"bucket\""), std::string::npos);
  EXPECT_EQ(large.find("\"M99\""), std::string::npos);
  // Buckets: 3 lanes x 1001 at most, whatever the number of requests.
  EXPECT_LT(large.size(), 300'000u);
  EXPECT_LT(large.size(), small.size() + 10'000);
}

TEST(HtmlReportTest, ALongRunSumsSecondsIntoWiderMessageBars) {
  RunStats s = Stats(10);
  s.seconds = 5000;
  s.messages_per_second["append"] = std::vector<int64_t>(5000, 7);
  s.messages_per_second["vote"] = std::vector<int64_t>(5000, 1);
  HtmlOptions o;
  o.max_message_bars = 250;
  const std::string html = RenderHtmlReport(s, o);
  const size_t from = html.find("id=\"message-chart\"");
  const std::string chart = html.substr(from, html.find("</svg>", from) - from);
  EXPECT_EQ(CountOccurrences(chart, "<rect"), 500u);  // 250 bars of two types
  EXPECT_NE(chart.find("0–20 s: append 140"), std::string::npos);
  EXPECT_NE(html.find("Each bar sums 20 seconds."), std::string::npos);
}

TEST(HtmlReportTest, TraceTextCannotCloseTheScriptOrInjectMarkup) {
  RunStats s = Stats(3);
  s.scenario = "</script><b>x</b>";
  s.requests[0].mid = "</script><i>";
  std::string html = RenderHtmlReport(s, HtmlOptions{});
  EXPECT_EQ(CountOccurrences(html, "</script>"),
            2u);  // the data and the code only
  EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;b&gt;"), std::string::npos);
}

TEST(HtmlReportTest, NoNetworkFetches) {
  std::string html = RenderHtmlReport(Stats(10), HtmlOptions{});
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("fetch("), std::string::npos);
}

}  // namespace
}  // namespace stepwise::analysis

// Renders reports in headless Chromium and checks the DOM after the script
// ran. Skipped when /usr/bin/chromium (Debian package "chromium") is absent.

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "analysis/html_from_trace.h"
#include "analysis/html_report.h"
#include "analysis/run_stats.h"
#include "analysis/testing/count_occurrences.h"
#include "analysis/trace_reader.h"
#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

std::string TempDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

// Returns the DOM after scripts ran.
std::string DumpDom(const std::string& html, const std::string& name) {
  const std::string dir = TempDir() + "/" + name;
  mkdir(dir.c_str(), 0700);
  const std::string file = dir + "/report.html";
  std::ofstream(file) << html;
  const std::string cmd =
      std::string("HOME=") + dir + " timeout 60 " + kChromium +
      " --headless --no-sandbox --disable-gpu --disable-background-networking"
      " --disable-component-update --disable-sync --no-first-run"
      " --user-data-dir=" +
      dir + "/profile --dump-dom file://" + file + " 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  pclose(p);
  return out;
}

std::string Line(const std::string& s) { return s + "\n"; }

// A small run: 3 replicas, an election, a partition, a kill, 3 requests.
std::string SmallTrace() {
  std::string t;
  t += Line(
      R"({"t":0,"ev":"run","scenario":"browser.json","seed":1,"replicas":3,"requests":3})");
  for (int i = 0; i < 3; ++i) {
    t += Line("{\"t\":0,\"ev\":\"start\",\"replica\":\"000" +
              std::to_string(i) + "\"}");
  }
  t += Line(
      R"({"t":1000,"ev":"role","replica":"0000","role":"candidate","term":1})");
  t += Line(
      R"({"t":2000,"ev":"role","replica":"0000","role":"leader","term":1})");
  const char* ops[] = {"get", "put", "get"};
  const char* verdicts[] = {"ok", "redirect", ""};
  for (int k = 0; k < 3; ++k) {
    const std::string mid = "M" + std::to_string(k);
    const std::string at = std::to_string(3000 + k * 1000);
    t += Line("{\"t\":" + at +
              ",\"ev\":\"request\",\"src\":\"0013\",\"dst\":\"000" +
              std::to_string(k) + "\",\"leader\":\"FFFF\",\"type\":\"" +
              ops[k] + "\",\"mid\":\"" + mid + "\",\"key\":\"k\"" +
              (std::string(ops[k]) == "put" ? ",\"value\":\"v\"" : "") +
              ",\"retry\":false}");
    if (verdicts[k][0] != '\0') {
      t += Line("{\"t\":" + std::to_string(3400 + k * 1000) +
                ",\"ev\":\"reply\",\"src\":\"000" + std::to_string(k) +
                "\",\"dst\":\"0013\",\"leader\":\"0000\",\"type\":\"" +
                verdicts[k] + "\",\"mid\":\"" + mid + "\",\"verdict\":\"" +
                verdicts[k] + "\",\"latency_us\":400}");
    }
  }
  t += Line(
      R"({"t":7000,"ev":"fault","kind":"part_hard","side0":"0000 0001","side1":"0002"})");
  t += Line(R"({"t":8000,"ev":"fault","kind":"part_end"})");
  t += Line(R"({"t":9000,"ev":"fault","kind":"kill_leader","killed":"0000"})");
  t += Line(
      R"({"t":10000,"ev":"end","storm":false,"total_messages":0,"unanswered_gets":1,"unanswered_puts":0})");
  return t;
}

RunStats StatsOf(const std::string& trace) {
  std::istringstream in(trace);
  ReadResult r = ReadTrace(in, "browser.jsonl");
  EXPECT_TRUE(r.ok()) << r.error;
  return ComputeRunStats(r.events);
}

class BrowserTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kChromium, X_OK) != 0) {
      GTEST_SKIP() << "no " << kChromium
                   << ": install the Debian package `chromium` to run the "
                      "report in a headless browser";
    }
  }
};

TEST_F(BrowserTest, ScriptDrawsOneLanePerReplicaAndEveryRequest) {
  std::string dom =
      DumpDom(RenderHtmlReport(StatsOf(SmallTrace()), {}), "small");
  ASSERT_NE(dom.find("data-status=\"ok\""), std::string::npos)
      << dom.substr(0, 2000);
  EXPECT_EQ(CountOccurrences(dom, "class=\"lane\""), 3u);
  // Follower, candidate, leader, dead.
  EXPECT_NE(dom.find("data-replica=\"0000\" data-intervals=\"4\""),
            std::string::npos);
  EXPECT_NE(dom.find("data-replica=\"0002\""), std::string::npos);
  EXPECT_EQ(CountOccurrences(dom, "class=\"mark\""), 3u);
  EXPECT_NE(dom.find("data-mode=\"each\""), std::string::npos);
}

TEST_F(BrowserTest, ManyRequestsAreDrawnAsBuckets) {
  std::string trace = SmallTrace();
  trace.resize(trace.rfind("{\"t\":10000"));
  for (int k = 0; k < 5000; ++k) {
    trace += Line(
        "{\"t\":10000,\"ev\":\"request\",\"src\":\"0013\",\"dst\":\"0001\","
        "\"leader\":\"FFFF\",\"type\":\"get\",\"mid\":\"B" +
        std::to_string(k) + "\",\"key\":\"k\",\"retry\":false}");
  }
  std::string dom = DumpDom(RenderHtmlReport(StatsOf(trace), {}), "bucket");
  ASSERT_NE(dom.find("data-status=\"ok\""), std::string::npos);
  EXPECT_NE(dom.find("data-mode=\"bucket\""), std::string::npos);
  EXPECT_LT(CountOccurrences(dom, "class=\"mark\""), 20u);
}

TEST_F(BrowserTest, ViolationDiagramRendersWithoutScriptErrors) {
  std::ifstream in("analysis/testdata/stale_read.jsonl", std::ios::binary);
  ASSERT_TRUE(in);
  std::string html;
  ASSERT_EQ(RenderHtmlFromTrace(in, "stale_read.jsonl", &html), "");
  std::string dom = DumpDom(html, "violation");
  ASSERT_NE(dom.find("data-status=\"ok\""), std::string::npos)
      << dom.substr(0, 2000);
  // One diagram, for key k: its five operations all laid out with a size
  // (the script counts them), the stale get red.
  EXPECT_EQ(CountOccurrences(dom, "<svg class=\"violation\""), 1u);
  EXPECT_NE(dom.find("data-ops=\"5\""), std::string::npos);
  EXPECT_NE(dom.find("data-drawn=\"5\""), std::string::npos)
      << dom.substr(dom.find("<svg class=\"violation\""), 400);
  EXPECT_NE(dom.find("class=\"op bad\" data-op=\"2\""), std::string::npos);
  EXPECT_NE(dom.find("class=\"verdict bad\""), std::string::npos);
  // The timeline still drew next to it.
  EXPECT_EQ(CountOccurrences(dom, "class=\"lane\""), 3u);
}

TEST_F(BrowserTest, AScriptErrorIsReportedInTheStatus) {
  std::string html = RenderHtmlReport(StatsOf(SmallTrace()), {});
  const std::string open = "id=\"run-data\">";
  const size_t from = html.find(open) + open.size();
  html.replace(from, html.find("</script>", from) - from, "{\"lanes\":");
  std::string dom = DumpDom(html, "broken");
  EXPECT_NE(dom.find("data-status=\"error: "), std::string::npos)
      << dom.substr(0, 2000);
  EXPECT_EQ(dom.find("data-status=\"ok\""), std::string::npos);
}

}  // namespace
}  // namespace stepwise::analysis

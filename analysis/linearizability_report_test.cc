#include "analysis/linearizability_report.h"

#include <chrono>
#include <string>
#include <vector>

#include "analysis/history.h"
#include "analysis/linearizability.h"
#include "analysis/testing/count_occurrences.h"
#include "analysis/trace_history.h"
#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

using Kind = Operation::Kind;
using Outcome = Operation::Outcome;

class Builder {
 public:
  uint64_t Add(Kind kind, const std::string& key, const std::string& value,
               Micros invoke, Micros complete, Outcome outcome = Outcome::kOk,
               NodeId client = 0x15) {
    Operation op;
    op.id = h_.mids.size();
    op.client = client;
    op.kind = kind;
    op.key = key;
    op.value = value;
    op.invoke = invoke;
    op.complete = complete;
    op.outcome = outcome;
    h_.history.operations.push_back(op);
    h_.mids.push_back("MID" + std::to_string(op.id));
    h_.end_t = std::max(h_.end_t, invoke);
    return op.id;
  }
  TraceHistory history() const { return h_; }

 private:
  TraceHistory h_;
};

// put v1, put v2, then a get that reads v1: stale. A put of v3 redirected
// and its retry never answered (nothing reads v3).
TraceHistory StaleRead() {
  Builder b;
  b.Add(Kind::kPut, "k", "v1", 100, 200);
  b.Add(Kind::kPut, "k", "v2", 300, 400);
  b.Add(Kind::kGet, "k", "v1", 500, 600);
  b.Add(Kind::kPut, "k", "v3", 700, 710, Outcome::kUnknown);
  b.Add(Kind::kPut, "k", "v3", 710, kNever, Outcome::kUnknown);
  b.Add(Kind::kGet, "other", "", 100, 150, Outcome::kOk, 0x16);
  return b.history();
}

TEST(LinearizabilityReportTest, StaleReadIsAViolationWithItsPrefixMarked) {
  LinearizabilityReport r =
      CheckTraceHistory(StaleRead(), std::chrono::milliseconds(0));
  ASSERT_EQ(r.result.verdict, CheckResult::Verdict::kNotLinearizable);
  EXPECT_EQ(r.keys, 2);
  const std::string h = RenderLinearizabilitySection(r, ViolationDrawing{});
  EXPECT_NE(h.find("NOT linearizable: 1 key has"), std::string::npos);
  EXPECT_NE(h.find("data-key=\"k\""), std::string::npos);
  EXPECT_EQ(h.find("data-key=\"other\""), std::string::npos);
  // The prefix: put v1 first, put v2 second; the stale get cannot follow.
  EXPECT_NE(h.find("class=\"op lin\" data-op=\"0\" data-order=\"1\""),
            std::string::npos);
  EXPECT_NE(h.find("class=\"op lin\" data-op=\"1\" data-order=\"2\""),
            std::string::npos);
  EXPECT_NE(h.find("class=\"op bad\" data-op=\"2\""), std::string::npos);
  EXPECT_EQ(CountOccurrences(h, "class=\"op bad\""), 1u);
  // Unknown puts nothing read: drawn, hatched, neither placed nor red.
  EXPECT_NE(h.find("class=\"op idle\" data-op=\"3\""), std::string::npos);
  EXPECT_NE(h.find("class=\"op idle\" data-op=\"4\""), std::string::npos);
  EXPECT_EQ(CountOccurrences(h, "fill=\"url(#hatch-0)\""), 2u);
  // Labels and details.
  EXPECT_NE(h.find(">1. put(v1)</text>"), std::string::npos);
  EXPECT_NE(h.find(">get→v1</text>"), std::string::npos);
  EXPECT_NE(h.find("operation 2 (MID MID2), client 0015"), std::string::npos);
  EXPECT_NE(h.find("the key then holds v2"), std::string::npos);
  EXPECT_NE(h.find("never answered"), std::string::npos);
}

TEST(LinearizabilityReportTest, EveryKindOfMarkIsDrawn) {
  // A violation as the checker reports one, made by hand: ids 0 and 2 in
  // the prefix (in the order 2, 0), 1 skipped, 3 cannot be placed, 4 is an
  // unknown put in neither list.
  Builder b;
  b.Add(Kind::kPut, "k", "a", 0, 10);
  b.Add(Kind::kPut, "k", "b", 5, 15, Outcome::kUnknown);
  b.Add(Kind::kPut, "k", "c", 1, 9);
  b.Add(Kind::kGet, "k", "z", 20, 30);
  b.Add(Kind::kPut, "k", "d", 25, kNever, Outcome::kUnknown);
  KeyViolation v;
  v.key = "k";
  v.operations = b.history().history.operations;
  v.linearized = {2, 0};
  v.skipped = {1};
  const std::string svg = RenderViolationSvg(v, b.history().mids, 100, 40, 3);
  EXPECT_NE(svg.find("id=\"violation-3\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"op lin\" data-op=\"2\" data-order=\"1\""),
            std::string::npos);
  EXPECT_NE(svg.find("class=\"op lin\" data-op=\"0\" data-order=\"2\""),
            std::string::npos);
  EXPECT_NE(svg.find("class=\"op skipped\" data-op=\"1\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"op bad\" data-op=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"op idle\" data-op=\"4\""), std::string::npos);
  // The key holds the last put of the prefix: a (put 0 came second).
  EXPECT_NE(svg.find("the key then holds a)"), std::string::npos);
  // Two clients' rows would need two labels; one client with overlapping
  // requests gets one label and several rows.
  EXPECT_EQ(CountOccurrences(svg, ">0015</text>"), 1u);
  // The unknown put answered at 15 has a tick at its reply.
  EXPECT_NE(svg.find("answered fail or redirect at 15 µs"), std::string::npos);
  EXPECT_EQ(CountOccurrences(svg, "stroke-width=\"2\" pointer-events"), 1u);
}

TEST(LinearizabilityReportTest, ALongKeyShowsAWindowAroundTheDeadEnd) {
  Builder b;
  for (int i = 0; i < 200; ++i) {
    const std::string v = "v" + std::to_string(i);
    b.Add(Kind::kPut, "k", v, i * 100, i * 100 + 10);
    b.Add(Kind::kGet, "k", i == 150 ? "v3" : v, i * 100 + 20, i * 100 + 30);
  }
  LinearizabilityReport r =
      CheckTraceHistory(b.history(), std::chrono::milliseconds(0));
  ASSERT_EQ(r.result.verdict, CheckResult::Verdict::kNotLinearizable);
  const std::string h = RenderLinearizabilitySection(r, ViolationDrawing{});
  EXPECT_NE(h.find("data-ops=\"40\""), std::string::npos);
  EXPECT_EQ(CountOccurrences(h, "class=\"op "), 40u);
  // The stale get (id 301) is in the window.
  EXPECT_NE(h.find("class=\"op bad\" data-op=\"301\""), std::string::npos);
  EXPECT_NE(h.find("of the key's 400"), std::string::npos);
}

TEST(LinearizabilityReportTest, ManyViolatingKeysAreCapped) {
  Builder b;
  for (int k = 0; k < 7; ++k) {
    const std::string key = "key" + std::to_string(k);
    b.Add(Kind::kPut, key, "a", 0, 10);
    b.Add(Kind::kGet, key, "b", 20, 30);
  }
  LinearizabilityReport r =
      CheckTraceHistory(b.history(), std::chrono::milliseconds(0));
  ViolationDrawing d;
  d.max_keys = 2;
  const std::string h = RenderLinearizabilitySection(r, d);
  EXPECT_EQ(CountOccurrences(h, "<svg class=\"violation\""), 2u);
  EXPECT_NE(h.find("And 5 more keys"), std::string::npos);
  EXPECT_NE(h.find("<code>key6</code>"), std::string::npos);
}

TEST(LinearizabilityReportTest, VerdictBanners) {
  Builder b;
  b.Add(Kind::kPut, "k", "a", 0, 10);
  b.Add(Kind::kGet, "k", "a", 20, 30);
  LinearizabilityReport r =
      CheckTraceHistory(b.history(), std::chrono::milliseconds(2000));
  EXPECT_NE(RenderVerdictBanner(r).find(
                "class=\"verdict ok\"><a href=\"#linearizability\">"
                "Linearizable: the clients' 2 operations on 1 keys"),
            std::string::npos);
  EXPECT_EQ(RenderLinearizabilitySection(r, {}).find("<svg"),
            std::string::npos);

  r.result.verdict = CheckResult::Verdict::kUnknown;
  r.result.unknown_keys = {"k"};
  const std::string unknown = RenderVerdictBanner(r);
  EXPECT_NE(unknown.find("class=\"verdict unknown\""), std::string::npos);
  EXPECT_NE(unknown.find("ran out of its 2.000 s budget on 1 of 1 keys"),
            std::string::npos);

  r.result.verdict = CheckResult::Verdict::kInvalidHistory;
  r.result.error = "operation 7: <bad>";
  EXPECT_NE(RenderVerdictBanner(r).find("malformed (operation 7: &lt;bad&gt;)"),
            std::string::npos);
}

TEST(LinearizabilityReportTest, KeysAndValuesCannotInjectMarkup) {
  Builder b;
  b.Add(Kind::kPut, "<script>k", "<b>v</b>", 0, 10);
  b.Add(Kind::kGet, "<script>k", "\"><i>", 20, 30);
  LinearizabilityReport r =
      CheckTraceHistory(b.history(), std::chrono::milliseconds(0));
  const std::string h = RenderLinearizabilitySection(r, ViolationDrawing{});
  EXPECT_EQ(h.find("<script>"), std::string::npos);
  EXPECT_EQ(h.find("<b>v"), std::string::npos);
  EXPECT_EQ(h.find("\"><i>"), std::string::npos);
  EXPECT_NE(h.find("&lt;script&gt;k"), std::string::npos);
}

}  // namespace
}  // namespace stepwise::analysis

// Live mode end to end: scenarios/live-smoke.json against real 3700kvstore
// processes, this program as the hub. Real time, so the assertions are about
// correctness and counts, never about speed.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "simulator/live/live_run.h"
#include "simulator/report.h"
#include "simulator/scenario.h"

namespace stepwise::sim {
namespace {

TEST(LiveTest, SmokeScenarioPassesAgainstRealProcesses) {
  ParseResult p = LoadScenario("scenarios/live-smoke.json");
  ASSERT_TRUE(p.ok) << p.error;
  std::ostringstream trace;
  std::string error;
  std::optional<RunResult> run =
      RunLive(p.scenario, 1, /*binary=*/"", /*argv0=*/"", &trace, &error);
  ASSERT_TRUE(run.has_value()) << error;
  Report report = Evaluate(p.scenario, *run);
  std::string text = FormatText(p.scenario, *run, report, "live");
  EXPECT_TRUE(report.passed) << text;
  EXPECT_TRUE(run->live);
  const ClientStats& c = run->clients;
  EXPECT_EQ(c.gets_generated + c.puts_generated + c.get_generation_failures,
            60);
  EXPECT_EQ(run->killed.size(), 1u);  // kill_leader found the leader
  EXPECT_GT(run->total_messages, 0);
  EXPECT_FALSE(c.latencies.empty());
  // The trace saw the hellos and the kill.
  EXPECT_NE(trace.str().find("\"ev\":\"hello\""), std::string::npos);
  EXPECT_NE(trace.str().find("\"kind\":\"kill_leader\",\"killed\""),
            std::string::npos);
}

TEST(LiveTest, AMissingBinaryIsAClearError) {
  ParseResult p = LoadScenario("scenarios/live-smoke.json");
  ASSERT_TRUE(p.ok) << p.error;
  std::string error;
  EXPECT_FALSE(
      RunLive(p.scenario, 1, "/nonexistent/3700kvstore", "", nullptr, &error)
          .has_value());
  EXPECT_EQ(error,
            "--binary: '/nonexistent/3700kvstore' is not an executable file");
}

}  // namespace
}  // namespace stepwise::sim

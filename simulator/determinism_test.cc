// The same scenario and seed give the same trace, byte for byte; another
// seed gives another run.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "simulator/replica_node.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace stepwise::sim {
namespace {

std::string TraceOf(const std::string& path, uint64_t seed) {
  ParseResult p = LoadScenario(path);
  EXPECT_TRUE(p.ok) << p.error;
  std::ostringstream out;
  Simulate(p.scenario, seed, ReplicaNodeFactory(), &out);
  return out.str();
}

TEST(DeterminismTest, SameSeedSameTraceBytes) {
  for (const char* path :
       {"scenarios/partition.json", "scenarios/course/advanced-1.json",
        "scenarios/duplicate-reorder.json"}) {
    std::string a = TraceOf(path, 11);
    std::string b = TraceOf(path, 11);
    EXPECT_GT(a.size(), 100000u) << path;
    EXPECT_TRUE(a == b) << path;
  }
}

TEST(DeterminismTest, DifferentSeedDifferentRun) {
  std::string a = TraceOf("scenarios/partition.json", 11);
  std::string b = TraceOf("scenarios/partition.json", 12);
  EXPECT_FALSE(a == b);
}

TEST(DeterminismTest, TraceHasEveryKindOfEvent) {
  std::string t = TraceOf("scenarios/partition.json", 11);
  for (const char* ev :
       {"\"ev\":\"run\"", "\"ev\":\"start\"", "\"ev\":\"hello\"",
        "\"ev\":\"route\"", "\"ev\":\"deliver\"", "\"ev\":\"timer\"",
        "\"ev\":\"role\"", "\"ev\":\"leader\"", "\"ev\":\"commit\"",
        "\"ev\":\"request\"", "\"ev\":\"reply\"", "\"ev\":\"fault\"",
        "\"fate\":\"dropped\"", "\"fate\":\"partition\"", "\"ev\":\"end\""}) {
    EXPECT_NE(t.find(ev), std::string::npos) << ev;
  }
}

}  // namespace
}  // namespace stepwise::sim

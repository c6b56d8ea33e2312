#include "simulator/safety.h"

#include <gtest/gtest.h>

#include <string>

#include "simulator/replica_node.h"
#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

Operation Op(uint64_t id, Operation::Kind kind, std::string value,
             Micros invoke, Micros complete) {
  Operation op;
  op.id = id;
  op.client = 0x0010;
  op.kind = kind;
  op.key = "k";
  op.value = std::move(value);
  op.invoke = invoke;
  op.complete = complete;
  return op;
}

constexpr auto kPut = Operation::Kind::kPut;
constexpr auto kGet = Operation::Kind::kGet;

TEST(CheckHistoryTest, AStaleReadIsAFindingNamingTheOperation) {
  RunResult run;
  run.history.operations = {Op(1, kPut, "a", 0, 10), Op(2, kPut, "b", 20, 30),
                            Op(3, kGet, "a", 40, 50)};
  CheckHistory(&run);
  EXPECT_EQ(run.history_verdict, "not linearizable");
  ASSERT_EQ(run.safety.size(), 1u);
  const SafetyFinding& f = run.safety[0];
  EXPECT_EQ(f.property, kLinearizability);
  EXPECT_EQ(f.time, 50);  // when the stale reply reached the client
  EXPECT_NE(f.detail.find("key k"), std::string::npos) << f.detail;
  EXPECT_NE(f.detail.find("op 3"), std::string::npos) << f.detail;
  ASSERT_EQ(f.events.size(), 3u);
  EXPECT_NE(f.events[0].find("[linearized #1]"), std::string::npos);
  EXPECT_NE(f.events[1].find("[linearized #2]"), std::string::npos);
  EXPECT_NE(f.events[2].find("get -> \"a\"  ok  [cannot be placed]"),
            std::string::npos)
      << f.events[2];
}

TEST(CheckHistoryTest, AnUnknownPutMayHaveHappened) {
  RunResult run;
  Operation maybe = Op(2, kPut, "b", 20, kNever);
  maybe.outcome = Operation::Outcome::kUnknown;
  run.history.operations = {Op(1, kPut, "a", 0, 10), maybe,
                            Op(3, kGet, "b", 40, 50)};
  CheckHistory(&run);
  EXPECT_EQ(run.history_verdict, kLinearizableVerdict);
  EXPECT_TRUE(run.safety.empty());
}

TEST(SimulateCheckedTest, ARealRunIsWatchedAndItsHistoryChecked) {
  nlohmann::json config = testing::BaseConfig();
  config["events"] = {{{"type", "kill_leader"}, {"time", 2}}};
  const Scenario s = testing::MustParse(config);
  RunResult run = SimulateChecked(s, 3, ReplicaNodeFactory());
  EXPECT_TRUE(run.raft_checked);
  EXPECT_EQ(run.history_verdict, kLinearizableVerdict);
  EXPECT_TRUE(run.safety.empty());
  // Every ok reply is in the history, and no get without one.
  int64_t ok = 0, puts = 0;
  for (const Operation& op : run.history.operations) {
    ok += op.outcome == Operation::Outcome::kOk;
    puts += op.kind == kPut;
    if (op.kind == kGet) EXPECT_EQ(op.outcome, Operation::Outcome::kOk);
  }
  EXPECT_EQ(ok, run.clients.gets_ok + run.clients.puts_ok);
  EXPECT_GE(puts, run.clients.puts_generated);
}

}  // namespace
}  // namespace stepwise::sim

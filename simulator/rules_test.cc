// Each harness rule, end to end through the virtual-time engine, with the
// trivial responders of testing/fake_nodes.h standing in for Raft. Each test
// would fail if its rule were changed.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "simulator/ids.h"
#include "simulator/report.h"
#include "simulator/simulation.h"
#include "simulator/testing/fake_nodes.h"
#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

using nlohmann::json;
using testing::BaseConfig;
using testing::FakeFactory;
using testing::FakeOptions;

RunResult RunFake(const json& config, FakeOptions options, uint64_t seed = 1,
                  std::string* trace = nullptr) {
  Scenario s = testing::MustParse(config);
  std::ostringstream out;
  RunResult r = Simulate(s, seed, FakeFactory(options), trace ? &out : nullptr);
  if (trace) *trace = out.str();
  return r;
}

int CountLines(const std::string& trace, const std::string& needle) {
  int n = 0;
  std::istringstream in(trace);
  for (std::string line; std::getline(in, line);) {
    n += line.find(needle) != std::string::npos;
  }
  return n;
}

TEST(RulesTest, ATrivialResponderPassesEveryCheck) {
  RunResult r = RunFake(BaseConfig(), FakeOptions{});
  Report report = Evaluate(testing::MustParse(BaseConfig()), r);
  for (const Check& c : report.checks) {
    if (c.name.rfind("Enough messages", 0) == 0) {
      EXPECT_FALSE(c.passed);  // it replicates nothing: the floor catches it
    } else {
      EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
    }
  }
  EXPECT_EQ(r.clients.gets_generated + r.clients.puts_generated +
                r.clients.get_generation_failures,
            100);
  EXPECT_EQ(r.clients.gets_ok + r.clients.puts_ok,
            r.clients.gets_generated + r.clients.puts_generated);
}

TEST(RulesTest, BroadcastCountsReplicasMinusOneIncludingTheDead) {
  json config = BaseConfig();
  config["start_wait"] = 0;  // the kill comes before 0004 even starts
  config["events"] = {{{"type", "kill"}, {"time", 0}, {"replica", "0004"}}};
  FakeOptions o;
  o.broadcast_every = 100 * kMillis;
  std::string trace;
  RunResult r = RunFake(config, o, 1, &trace);
  const int broadcasts =
      CountLines(trace, "\"ev\":\"route\",\"src\":\"0000\",\"dst\":\"FFFF\"") /
      4;
  ASSERT_GT(broadcasts, 50);
  EXPECT_EQ(r.total_messages, 4 * broadcasts);
  // Copies to the dead 0004 were counted but not delivered.
  EXPECT_EQ(CountLines(trace, "\"to\":\"0004\",\"fate\":\"dead\""), broadcasts);
  EXPECT_EQ(r.killed, (std::vector<NodeId>{4}));
}

TEST(RulesTest, AReplyAfterARedirectIsIncorrect) {
  FakeOptions o;
  o.ok_after_redirect = true;
  RunResult r = RunFake(BaseConfig(), o);
  EXPECT_GT(r.clients.redirects, 0);
  EXPECT_EQ(r.clients.incorrect, r.clients.redirects);
  EXPECT_FALSE(Evaluate(testing::MustParse(BaseConfig()), r).passed);
}

TEST(RulesTest, ASecondOkIsADuplicateNotAnError) {
  FakeOptions o;
  o.duplicate_ok = true;
  RunResult r = RunFake(BaseConfig(), o);
  EXPECT_EQ(r.clients.duplicates, r.clients.gets_ok + r.clients.puts_ok);
  EXPECT_EQ(r.clients.incorrect, 0);
  Report report = Evaluate(testing::MustParse(BaseConfig()), r);
  EXPECT_EQ(report.metrics[2].value, r.clients.duplicates);
  EXPECT_EQ(report.metrics[2].tier, Tier::kNone);
}

TEST(RulesTest, KillLeaderKillsTheBelievedLeader) {
  for (NodeId leader : {1, 3}) {
    json config = BaseConfig();
    config["events"] = {{{"type", "kill_leader"}, {"time", 4.5}}};
    FakeOptions o;
    o.leader = leader;
    RunResult r = RunFake(config, o);
    EXPECT_EQ(r.killed, (std::vector<NodeId>{leader}));
    EXPECT_EQ(r.leaders, (std::vector<NodeId>{leader}));
  }
}

TEST(RulesTest, AFaultComesBeforeARequestDueAtTheSameInstant) {
  // Requests are due every 50 ms, so the kill at 2.5 s falls on one. Taken
  // fault first (as the live hub's loop does), the clients have forgotten
  // the killed leader and send that request to a living replica; request
  // first, it would be lost with the leader and go unanswered.
  json config = BaseConfig();
  config["events"] = {{{"type", "kill_leader"}, {"time", 2.5}}};
  FakeOptions o;
  o.leader = 1;
  std::string trace;
  RunResult r = RunFake(config, o, 1, &trace);
  ASSERT_EQ(r.killed, (std::vector<NodeId>{1}));
  std::string due_then;
  std::istringstream in(trace);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("{\"t\":7500000,\"ev\":\"request\"", 0) == 0) {
      due_then = line;
    }
  }
  ASSERT_FALSE(due_then.empty());
  EXPECT_EQ(due_then.find("\"dst\":\"0001\""), std::string::npos) << due_then;
  EXPECT_EQ(CountLines(trace, "request_lost"), 0);
}

TEST(RulesTest, KillNonLeaderNeverKillsTheBelievedLeader) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    json config = BaseConfig();
    config["events"] = {{{"type", "kill_non_leader"}, {"time", 1}},
                        {{"type", "kill_non_leader"}, {"time", 2}}};
    FakeOptions o;
    o.leader = 2;
    RunResult r = RunFake(config, o, seed);
    ASSERT_EQ(r.killed.size(), 2u);
    EXPECT_NE(r.killed[0], 2);
    EXPECT_NE(r.killed[1], 2);
    EXPECT_NE(r.killed[0], r.killed[1]);
  }
}

TEST(RulesTest, PartitionDropsAreCounted) {
  json config = BaseConfig();
  config["events"] = {
      {{"type", "partition"},
       {"time", 0},
       {"groups", {{"0000"}, {"0001", "0002", "0003", "0004"}}}}};
  FakeOptions o;
  o.unicast_every = 50 * kMillis;  // every replica to its first peer
  RunResult r = RunFake(config, o);
  // 0001..0004 all send to 0000 across the partition once it exists.
  EXPECT_GT(r.partition_drops, 4 * 100);
  std::string trace;
  RunResult again = RunFake(config, o, 1, &trace);
  EXPECT_EQ(r.total_messages, CountLines(trace, "\"ev\":\"route\""));
  EXPECT_EQ(r.partition_drops, CountLines(trace, "\"fate\":\"partition\""));
}

TEST(RulesTest, ClientTrafficIsNeverDropped) {
  json config = BaseConfig();
  config["drops"] = 1.0;
  config["events"] = {{{"type", "part_hard"}, {"time", 0}}};
  RunResult r = RunFake(config, FakeOptions{});
  EXPECT_EQ(r.clients.unanswered_gets + r.clients.unanswered_puts, 0);
  EXPECT_EQ(r.clients.incorrect, 0);
  EXPECT_EQ(r.total_messages, 0);  // and never counted
}

TEST(RulesTest, UnansweredRequestsAreFailures) {
  FakeOptions o;
  o.ignore_requests = true;
  RunResult r = RunFake(BaseConfig(), o);
  EXPECT_EQ(r.clients.puts_ok, 0);
  EXPECT_EQ(r.clients.unanswered_puts, r.clients.puts_generated);
  EXPECT_GT(r.clients.unanswered_puts, 0);
  Report report = Evaluate(testing::MustParse(BaseConfig()), r);
  EXPECT_EQ(report.metrics[1].value,
            r.clients.unanswered_puts + r.clients.unanswered_gets);
  EXPECT_FALSE(report.passed);
}

TEST(RulesTest, AWrongGetValueFailsTheRun) {
  FakeOptions o;
  o.corrupt_gets = true;
  RunResult r = RunFake(BaseConfig(), o);
  EXPECT_GT(r.clients.wrong_get_values, 0);
  EXPECT_EQ(r.clients.wrong_get_values, r.clients.gets_ok);
}

TEST(RulesTest, AReplicaWithoutHelloIsDeclaredDead) {
  FakeOptions o;
  o.say_hello = false;
  RunResult r = RunFake(BaseConfig(), o);
  EXPECT_FALSE(r.died.empty());
  EXPECT_FALSE(Evaluate(testing::MustParse(BaseConfig()), r).passed);
}

TEST(RulesTest, AMessageStormStopsTheRun) {
  json config = BaseConfig();
  config["max_packets"] = 1000;
  FakeOptions o;
  o.broadcast_every = 1 * kMillis;
  RunResult r = RunFake(config, o);
  EXPECT_TRUE(r.storm);
  EXPECT_EQ(r.total_messages, 1004);  // stopped on the broadcast crossing it
  EXPECT_LT(r.end_time, 1 * kSeconds);
}

TEST(RulesTest, KillLeaderAndPartHardMakeClientsForgetTheLeader) {
  // After kill_leader, requests go to random living replicas, so the
  // followers see requests again and redirect.
  for (const char* fault : {"kill_leader", "part_hard"}) {
    json config = BaseConfig();
    config["events"] = {{{"type", fault}, {"time", 2.5}}};
    FakeOptions o;
    o.leader = fault == std::string("part_hard") ? 0 : 1;
    std::string trace;
    RunFake(config, o, 3, &trace);
    // Redirects happen at the start (no leader known yet) and again after
    // the fault; none in between.
    int after = 0;
    std::istringstream in(trace);
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"verdict\":\"redirect\"") == std::string::npos) continue;
      long t = std::stol(line.substr(5));
      if (t > 7500 * kMillis) ++after;
    }
    EXPECT_GT(after, 0) << fault;
  }
}

}  // namespace
}  // namespace stepwise::sim

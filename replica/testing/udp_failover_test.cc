// Five real replicas behind the test hub: a stream of puts and gets from
// three clients, every reply checked as the harness checks it; then the
// leader is SIGTERMed and the rest must elect another and answer again,
// with every acknowledged put still readable.

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replica/rng.h"
#include "replica/testing/kv_client.h"
#include "replica/testing/process_hub.h"

namespace stepwise::hub {
namespace {

const std::vector<NodeId> kReplicas = {0x0000, 0x0001, 0x0002, 0x0003, 0x0004};
const std::vector<NodeId> kClients = {0x0015, 0x0016, 0x0017};  // 5 + 16 on

class UdpFailoverTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& process : processes_) process->Terminate(milliseconds(2000));
  }

  Process& ProcessOf(NodeId id) { return *processes_[id]; }

  // Runs `count` operations, each client keeping one in flight: a put
  // (a new key, or an overwrite of one of its keys) or a get of one of its
  // acknowledged keys. Returns false if they did not all finish by
  // `deadline`.
  bool RunOperations(Hub& hub, KvClients& clients, Rng& rng, int count,
                     Clock::time_point deadline) {
    int started = 0;
    for (;;) {
      clients.ProcessReplies();
      for (NodeId client : kClients) {
        if (started == count || !clients.Idle(client)) continue;
        const auto& acked = clients.acknowledged(client);
        if (!acked.empty() && rng.Chance(0.5)) {
          auto key = acked.begin();
          std::advance(key, rng.Uniform(0, acked.size() - 1));
          clients.StartGet(client, key->first);
          ++gets_;
        } else {
          std::string key = clients.NewKey(client);
          if (!acked.empty() && rng.Chance(0.5)) {
            auto it = acked.begin();
            std::advance(it, rng.Uniform(0, acked.size() - 1));
            key = it->first;
          }
          clients.StartPut(client, key, clients.NewValue());
          ++puts_;
        }
        ++started;
      }
      if (started == count && clients.AllIdle()) return true;
      // Wake as soon as some client is free for the next operation, or when
      // all are done after the last one.
      bool woke = hub.PumpUntil(deadline, [&] {
        clients.ProcessReplies();
        if (started == count) return clients.AllIdle();
        for (NodeId client : kClients) {
          if (clients.Idle(client)) return true;
        }
        return false;
      });
      if (!woke) return false;
    }
  }

  Budget budget_{milliseconds(20000)};
  std::vector<std::unique_ptr<Process>> processes_;
  int gets_ = 0;
  int puts_ = 0;
};

TEST_F(UdpFailoverTest, ClusterSurvivesLosingItsLeader) {
  Hub hub;
  std::string error;
  ASSERT_TRUE(hub.Open(kReplicas, kClients, &error)) << error;
  Clock::time_point spawned = Clock::now();
  for (NodeId id : kReplicas) {
    std::vector<std::string> argv = {ShimBinaryPath(),
                                     std::to_string(hub.port()),
                                     FormatNodeId(id), "--verbose"};
    for (NodeId peer : kReplicas) {
      if (peer != id) argv.push_back(FormatNodeId(peer));
    }
    std::string base = TestOutputDir() + "/failover-" + FormatNodeId(id);
    processes_.push_back(std::make_unique<Process>());
    ASSERT_TRUE(
        processes_.back()->Start(argv, base + ".out", base + ".err", &error))
        << error;
  }
  ASSERT_TRUE(hub.PumpUntil(budget_.Until(milliseconds(5000)), [&] {
    return hub.AllHellosSeen();
  })) << "not every replica said hello within 5 s";

  KvClients clients(&hub, kClients, /*seed=*/7);
  Rng rng(11);
  ASSERT_TRUE(
      RunOperations(hub, clients, rng, 50, budget_.Until(milliseconds(8000))))
      << "50 operations did not finish within 8 s";
  Clock::time_point first_phase_done = Clock::now();
  ClientTotals before = clients.totals();
  ASSERT_THAT(clients.errors(), ::testing::IsEmpty());
  ASSERT_THAT(hub.violations(), ::testing::IsEmpty());

  // kill_leader, as the harness does it: the last leader field seen.
  NodeId old_leader = hub.last_leader();
  ASSERT_NE(old_leader, kNoNode);
  ASSERT_TRUE(
      ProcessOf(old_leader).Terminate(budget_.Left(milliseconds(3000))));
  EXPECT_TRUE(ProcessOf(old_leader).ExitedWith(0));
  hub.MarkDead(old_leader);
  clients.ForgetLeader();
  Clock::time_point killed = Clock::now();

  // The survivors must answer again, and still hold what was acknowledged.
  ASSERT_TRUE(
      RunOperations(hub, clients, rng, 15, budget_.Until(milliseconds(10000))))
      << "no answers within 10 s of killing leader "
      << FormatNodeId(old_leader);
  Clock::time_point recovered = Clock::now();
  // Every client reads back its first key, acknowledged before the kill
  // (the checker compares with the last acknowledged put).
  for (NodeId client : kClients) {
    ASSERT_FALSE(clients.acknowledged(client).empty());
    clients.StartGet(client, clients.acknowledged(client).begin()->first);
  }
  ASSERT_TRUE(clients.RunUntilIdle(budget_.Until(milliseconds(5000))));
  clients.Linger(milliseconds(300));

  EXPECT_THAT(clients.errors(), ::testing::IsEmpty());
  EXPECT_THAT(hub.violations(), ::testing::IsEmpty());
  NodeId new_leader = hub.last_leader();
  EXPECT_NE(new_leader, old_leader);
  EXPECT_TRUE(hub.IsAlive(new_leader)) << FormatNodeId(new_leader);
  for (NodeId client : kClients) {
    EXPECT_EQ(clients.believed_leader(client), new_leader);
  }
  EXPECT_GT(clients.totals().oks, before.oks);

  for (NodeId id : kReplicas) {
    if (id == old_leader) continue;
    EXPECT_TRUE(ProcessOf(id).Running()) << FormatNodeId(id) << " died";
  }
  for (NodeId id : kReplicas) {
    if (id == old_leader) continue;
    EXPECT_TRUE(ProcessOf(id).Terminate(budget_.Left(milliseconds(3000))))
        << FormatNodeId(id) << " ignored SIGTERM";
    EXPECT_TRUE(ProcessOf(id).ExitedWith(0)) << FormatNodeId(id);
  }

  // Real traffic (votes, appends with entries, replies) must decode at the
  // other end: any drop here is a codec mismatch on the wire.
  for (NodeId id : kReplicas) {
    std::string log = ReadWholeFile(TestOutputDir() + "/failover-" +
                                    FormatNodeId(id) + ".err");
    std::map<std::string, uint64_t> counters = ParseShimCounters(log);
    ASSERT_FALSE(counters.empty()) << FormatNodeId(id) << "\n" << log;
    EXPECT_GT(counters["stepped"], 0u);
    for (const auto& [name, value] : counters) {
      if (name.rfind("drop_", 0) == 0 || name.rfind("send_", 0) == 0 ||
          name == "exceptions" || name == "receive_errors") {
        EXPECT_EQ(value, 0u) << FormatNodeId(id) << " " << name << "\n" << log;
      }
    }
  }

  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<milliseconds>(d).count();
  };
  std::cout << "first leader field " << ms(*hub.first_leader_seen() - spawned)
            << " ms after spawn; 50 operations done "
            << ms(first_phase_done - spawned) << " ms after spawn (" << puts_
            << " puts, " << gets_ << " gets in all)\n"
            << "before the kill: replies " << Summarize(before.reply_micros)
            << "\n  operations " << Summarize(before.operation_micros)
            << "\nold leader " << FormatNodeId(old_leader) << ", new leader "
            << FormatNodeId(new_leader)
            << "; 15 operations after the kill took " << ms(recovered - killed)
            << " ms\n"
            << "all: replies " << Summarize(clients.totals().reply_micros)
            << "\n  redirects " << clients.totals().redirects << ", fails "
            << clients.totals().fails << ", replica messages "
            << hub.stats().from_replicas << ", dropped to the dead "
            << hub.stats().to_dead << "\n";
}

}  // namespace
}  // namespace stepwise::hub

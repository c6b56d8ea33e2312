#include "simulator/faults.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "simulator/clients.h"
#include "simulator/hub.h"
#include "simulator/ids.h"
#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

struct World {
  explicit World(uint64_t seed, nlohmann::json config = testing::BaseConfig())
      : scenario(testing::MustParse(config)),
        hub(scenario, seed),
        clients(scenario, seed),
        faults(scenario, seed) {
    for (int i = 0; i < hub.replicas(); ++i) {
      NodeId id = static_cast<NodeId>(i);
      hub.Route(id, Message{id, kNoNode, kNoNode, Hello{}});
    }
  }
  void BelieveLeader(NodeId leader) {
    hub.Route(leader, Message{leader, static_cast<NodeId>((leader + 1) % 5),
                              leader, AppendEntries{}});
  }
  // Makes client `c` believe in `leader` through an acknowledged put.
  int TeachClient(NodeId leader) {
    for (int k = 0; k < clients.num_requests(); ++k) {
      if (clients.is_get(k)) continue;
      std::optional<Message> put = clients.Generate(k, 0, hub);
      Message ok{
          put->dst, put->src, leader,
          ClientReply{ReplyKind::kOk, std::get<PutRequest>(put->body).mid, {}}};
      clients.OnReply(ok, 1, hub);
      return ClientIndex(5, put->src);
    }
    return -1;
  }
  FaultOutcome Apply(FaultType type) {
    FaultEvent e;
    e.type = type;
    return faults.Apply(e, hub, clients);
  }
  Scenario scenario;
  Hub hub;
  Clients clients;
  Faults faults;
};

TEST(FaultsTest, PartEasyKeepsTheLeaderOnTheMajoritySide) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    World w(seed);
    w.BelieveLeader(3);
    int client = w.TeachClient(3);
    FaultOutcome out = w.Apply(FaultType::kPartEasy);
    ASSERT_EQ(out.sides.size(), 2u);
    EXPECT_EQ(out.sides[0].size(), 3u);  // 5 / 2 + 1
    EXPECT_EQ(out.sides[1].size(), 2u);
    int same = 0;
    for (int i = 0; i < 5; ++i) same += w.hub.side(i) == w.hub.side(3);
    EXPECT_EQ(same, 3) << seed;
    EXPECT_EQ(w.clients.leader_of(client), 3);  // clients keep it
  }
}

TEST(FaultsTest, PartHardIsARandomMajorityAndClientsForget) {
  int leader_in_minority = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    World w(seed);
    w.BelieveLeader(3);
    int client = w.TeachClient(3);
    FaultOutcome out = w.Apply(FaultType::kPartHard);
    ASSERT_EQ(out.sides.size(), 2u);
    EXPECT_EQ(out.sides[0].size(), 3u);
    EXPECT_EQ(w.clients.leader_of(client), kNoNode);
    int same = 0;
    for (int i = 0; i < 5; ++i) same += w.hub.side(i) == w.hub.side(3);
    leader_in_minority += same == 2;
  }
  // The old leader ends up on either side.
  EXPECT_GT(leader_in_minority, 5);
  EXPECT_LT(leader_in_minority, 35);
}

TEST(FaultsTest, KillLeaderWithNoLeaderKnownKillsNothing) {
  World w(1);
  FaultOutcome out = w.Apply(FaultType::kKillLeader);
  EXPECT_TRUE(out.killed.empty());
  EXPECT_FALSE(out.note.empty());
  EXPECT_EQ(w.hub.Living().size(), 5u);
  w.BelieveLeader(2);
  out = w.Apply(FaultType::kKillLeader);
  EXPECT_EQ(out.killed, (std::vector<NodeId>{2}));
  EXPECT_FALSE(w.hub.alive(2));
  // The belief still names the dead 0002: a second kill_leader kills
  // nothing more until a living leader is seen.
  out = w.Apply(FaultType::kKillLeader);
  EXPECT_TRUE(out.killed.empty());
  EXPECT_EQ(w.hub.Living().size(), 4u);
}

TEST(FaultsTest, PartEndHealsAndTimedSpikesEnd) {
  nlohmann::json config = testing::BaseConfig();
  config["events"] = {{{"type", "latency_spike"},
                       {"time", 1},
                       {"extra_us", 100},
                       {"duration", 0.5}},
                      {{"type", "part_hard"}, {"time", 1.2}}};
  World w(1, config);
  const std::vector<FaultEvent>& t = w.faults.timeline();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].type, FaultType::kLatencySpike);
  EXPECT_EQ(t[1].type, FaultType::kPartHard);
  EXPECT_EQ(t[2].type, FaultType::kLatencySpikeEnd);
  EXPECT_DOUBLE_EQ(t[2].time, 1.5);
  w.Apply(FaultType::kPartHard);
  EXPECT_TRUE(w.hub.partitioned());
  w.Apply(FaultType::kPartEnd);
  EXPECT_FALSE(w.hub.partitioned());
}

}  // namespace
}  // namespace stepwise::sim

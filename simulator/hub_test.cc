#include "simulator/hub.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "simulator/ids.h"
#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

Message Msg(NodeId src, NodeId dst, NodeId leader = kNoNode) {
  return Message{src, dst, leader, AppendEntries{}};
}

Hub HubWithHellos(const nlohmann::json& config, uint64_t seed = 1) {
  Hub hub(testing::MustParse(config), seed);
  for (int i = 0; i < hub.replicas(); ++i) {
    NodeId id = static_cast<NodeId>(i);
    EXPECT_EQ(hub.Route(id, Message{id, kNoNode, kNoNode, Hello{}}).kind,
              Routing::Kind::kHello);
  }
  return hub;
}

TEST(HubTest, HelloIsConsumedNotCounted) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  EXPECT_EQ(hub.total_messages(), 0);
  EXPECT_TRUE(hub.said_hello(4));
}

TEST(HubTest, UnicastCountsOne) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  Routing r = hub.Route(0, Msg(0, 3));
  EXPECT_EQ(r.kind, Routing::Kind::kReplicas);
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_EQ(r.copies[0].dst, 3);
  EXPECT_EQ(r.copies[0].fate, CopyFate::kDelivered);
  EXPECT_EQ(hub.total_messages(), 1);
}

TEST(HubTest, BroadcastCountsReplicasMinusOneIncludingDead) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  hub.Kill(3);
  Routing r = hub.Route(0, Msg(0, kNoNode));
  EXPECT_EQ(hub.total_messages(), 4);  // 5 - 1, the dead 0003 included
  ASSERT_EQ(r.copies.size(), 4u);
  for (const Copy& c : r.copies) {
    EXPECT_NE(c.dst, 0);
    EXPECT_EQ(c.fate,
              c.dst == 3 ? CopyFate::kDeadDestination : CopyFate::kDelivered);
  }
}

TEST(HubTest, BroadcastCopiesAreDroppedIndependently) {
  nlohmann::json config = testing::BaseConfig();
  config["drops"] = 0.5;
  Hub hub = HubWithHellos(config);
  int mixed = 0;
  for (int i = 0; i < 200; ++i) {
    Routing r = hub.Route(1, Msg(1, kNoNode));
    int delivered = 0;
    for (const Copy& c : r.copies) delivered += c.fate == CopyFate::kDelivered;
    mixed += delivered > 0 && delivered < 4;
  }
  EXPECT_EQ(hub.total_messages(), 800);
  EXPECT_GT(mixed, 100);  // all-or-nothing would give 0
  EXPECT_GT(hub.dropped(), 300);
  EXPECT_LT(hub.dropped(), 500);
}

TEST(HubTest, PartitionDropsAreCounted) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  hub.SetPartition({{0, 1, 2}, {3, 4}});
  Routing across = hub.Route(0, Msg(0, 3));
  EXPECT_EQ(across.copies[0].fate, CopyFate::kPartition);
  Routing within = hub.Route(4, Msg(4, 3));
  EXPECT_EQ(within.copies[0].fate, CopyFate::kDelivered);
  EXPECT_EQ(hub.total_messages(), 2);
  EXPECT_EQ(hub.partitioned_drops(), 1);
  hub.HealPartitions();
  EXPECT_EQ(hub.Route(0, Msg(0, 3)).copies[0].fate, CopyFate::kDelivered);
}

TEST(HubTest, OneWayPartitionBlocksOneDirection) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  hub.AddOneWay({0}, {1, 2});
  EXPECT_EQ(hub.Route(0, Msg(0, 1)).copies[0].fate, CopyFate::kOneWay);
  EXPECT_EQ(hub.Route(1, Msg(1, 0)).copies[0].fate, CopyFate::kDelivered);
  EXPECT_EQ(hub.Route(0, Msg(0, 3)).copies[0].fate, CopyFate::kDelivered);
  EXPECT_EQ(hub.total_messages(), 3);
}

TEST(HubTest, ClientTrafficIsNeverDroppedPartitionedOrCounted) {
  nlohmann::json config = testing::BaseConfig();
  config["drops"] = 1.0;
  Hub hub = HubWithHellos(config);
  hub.SetPartition({{0}, {1, 2, 3, 4}});
  for (int i = 0; i < kNumClients; ++i) {
    Message reply{0, ClientId(5, i), 0, ClientReply{ReplyKind::kOk, "m", {}}};
    Routing r = hub.Route(0, reply);
    EXPECT_EQ(r.kind, Routing::Kind::kClient);
    EXPECT_EQ(r.client, ClientId(5, i));
  }
  EXPECT_EQ(hub.total_messages(), 0);
  EXPECT_EQ(hub.dropped(), 0);
  // A replica-to-replica copy under the same conditions is dropped.
  EXPECT_EQ(hub.Route(1, Msg(1, 2)).copies[0].fate, CopyFate::kDropped);
}

TEST(HubTest, ClientIdsStartAtReplicasPlus16) {
  EXPECT_EQ(FormatNodeId(ClientId(5, 0)), "0015");
  EXPECT_EQ(FormatNodeId(ClientId(5, 7)), "001C");
  Hub hub = HubWithHellos(testing::BaseConfig());
  // 0014 and 001D are neither replicas nor clients: incorrect.
  EXPECT_EQ(hub.Route(0, Msg(0, 0x14)).kind, Routing::Kind::kIncorrect);
  EXPECT_EQ(hub.Route(0, Msg(0, 0x1D)).kind, Routing::Kind::kIncorrect);
  EXPECT_EQ(hub.incorrect().size(), 2u);
}

TEST(HubTest, LeaderBeliefComesFromLeaderFields) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  EXPECT_EQ(hub.believed_leader(), kNoNode);
  hub.Route(1, Msg(1, 2, /*leader=*/3));
  EXPECT_EQ(hub.believed_leader(), 3);
  hub.Route(1, Msg(1, 2, kNoNode));  // "unknown" keeps the belief
  EXPECT_EQ(hub.believed_leader(), 3);
  // Replies to clients carry leader fields too.
  hub.Route(2, Message{2, ClientId(5, 0), 2, ClientReply{}});
  EXPECT_EQ(hub.believed_leader(), 2);
  EXPECT_EQ(hub.leaders(), (std::vector<NodeId>{3, 2}));
}

TEST(HubTest, DuringAPartitionOnlyTheMajoritySideSetsTheBelief) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  hub.Route(0, Msg(0, 1, 0));
  hub.SetPartition({{0, 1}, {2, 3, 4}});
  hub.Route(0, Msg(0, 1, 1));  // minority side: ignored
  EXPECT_EQ(hub.believed_leader(), 0);
  hub.Route(3, Msg(3, 4, 4));  // majority side
  EXPECT_EQ(hub.believed_leader(), 4);
}

TEST(HubTest, NothingMayBeDeliveredBeforeAHello) {
  Hub hub(testing::MustParse(testing::BaseConfig()), 1);
  hub.Route(0, Message{0, kNoNode, kNoNode, Hello{}});
  // 0001 has not said hello: sending from it is incorrect...
  EXPECT_EQ(hub.Route(1, Msg(1, 0)).kind, Routing::Kind::kIncorrect);
  // ...and a datagram due to it makes the harness declare it dead.
  Routing r = hub.Route(0, Msg(0, 2));
  EXPECT_EQ(r.copies[0].fate, CopyFate::kDeadDestination);
  ASSERT_EQ(hub.died_unexpectedly().size(), 1u);
  EXPECT_EQ(hub.died_unexpectedly()[0].substr(0, 4), "0002");
  EXPECT_FALSE(hub.alive(2));
  EXPECT_FALSE(hub.CanDeliverTo(3));
  EXPECT_EQ(hub.died_unexpectedly().size(), 2u);
  EXPECT_TRUE(hub.CanDeliverTo(0));
}

TEST(HubTest, StormAboveMaxPackets) {
  nlohmann::json config = testing::BaseConfig();
  config["max_packets"] = 10;
  Hub hub = HubWithHellos(config);
  for (int i = 0; i < 10; ++i) hub.Route(0, Msg(0, 1));
  EXPECT_FALSE(hub.storm());
  hub.Route(0, Msg(0, 1));
  EXPECT_TRUE(hub.storm());
}

TEST(HubTest, DuplicationAddsUncountedCopies) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  hub.set_duplicate_probability(1.0);
  Routing r = hub.Route(0, Msg(0, 1));
  ASSERT_EQ(r.copies.size(), 2u);
  EXPECT_FALSE(r.copies[0].duplicate);
  EXPECT_TRUE(r.copies[1].duplicate);
  EXPECT_EQ(hub.total_messages(), 1);
  EXPECT_EQ(hub.duplicated(), 1);
}

TEST(HubTest, SpikeAndReorderDelayReplicaCopies) {
  Hub hub = HubWithHellos(testing::BaseConfig());
  hub.set_spike(700);
  EXPECT_EQ(hub.Route(0, Msg(0, 1)).copies[0].extra_delay, 700);
  hub.set_spike(0);
  hub.set_reorder_max(1000);
  bool varied = false;
  Micros first = hub.Route(0, Msg(0, 1)).copies[0].extra_delay;
  for (int i = 0; i < 20; ++i) {
    Micros d = hub.Route(0, Msg(0, 1)).copies[0].extra_delay;
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 1000);
    varied |= d != first;
  }
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace stepwise::sim

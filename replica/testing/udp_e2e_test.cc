// Three real replicas behind a hub that plays the harness: hello first,
// garbage survived and counted, a put and a get answered through redirects,
// every replica datagram well-formed, SIGTERM ends each with status 0.

#include <errno.h>

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replica/codec.h"
#include "replica/testing/kv_client.h"
#include "replica/testing/process_hub.h"

namespace stepwise::hub {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr NodeId kClient = 0x0013;  // replicas + 16

std::string DropCounter(DecodeError error) {
  return std::string("drop_") + DecodeErrorName(error);
}

// Garbage with the reason the replica must give for dropping it
// (kNone: a drop of some kind, the category being the codec's choice).
struct Garbage {
  std::string datagram;
  DecodeError expected;
};

std::vector<Garbage> GarbageFor(NodeId replica) {
  std::string dst = FormatNodeId(replica);
  auto request = [&](json fields) {
    json message = {{"src", "0013"}, {"dst", dst}, {"leader", "FFFF"}};
    message.update(fields);
    return message.dump();
  };
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(255 - i);
  return {
      {"", DecodeError::kEmpty},
      {binary, DecodeError::kNotJson},
      {std::string("\0\0\0\0", 4), DecodeError::kNotJson},
      {"{", DecodeError::kNotJson},
      {"{\"src\": \"0013\", \"dst\": ", DecodeError::kNotJson},
      {"not json at all", DecodeError::kNotJson},
      {"{\"src\":\"\xff\xfe\",\"dst\":\"" + dst +
           "\",\"leader\":\"FFFF\",\"type\":\"get\",\"MID\":\"m\",\"key\":"
           "\"k\"}",
       DecodeError::kNotJson},
      {"[1, 2, 3]", DecodeError::kNotObject},
      {"\"a string\"", DecodeError::kNotObject},
      {"42", DecodeError::kNotObject},
      {"null", DecodeError::kNotObject},
      {"{}", DecodeError::kMissingField},
      {request(json::object()), DecodeError::kMissingField},  // no type
      {request({{"type", "get"}}), DecodeError::kMissingField},
      {request({{"type", "put"}, {"MID", "m"}, {"key", "k"}}),
       DecodeError::kMissingField},
      {json({{"src", 19},
             {"dst", dst},
             {"leader", "FFFF"},
             {"type", "get"},
             {"MID", "m"},
             {"key", "k"}})
           .dump(),
       DecodeError::kBadField},
      {json({{"src", "00G3"},
             {"dst", dst},
             {"leader", "FFFF"},
             {"type", "get"},
             {"MID", "m"},
             {"key", "k"}})
           .dump(),
       DecodeError::kBadField},
      {json({{"src", "0013"},
             {"dst", dst},
             {"leader", "FFFFF"},
             {"type", "get"},
             {"MID", "m"},
             {"key", "k"}})
           .dump(),
       DecodeError::kBadField},
      {request({{"type", "put"}, {"MID", "m"}, {"key", "k"}, {"value", 7}}),
       DecodeError::kBadField},
      {request({{"type", "get"}, {"MID", json::array()}, {"key", "k"}}),
       DecodeError::kBadField},
      {request({{"type", "frobnicate"}, {"MID", "m"}}),
       DecodeError::kUnknownType},
      {request({{"type", ""}}), DecodeError::kUnknownType},
      {request({{"type", 5}}), DecodeError::kNone},
      // Valid JSON nested far deeper than any parser's stack should go.
      {std::string(30000, '[') + std::string(30000, ']'), DecodeError::kNone},
      {[] {
         std::string deep;
         for (int i = 0; i < 10000; ++i) deep += "{\"a\":";
         return deep + "1" + std::string(10000, '}');
       }(),
       DecodeError::kNone},
      // The largest datagram IPv4 loopback carries (65,507 bytes).
      {std::string(65507, 'x'), DecodeError::kNotJson},
  };
}

class UdpE2eTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& process : processes_) process->Terminate(milliseconds(2000));
  }

  std::string LogPath(NodeId id, const char* stream) {
    return TestOutputDir() + "/e2e-" + FormatNodeId(id) + "." + stream;
  }

  Budget budget_{milliseconds(20000)};
  std::vector<std::unique_ptr<Process>> processes_;
};

TEST_F(UdpE2eTest, ThreeReplicasServeAClientAndSurviveGarbage) {
  const std::vector<NodeId> replicas = {0x0000, 0x0001, 0x0002};
  Hub hub;
  std::string error;
  ASSERT_TRUE(hub.Open(replicas, {kClient}, &error)) << error;

  // 0000 is verbose so its counters can be checked; the others run as the
  // harness runs them and must stay silent.
  Clock::time_point spawned = Clock::now();
  for (NodeId id : replicas) {
    std::vector<std::string> argv = {
        ShimBinaryPath(), std::to_string(hub.port()), FormatNodeId(id)};
    for (NodeId peer : replicas) {
      if (peer != id) argv.push_back(FormatNodeId(peer));
    }
    if (id == 0x0000) argv.push_back("--verbose");
    processes_.push_back(std::make_unique<Process>());
    ASSERT_TRUE(processes_.back()->Start(argv, LogPath(id, "out"),
                                         LogPath(id, "err"), &error))
        << error;
  }

  ASSERT_TRUE(hub.PumpUntil(budget_.Until(milliseconds(5000)), [&] {
    return hub.AllHellosSeen();
  })) << "not every replica said hello within 5 s";
  for (NodeId id : replicas) {
    json expected = {{"src", FormatNodeId(id)},
                     {"dst", "FFFF"},
                     {"leader", "FFFF"},
                     {"type", "hello"}};
    EXPECT_EQ(json::parse(hub.first_datagrams().at(id)), expected);
  }

  // Garbage to every replica, paced so that no receive queue overflows.
  std::map<DecodeError, uint64_t> expected_drops;
  uint64_t garbage_sent = 0;
  for (NodeId id : replicas) {
    // 65,535 bytes is the protocol's limit, but IPv4 cannot carry it: the
    // kernel refuses anything over 65,507 bytes of UDP payload.
    EXPECT_EQ(hub.SendRaw(id, std::string(65535, 'x')), EMSGSIZE);
    EXPECT_EQ(hub.SendRaw(id, std::string(65508, 'x')), EMSGSIZE);
    std::vector<Garbage> garbage = GarbageFor(id);
    // Valid messages the shim must drop or ignore: a dst that is another
    // replica (also at the size limit), and a relayed hello.
    NodeId other = replicas[(id + 1) % replicas.size()];
    json misaddressed = {{"src", "0013"},    {"dst", FormatNodeId(other)},
                         {"leader", "FFFF"}, {"type", "get"},
                         {"MID", "m"},       {"key", "k"}};
    std::string small = misaddressed.dump();
    misaddressed["key"] = std::string(65507 - small.size() + 1, 'k');
    std::string hello = json({{"src", FormatNodeId(other)},
                              {"dst", "FFFF"},
                              {"leader", "FFFF"},
                              {"type", "hello"}})
                            .dump();
    for (const std::string& valid : {misaddressed.dump(), small, hello}) {
      EXPECT_EQ(hub.SendRaw(id, valid), 0) << valid.size();
      hub.PumpFor(milliseconds(2));
    }
    for (const Garbage& g : garbage) {
      EXPECT_EQ(hub.SendRaw(id, g.datagram), 0) << g.datagram.size();
      hub.PumpFor(milliseconds(2));
      if (id == 0x0000) {
        ++garbage_sent;
        ++expected_drops[g.expected];
      }
    }
  }

  // Act as client 0013: a put, following redirects, then a get.
  KvClients clients(&hub, {kClient}, /*seed=*/1);
  std::string key = clients.NewKey(kClient);
  std::string value = clients.NewValue();
  clients.StartPut(kClient, key, value);
  ASSERT_TRUE(clients.RunUntilIdle(budget_.Until(milliseconds(8000))))
      << "the put was not acknowledged within 8 s";
  EXPECT_EQ(clients.acknowledged(kClient).at(key), value);
  clients.StartGet(kClient, key);
  ASSERT_TRUE(clients.RunUntilIdle(budget_.Until(milliseconds(3000))))
      << "the get was not answered within 3 s";
  EXPECT_EQ(clients.last_get_value(kClient), value);
  // An overwrite sent to a follower on purpose: it must be redirected to
  // the leader, and the client must follow with a new MID.
  NodeId leader = clients.believed_leader(kClient);
  ASSERT_NE(leader, kNoNode);
  uint64_t redirects = clients.totals().redirects;
  std::string value2 = clients.NewValue();
  clients.StartPut(kClient, key, value2, /*target=*/(leader + 1) % 3);
  ASSERT_TRUE(clients.RunUntilIdle(budget_.Until(milliseconds(3000))))
      << "the put sent to a follower was not acknowledged within 3 s";
  EXPECT_EQ(clients.totals().redirects, redirects + 1);
  clients.StartGet(kClient, key, /*target=*/(leader + 2) % 3);
  ASSERT_TRUE(clients.RunUntilIdle(budget_.Until(milliseconds(3000))));
  EXPECT_EQ(clients.last_get_value(kClient), value2);
  clients.Linger(milliseconds(200));
  EXPECT_THAT(clients.errors(), ::testing::IsEmpty());
  EXPECT_THAT(hub.violations(), ::testing::IsEmpty());
  EXPECT_NE(hub.last_leader(), kNoNode);

  for (size_t i = 0; i < processes_.size(); ++i) {
    EXPECT_TRUE(processes_[i]->Running())
        << FormatNodeId(replicas[i]) << " died";
  }
  for (size_t i = 0; i < processes_.size(); ++i) {
    EXPECT_TRUE(processes_[i]->Terminate(budget_.Left(milliseconds(3000))))
        << FormatNodeId(replicas[i]) << " ignored SIGTERM";
    EXPECT_TRUE(processes_[i]->ExitedWith(0))
        << FormatNodeId(replicas[i]) << " wait status "
        << processes_[i]->wait_status().value_or(-1);
  }

  // Quiet by default: nothing at all from the non-verbose replicas.
  for (NodeId id : {NodeId{0x0001}, NodeId{0x0002}}) {
    EXPECT_EQ(ReadWholeFile(LogPath(id, "out")), "") << FormatNodeId(id);
    EXPECT_EQ(ReadWholeFile(LogPath(id, "err")), "") << FormatNodeId(id);
  }
  EXPECT_EQ(ReadWholeFile(LogPath(0x0000, "out")), "");
  std::string log = ReadWholeFile(LogPath(0x0000, "err"));
  std::map<std::string, uint64_t> counters = ParseShimCounters(log);
  ASSERT_FALSE(counters.empty()) << log;
  uint64_t drops = 0;
  for (int i = 1; i < kNumDecodeErrors; ++i) {
    DecodeError error = static_cast<DecodeError>(i);
    drops += counters[DropCounter(error)];
    // Categories the garbage pins down exactly are checked exactly; the
    // kNone entries may land in any of them, so allow for those.
    EXPECT_GE(counters[DropCounter(error)], expected_drops[error])
        << DropCounter(error) << "\n"
        << log;
    EXPECT_LE(counters[DropCounter(error)],
              expected_drops[error] + expected_drops[DecodeError::kNone])
        << DropCounter(error) << "\n"
        << log;
  }
  EXPECT_EQ(drops, garbage_sent) << log;
  EXPECT_EQ(counters["drop_wrong_dst"], 2u) << log;
  EXPECT_EQ(counters["hellos_ignored"], 1u) << log;
  EXPECT_EQ(counters["exceptions"], 0u) << log;

  ASSERT_TRUE(hub.first_leader_seen().has_value());
  std::cout << "time to first leader field: "
            << std::chrono::duration_cast<milliseconds>(
                   *hub.first_leader_seen() - spawned)
                   .count()
            << " ms after spawn\n"
            << "client replies: " << Summarize(clients.totals().reply_micros)
            << "\noperations: " << Summarize(clients.totals().operation_micros)
            << "\nredirects: " << clients.totals().redirects
            << ", replica messages: " << hub.stats().from_replicas << "\n";
}

}  // namespace
}  // namespace stepwise::hub

#include "analysis/run_stats.h"

#include <string>

#include "analysis/testing/trace_text.h"
#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

TEST(PercentilesTest, NearestRankOfOneToHundred) {
  std::vector<int64_t> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // unsorted on purpose
  Percentiles p = ComputePercentiles(v);
  EXPECT_EQ(p.count, 100);
  EXPECT_EQ(p.p50, 50);
  EXPECT_EQ(p.p90, 90);
  EXPECT_EQ(p.p99, 99);
  EXPECT_EQ(p.max, 100);
}

TEST(PercentilesTest, NearestRankOfASmallList) {
  // n = 5: p50 -> rank ceil(2.5) = 3, p90 -> ceil(4.5) = 5, p99 -> 5.
  Percentiles p = ComputePercentiles({40, 10, 30, 20, 1000});
  EXPECT_EQ(p.p50, 30);
  EXPECT_EQ(p.p90, 1000);
  EXPECT_EQ(p.p99, 1000);
  EXPECT_EQ(p.max, 1000);
  // n = 4: p50 -> rank 2 (the lower middle value, never an average).
  EXPECT_EQ(ComputePercentiles({1, 2, 3, 4}).p50, 2);
  EXPECT_EQ(ComputePercentiles({7}).p99, 7);
  EXPECT_EQ(ComputePercentiles({}).count, 0);
}

std::string Request(int64_t t, const std::string& type, const std::string& mid,
                    const std::string& dst = "0001") {
  return "{\"t\":" + std::to_string(t) +
         ",\"ev\":\"request\",\"src\":\"0013\",\"dst\":\"" + dst +
         "\",\"leader\":\"FFFF\",\"type\":\"" + type + "\",\"mid\":\"" + mid +
         "\",\"key\":\"k\"" + (type == "put" ? ",\"value\":\"v\"" : "") +
         ",\"retry\":false}\n";
}

std::string Reply(int64_t t, const std::string& verdict, const std::string& mid,
                  int64_t latency) {
  std::string type = verdict == "duplicate" ? "ok" : verdict;
  return "{\"t\":" + std::to_string(t) +
         ",\"ev\":\"reply\",\"src\":\"0001\",\"dst\":\"0013\",\"leader\":"
         "\"0001\",\"type\":\"" +
         type + "\",\"mid\":\"" + mid + "\",\"verdict\":\"" + verdict +
         "\",\"latency_us\":" + std::to_string(latency) + "}\n";
}

std::string Route(int64_t t, const std::string& type, const std::string& fate) {
  std::string body = type == "vote"
                         ? ",\"term\":1,\"last_index\":0,\"last_term\":0,"
                           "\"pre_vote\":false"
                         : ",\"term\":1,\"prev_index\":0,\"prev_term\":0,"
                           "\"entries\":0,\"commit\":0";
  return "{\"t\":" + std::to_string(t) +
         ",\"ev\":\"route\",\"src\":\"0000\",\"dst\":\"0001\",\"leader\":"
         "\"0000\",\"type\":\"" +
         type + "\"" + body + ",\"to\":\"0001\",\"fate\":\"" + fate +
         "\",\"duplicate\":false,\"extra_us\":0}\n";
}

TEST(RunStatsTest, RepliesAndLatenciesByRequestType) {
  RunStats s = ComputeRunStats(ReadTraceText(
      Request(100, "get", "G1") + Reply(400, "ok", "G1", 300) +
      Request(500, "get", "G2") + Reply(510, "redirect", "G2", 10) +
      Request(600, "put", "P1") + Reply(700, "ok", "P1", 100) +
      Reply(900, "duplicate", "P1", 300) + Request(1000, "put", "P2") +
      Request(1100, "put", "P3") + Reply(1150, "fail", "P3", 50)));
  ASSERT_EQ(s.requests.size(), 5u);
  EXPECT_EQ(s.requests[0].outcome, Outcome::kOk);
  EXPECT_EQ(s.requests[1].outcome, Outcome::kRedirect);
  EXPECT_EQ(s.requests[2].latency_us, 100);  // the duplicate changes nothing
  EXPECT_EQ(s.requests[3].outcome, Outcome::kUnanswered);
  EXPECT_EQ(s.requests[4].outcome, Outcome::kFail);
  EXPECT_EQ(s.verdicts["ok"], 2);
  EXPECT_EQ(s.verdicts["duplicate"], 1);
  EXPECT_EQ(s.outcomes["unanswered"], 1);
  EXPECT_EQ(s.get_latencies, (std::vector<int64_t>{10, 300}));
  EXPECT_EQ(s.put_latencies, (std::vector<int64_t>{50, 100}));
  EXPECT_EQ(s.get_latency.p50, 10);
  EXPECT_EQ(s.get_latency.max, 300);
  EXPECT_EQ(s.put_latency.p90, 100);
  EXPECT_EQ(s.all_latency.count, 4);
  EXPECT_EQ(s.all_latency.p50, 50);  // 10 50 100 300: rank 2
}

TEST(RunStatsTest, MessagesPerSecondAndDropPeriods) {
  RunStats s = ComputeRunStats(ReadTraceText(
      Route(10, "vote", "delivered") + Route(20, "append", "delivered") +
      Route(30, "append", "dropped") + Route(1'500'000, "append", "partition") +
      Route(2'100'000, "append", "dropped") +
      Route(3'900'000, "append", "dropped") +
      "{\"t\":4000000,\"ev\":\"end\",\"storm\":false,\"total_messages\":6,"
      "\"unanswered_gets\":0,\"unanswered_puts\":0}\n"));
  EXPECT_EQ(s.seconds, 4);
  EXPECT_EQ(s.messages_per_second["vote"], (std::vector<int64_t>{1, 0, 0, 0}));
  EXPECT_EQ(s.messages_per_second["append"],
            (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_EQ(s.fates["dropped"], 3);
  EXPECT_EQ(s.fates["partition"], 1);
  ASSERT_EQ(s.drop_periods.size(), 2u);
  EXPECT_EQ(s.drop_periods[0].start, 0);
  EXPECT_EQ(s.drop_periods[0].end, 1'000'000);
  EXPECT_EQ(s.drop_periods[0].dropped, 1);
  EXPECT_EQ(s.drop_periods[0].routed, 3);
  EXPECT_EQ(s.drop_periods[1].start, 2'000'000);
  EXPECT_EQ(s.drop_periods[1].end, 4'000'000);
  EXPECT_EQ(s.drop_periods[1].dropped, 2);
  EXPECT_TRUE(s.has_end);
  EXPECT_EQ(s.total_messages, 6);
}

TEST(RunStatsTest, RolesLeadersKillsAndPartitions) {
  RunStats s = ComputeRunStats(ReadTraceText(
      "{\"t\":0,\"ev\":\"run\",\"scenario\":\"x.json\",\"seed\":3,"
      "\"replicas\":3,\"requests\":0}\n"
      "{\"t\":0,\"ev\":\"start\",\"replica\":\"0000\"}\n"
      "{\"t\":5,\"ev\":\"start\",\"replica\":\"0001\"}\n"
      "{\"t\":5,\"ev\":\"start\",\"replica\":\"0002\"}\n"
      "{\"t\":10,\"ev\":\"role\",\"replica\":\"0000\",\"role\":\"candidate\","
      "\"term\":1}\n"
      "{\"t\":20,\"ev\":\"role\",\"replica\":\"0000\",\"role\":\"leader\","
      "\"term\":1}\n"
      "{\"t\":30,\"ev\":\"fault\",\"kind\":\"part_hard\",\"side0\":\"0001 "
      "0002\",\"side1\":\"0000\"}\n"
      "{\"t\":40,\"ev\":\"role\",\"replica\":\"0001\",\"role\":\"leader\","
      "\"term\":2}\n"
      "{\"t\":50,\"ev\":\"fault\",\"kind\":\"part_end\"}\n"
      "{\"t\":60,\"ev\":\"fault\",\"kind\":\"kill_leader\",\"killed\":"
      "\"0001\"}\n"
      "{\"t\":70,\"ev\":\"crash\",\"replica\":\"0002\",\"what\":\"boom\"}\n"
      "{\"t\":100,\"ev\":\"end\",\"storm\":false,\"total_messages\":0,"
      "\"unanswered_gets\":0,\"unanswered_puts\":0}\n"));
  EXPECT_EQ(s.scenario, "x.json");
  EXPECT_EQ(s.seed, 3);
  ASSERT_EQ(s.roles.size(), 3u);
  const auto& r0 = s.roles[0];
  ASSERT_EQ(r0.size(), 3u);
  EXPECT_EQ(r0[0].role, "follower");
  EXPECT_EQ(r0[0].end, 10);
  EXPECT_EQ(r0[1].role, "candidate");
  EXPECT_EQ(r0[2].role, "leader");
  EXPECT_EQ(r0[2].start, 20);
  EXPECT_EQ(r0[2].end, 100);
  const auto& r1 = s.roles[1];
  ASSERT_EQ(r1.size(), 4u);
  EXPECT_EQ(r1[0].role, "down");
  EXPECT_EQ(r1[0].end, 5);
  EXPECT_EQ(r1[2].role, "leader");
  EXPECT_EQ(r1[2].term, 2);
  EXPECT_EQ(r1[3].role, "dead");
  EXPECT_EQ(r1[3].start, 60);
  EXPECT_EQ(s.roles[2].back().role, "dead");
  EXPECT_EQ(s.roles[2].back().start, 70);
  ASSERT_EQ(s.elections.size(), 2u);
  EXPECT_EQ(s.elections[1].replica, 1);
  EXPECT_EQ(s.elections[1].term, 2);
  ASSERT_EQ(s.kills.size(), 2u);
  EXPECT_EQ(s.kills[0].how, "kill_leader");
  EXPECT_EQ(s.kills[1].how, "crash");
  ASSERT_EQ(s.partitions.size(), 1u);
  EXPECT_EQ(s.partitions[0].start, 30);
  EXPECT_EQ(s.partitions[0].end, 50);
  EXPECT_EQ(s.partitions[0].sides[1], (std::vector<Node>{0}));
}

TEST(RunStatsTest, AnUnhealedPartitionLastsToTheEnd) {
  RunStats s = ComputeRunStats(ReadTraceText(
      "{\"t\":30,\"ev\":\"fault\",\"kind\":\"part_easy\",\"side0\":\"0000\","
      "\"side1\":\"0001\"}\n"
      "{\"t\":80,\"ev\":\"timer\",\"replica\":\"0000\"}\n"));
  ASSERT_EQ(s.partitions.size(), 1u);
  EXPECT_EQ(s.partitions[0].end, 80);
  EXPECT_FALSE(s.has_end);
}

// A live trace: no role events, no replica count; roles come from what the
// replicas send.
TEST(RunStatsTest, LiveTraceRolesAreInferredFromMessages) {
  auto route = [](int64_t t, const std::string& src, const std::string& leader,
                  const std::string& type, int term, bool pre_vote = false) {
    std::string body =
        type == "vote" ? ",\"term\":" + std::to_string(term) +
                             ",\"last_index\":0,\"last_term\":0,\"pre_vote\":" +
                             (pre_vote ? "true" : "false")
                       : ",\"term\":" + std::to_string(term) +
                             ",\"prev_index\":0,\"prev_term\":0,\"entries\":0,"
                             "\"commit\":0";
    return "{\"t\":" + std::to_string(t) + ",\"ev\":\"route\",\"src\":\"" +
           src + "\",\"dst\":\"FFFF\",\"leader\":\"" + leader +
           "\",\"type\":\"" + type + "\"" + body +
           ",\"to\":\"0000\",\"fate\":\"delivered\",\"duplicate\":false,"
           "\"extra_us\":0}\n";
  };
  RunStats s = ComputeRunStats(ReadTraceText(
      "{\"t\":0,\"ev\":\"run\",\"scenario\":\"s\",\"seed\":1,\"binary\":"
      "\"b\",\"logs\":\"l\"}\n"
      "{\"t\":1,\"ev\":\"start\",\"replica\":\"0000\"}\n"
      "{\"t\":2,\"ev\":\"start\",\"replica\":\"0001\"}\n" +
      route(10, "0001", "FFFF", "vote", 1, /*pre_vote=*/true) +
      route(20, "0001", "FFFF", "vote", 1) +
      route(30, "0001", "0001", "append", 1) +
      route(31, "0001", "0001", "append", 1) +  // no change
      route(40, "0000", "0001", "append", 1) +  // odd, but a follower
      Request(50, "get", "G1") + Request(60, "put", "P1") +
      Request(70, "put", "P2") + Reply(80, "ok", "P2", 10) +
      "{\"t\":90,\"ev\":\"end\",\"storm\":false,\"total_messages\":5}\n"));
  EXPECT_TRUE(s.live);
  EXPECT_EQ(s.replicas, 2);
  EXPECT_EQ(s.requests_planned, -1);
  EXPECT_TRUE(s.roles_inferred);
  ASSERT_EQ(s.roles.size(), 2u);
  const std::vector<RoleInterval>& r1 = s.roles[1];
  ASSERT_EQ(r1.size(), 5u);
  EXPECT_EQ(r1[0].role, "down");
  EXPECT_EQ(r1[1].role, "follower");
  EXPECT_EQ(r1[2].role, "precandidate");
  EXPECT_EQ(r1[2].term, 0);  // a pre-vote does not take the term
  EXPECT_EQ(r1[3].role, "candidate");
  EXPECT_EQ(r1[3].start, 20);
  EXPECT_EQ(r1[4].role, "leader");
  EXPECT_EQ(r1[4].start, 30);
  EXPECT_EQ(r1[4].end, 90);
  ASSERT_EQ(s.elections.size(), 1u);
  EXPECT_EQ(s.elections[0].replica, 1);
  EXPECT_EQ(s.elections[0].term, 1);
  EXPECT_EQ(s.roles[0].back().role, "follower");
  EXPECT_EQ(s.roles[0].back().term, 1);
  // The end event has no unanswered counts: counted from the requests.
  EXPECT_EQ(s.unanswered_gets, 1);
  EXPECT_EQ(s.unanswered_puts, 1);
}

TEST(RunStatsTest, RoleEventsWinOverInference) {
  RunStats s = ComputeRunStats(ReadTraceText(
      "{\"t\":0,\"ev\":\"run\",\"scenario\":\"s\",\"seed\":1,"
      "\"replicas\":1,\"requests\":0}\n"
      "{\"t\":1,\"ev\":\"start\",\"replica\":\"0000\"}\n"
      "{\"t\":5,\"ev\":\"role\",\"replica\":\"0000\",\"role\":\"leader\","
      "\"term\":3}\n" +
      Route(6, "vote", "delivered")));
  EXPECT_FALSE(s.live);
  EXPECT_FALSE(s.roles_inferred);
  EXPECT_EQ(s.roles[0].back().role, "leader");
  EXPECT_EQ(s.roles[0].back().term, 3);
}

}  // namespace
}  // namespace stepwise::analysis

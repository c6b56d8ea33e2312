#include "analysis/trace_history.h"

#include <string>

#include "analysis/testing/trace_text.h"
#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

std::string Get(int64_t t, const std::string& mid, const std::string& key,
                bool retry = false, const std::string& client = "0015") {
  return "{\"t\":" + std::to_string(t) + ",\"ev\":\"request\",\"src\":\"" +
         client +
         "\",\"dst\":\"0001\",\"leader\":\"FFFF\",\"type\":\"get\",\"mid\":\"" +
         mid + "\",\"key\":\"" + key +
         "\",\"retry\":" + (retry ? "true" : "false") + "}\n";
}

std::string Put(int64_t t, const std::string& mid, const std::string& key,
                const std::string& value, bool retry = false) {
  return "{\"t\":" + std::to_string(t) +
         ",\"ev\":\"request\",\"src\":\"0015\",\"dst\":\"0001\",\"leader\":"
         "\"FFFF\",\"type\":\"put\",\"mid\":\"" +
         mid + "\",\"key\":\"" + key + "\",\"value\":\"" + value +
         "\",\"retry\":" + (retry ? "true" : "false") + "}\n";
}

// `value`: "-" for none.
std::string Reply(int64_t t, const std::string& type, const std::string& mid,
                  const std::string& value = "-",
                  const std::string& verdict = "",
                  const std::string& client = "0015") {
  return "{\"t\":" + std::to_string(t) +
         ",\"ev\":\"reply\",\"src\":\"0001\",\"dst\":\"" + client +
         "\",\"leader\":\"0001\",\"type\":\"" + type + "\",\"mid\":\"" + mid +
         "\"" + (value == "-" ? "" : ",\"value\":\"" + value + "\"") +
         ",\"verdict\":\"" + (verdict.empty() ? type : verdict) +
         "\",\"latency_us\":1}\n";
}

const Operation* Find(const TraceHistory& h, uint64_t id) {
  for (const Operation& op : h.history.operations) {
    if (op.id == id) return &op;
  }
  return nullptr;
}

TEST(TraceHistoryTest, OkPutsAndGetsWithTheirValues) {
  TraceHistory h = BuildTraceHistory(
      ReadTraceText(Put(100, "P1", "k", "v1") + Reply(300, "ok", "P1") +
                    Get(400, "G1", "k") + Reply(450, "ok", "G1", "v1") +
                    Get(500, "G2", "absent") + Reply(520, "ok", "G2")));
  ASSERT_EQ(h.history.operations.size(), 3u);
  EXPECT_EQ(h.mids, (std::vector<std::string>{"P1", "G1", "G2"}));
  const Operation& put = h.history.operations[0];
  EXPECT_EQ(put.id, 0u);
  EXPECT_EQ(put.kind, Operation::Kind::kPut);
  EXPECT_EQ(put.client, 0x15);
  EXPECT_EQ(put.key, "k");
  EXPECT_EQ(put.value, "v1");
  EXPECT_EQ(put.invoke, 100);
  EXPECT_EQ(put.complete, 300);
  EXPECT_EQ(put.outcome, Operation::Outcome::kOk);
  const Operation& get = h.history.operations[1];
  EXPECT_EQ(get.kind, Operation::Kind::kGet);
  EXPECT_EQ(get.value, "v1");
  EXPECT_EQ(get.complete, 450);
  // An ok without a value: the key was absent.
  EXPECT_EQ(h.history.operations[2].value, "");
  EXPECT_EQ(h.history.operations[2].outcome, Operation::Outcome::kOk);
  EXPECT_EQ(h.puts_ok, 1);
  EXPECT_EQ(h.gets_ok, 2);
  EXPECT_EQ(h.end_t, 520);
  EXPECT_EQ(ValidateHistory(h.history), "");
}

TEST(TraceHistoryTest, FailedRedirectedAndUnansweredPutsAreUnknown) {
  TraceHistory h = BuildTraceHistory(ReadTraceText(
      Put(100, "P1", "k", "v1") + Reply(200, "redirect", "P1") +
      Put(200, "P2", "k", "v1", /*retry=*/true) + Reply(300, "fail", "P2") +
      Put(300, "P3", "k", "v1", /*retry=*/true) +
      Reply(400, "ok", "P3")  // the retry's ok: P3 only
      + Put(500, "P4", "k", "v2")));
  ASSERT_EQ(h.history.operations.size(), 4u);
  const Operation* p1 = Find(h, 0);
  const Operation* p2 = Find(h, 1);
  const Operation* p3 = Find(h, 2);
  const Operation* p4 = Find(h, 3);
  ASSERT_TRUE(p1 && p2 && p3 && p4);
  EXPECT_EQ(p1->outcome, Operation::Outcome::kUnknown);
  EXPECT_EQ(p1->complete, 200);
  EXPECT_EQ(p2->outcome, Operation::Outcome::kUnknown);
  EXPECT_EQ(p2->complete, 300);
  EXPECT_EQ(p3->outcome, Operation::Outcome::kOk);
  EXPECT_EQ(p3->value, "v1");
  EXPECT_EQ(p4->outcome, Operation::Outcome::kUnknown);
  EXPECT_EQ(p4->complete, kNever);
  EXPECT_EQ(h.puts_unknown, 3);
  EXPECT_EQ(h.puts_ok, 1);
}

TEST(TraceHistoryTest, GetsWithoutAnOkAreLeftOut) {
  TraceHistory h = BuildTraceHistory(ReadTraceText(
      Get(100, "G1", "k") + Reply(200, "redirect", "G1") +
      Get(200, "G2", "k", /*retry=*/true) + Reply(300, "fail", "G2") +
      Get(300, "G3", "k", /*retry=*/true) + Get(400, "G4", "k")));
  EXPECT_TRUE(h.history.operations.empty());
  EXPECT_EQ(h.gets_left_out, 4);
  // Every request still has its id.
  EXPECT_EQ(h.mids.size(), 4u);
}

TEST(TraceHistoryTest, OnlyTheFirstReplyAtTheAskingClientCounts) {
  TraceHistory h = BuildTraceHistory(ReadTraceText(
      Get(100, "G1", "k") +
      // To another client: the asker never sees it.
      Reply(150, "ok", "G1", "x", "incorrect", "0016") +
      Reply(200, "ok", "G1", "v") + Reply(300, "ok", "G1", "w", "duplicate") +
      Get(400, "G2", "k") + Reply(450, "redirect", "G2") +
      Reply(460, "ok", "G2", "v", "incorrect") +
      // Unknown MIDs and non-reply types answer nothing.
      Reply(470, "ok", "NOPE", "v") + Get(480, "G3", "k") +
      Reply(490, "hello", "G3")));
  ASSERT_EQ(h.history.operations.size(), 1u);
  EXPECT_EQ(h.history.operations[0].value, "v");
  EXPECT_EQ(h.history.operations[0].complete, 200);
  EXPECT_EQ(h.gets_left_out, 2);
}

TEST(TraceHistoryTest, AWrongValueIsKeptForTheChecker) {
  // The client's check calls it incorrect; the history keeps what was read.
  TraceHistory h = BuildTraceHistory(ReadTraceText(
      Get(100, "G1", "k") + Reply(200, "ok", "G1", "stale", "incorrect")));
  ASSERT_EQ(h.history.operations.size(), 1u);
  EXPECT_EQ(h.history.operations[0].value, "stale");
  EXPECT_EQ(h.history.operations[0].outcome, Operation::Outcome::kOk);
}

TEST(TraceHistoryTest, RequestsToADeadReplicaNeverHappened) {
  const std::string put = Put(100, "P1", "k", "v");
  std::string lost = put;
  lost.replace(lost.find("\"request\""), 9, "\"request_lost\"");
  lost.replace(lost.find(",\"retry\":false"), 14, "");
  TraceHistory h = BuildTraceHistory(ReadTraceText(put + lost));
  EXPECT_TRUE(h.history.operations.empty());
  EXPECT_EQ(h.lost, 1);
}

}  // namespace
}  // namespace stepwise::analysis

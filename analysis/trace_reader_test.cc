#include "analysis/trace_reader.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

ReadResult Read(const std::string& text) {
  std::istringstream in(text);
  return ReadTrace(in, "run.jsonl");
}

constexpr char kGood[] =
    R"({"t":0,"ev":"run","scenario":"s.json","seed":7,"replicas":3,"requests":2})"
    "\n"
    R"({"t":0,"ev":"start","replica":"0000"})"
    "\n"
    R"({"t":10,"ev":"role","replica":"0001","role":"leader","term":2})"
    "\n"
    R"({"t":20,"ev":"request","src":"0013","dst":"0001","leader":"FFFF","type":"put","mid":"M1","key":"k","value":"v","retry":false})"
    "\n"
    R"({"t":25,"ev":"route","src":"0001","dst":"FFFF","leader":"0001","type":"append","term":2,"prev_index":0,"prev_term":0,"entries":1,"commit":0,"to":"0002","fate":"dropped","duplicate":false,"extra_us":0})"
    "\n"
    R"({"t":30,"ev":"reply","src":"0001","dst":"0013","leader":"0001","type":"ok","mid":"M1","verdict":"ok","latency_us":10})"
    "\n"
    R"({"t":40,"ev":"fault","kind":"part_hard","side0":"0000 0001","side1":"0002"})"
    "\n"
    R"({"t":50,"ev":"fault","kind":"kill_leader","killed":"0001"})"
    "\n"
    R"({"t":60,"ev":"end","storm":false,"total_messages":5,"unanswered_gets":0,"unanswered_puts":1})"
    "\n";

TEST(TraceReaderTest, ReadsEveryFieldTheReportUses) {
  ReadResult r = Read(kGood);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.events.size(), 9u);
  const TraceEvent& run = r.events[0];
  EXPECT_EQ(run.kind, EventKind::kRun);
  EXPECT_EQ(run.scenario, "s.json");
  EXPECT_EQ(run.seed, 7);
  EXPECT_EQ(run.replicas, 3);
  const TraceEvent& role = r.events[2];
  EXPECT_EQ(role.line, 3);
  EXPECT_EQ(role.replica, 1);
  EXPECT_EQ(role.role, "leader");
  EXPECT_EQ(role.term, 2);
  const TraceEvent& req = r.events[3];
  EXPECT_EQ(req.msg.src, 0x13);
  EXPECT_EQ(req.msg.dst, 1);
  EXPECT_EQ(req.msg.leader, kNone);
  EXPECT_EQ(req.msg.type, "put");
  EXPECT_EQ(req.msg.mid, "M1");
  const TraceEvent& route = r.events[4];
  EXPECT_EQ(route.to, 2);
  EXPECT_EQ(route.fate, "dropped");
  EXPECT_EQ(route.msg.term, 2);
  const TraceEvent& reply = r.events[5];
  EXPECT_EQ(reply.verdict, "ok");
  EXPECT_EQ(reply.latency_us, 10);
  const TraceEvent& part = r.events[6];
  ASSERT_EQ(part.sides.size(), 2u);
  EXPECT_EQ(part.sides[0], (std::vector<Node>{0, 1}));
  EXPECT_EQ(part.sides[1], (std::vector<Node>{2}));
  EXPECT_EQ(r.events[7].killed, (std::vector<Node>{1}));
  const TraceEvent& end = r.events[8];
  EXPECT_EQ(end.t, 60);
  EXPECT_EQ(end.total_messages, 5);
  EXPECT_EQ(end.unanswered_puts, 1);
}

TEST(TraceReaderTest, KeepsEveryRepeatedKilledKey) {
  ReadResult r = Read(
      R"({"t":5,"ev":"fault","kind":"kill","killed":"0001","killed":"0003"})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.events[0].killed, (std::vector<Node>{1, 3}));
}

TEST(TraceReaderTest, ReadsASafetyViolation) {
  ReadResult r = Read(
      R"({"t":9,"ev":"violation","replica":"0002","property":"log_matching","detail":"index 4"})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.events[0].kind, EventKind::kViolation);
  EXPECT_EQ(r.events[0].replica, 2);
  EXPECT_EQ(r.events[0].what, "log_matching");
  EXPECT_EQ(r.events[0].note, "index 4");
}

TEST(TraceReaderTest, KeepsKeysAndValues) {
  ReadResult r = Read(
      R"({"t":1,"ev":"request","src":"0015","dst":"0000","leader":"FFFF","type":"put","mid":"M","key":"k","value":"v","retry":false})"
      "\n"
      R"({"t":2,"ev":"reply","src":"0000","dst":"0015","leader":"0000","type":"ok","mid":"G","value":"","verdict":"ok","latency_us":1})"
      "\n"
      R"({"t":3,"ev":"reply","src":"0000","dst":"0015","leader":"0000","type":"ok","mid":"P","verdict":"ok","latency_us":1})"
      "\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.events[0].msg.key, "k");
  EXPECT_EQ(r.events[0].msg.value, "v");
  EXPECT_TRUE(r.events[0].msg.has_value);
  EXPECT_TRUE(r.events[1].msg.has_value);  // an empty value is a value
  EXPECT_EQ(r.events[1].msg.value, "");
  EXPECT_FALSE(r.events[2].msg.has_value);
}

TEST(TraceReaderTest, ReadsLiveModeLines) {
  ReadResult r = Read(
      R"({"t":0,"ev":"run","scenario":"s.json","seed":1,"binary":"/x/3700kvstore","logs":"/tmp/l"})"
      "\n"
      R"({"t":5,"ev":"incorrect","why":"unreadable datagram from 0001: not JSON"})"
      "\n"
      R"({"t":9,"ev":"end","storm":false,"total_messages":455})"
      "\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.events[0].replicas, -1);
  EXPECT_EQ(r.events[0].requests, -1);
  EXPECT_EQ(r.events[0].binary, "/x/3700kvstore");
  EXPECT_FALSE(r.events[1].has_msg);
  EXPECT_EQ(r.events[1].why, "unreadable datagram from 0001: not JSON");
  EXPECT_EQ(r.events[2].total_messages, 455);
  EXPECT_EQ(r.events[2].unanswered_gets, -1);
}

TEST(TraceReaderTest, StreamsEventsInOrderAndStopsAtTheFirstError) {
  std::istringstream in(
      "{\"t\":1,\"ev\":\"timer\",\"replica\":\"0000\"}\n"
      "{\"t\":2,\"ev\":\"timer\",\"replica\":\"0001\"}\n"
      "{\"t\":3,\"ev\":\"timer\"}\n"
      "{\"t\":4,\"ev\":\"timer\",\"replica\":\"0002\"}\n");
  std::vector<int> seen;
  EXPECT_EQ(ForEachTraceEvent(
                in, "x.jsonl",
                [&](const TraceEvent& e) { seen.push_back(e.replica); }),
            "x.jsonl:3: field \"replica\": missing");
  EXPECT_EQ(seen, (std::vector<int>{0, 1}));
}

TEST(TraceReaderTest, ToleratesBlankLinesAndCrLf) {
  ReadResult r = Read("{\"t\":1,\"ev\":\"timer\",\"replica\":\"0000\"}\r\n\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.events.size(), 1u);
}

struct BadCase {
  std::string text;
  std::string error;
};

class BadTraceTest : public testing::TestWithParam<BadCase> {};

TEST_P(BadTraceTest, NamesTheLineAndTheProblem) {
  ReadResult r = Read(GetParam().text);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, GetParam().error);
  EXPECT_TRUE(r.events.empty());
}

const char kLine1[] = "{\"t\":0,\"ev\":\"start\",\"replica\":\"0000\"}\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, BadTraceTest,
    testing::Values(
        BadCase{
            std::string(kLine1) + "{\"t\":1,\"ev\":\"tim",
            "run.jsonl:2: not valid JSON: unexpected end (truncated line?)"},
        BadCase{std::string(kLine1) + kLine1 +
                    "{\"t\":\"5\",\"ev\":\"timer\",\"replica\":\"0000\"}\n",
                "run.jsonl:3: field \"t\": expected integer"},
        BadCase{"{\"t\":1.5,\"ev\":\"timer\",\"replica\":\"0000\"}",
                "run.jsonl:1: field \"t\": expected integer"},
        BadCase{"{\"ev\":\"timer\",\"replica\":\"0000\"}",
                "run.jsonl:1: field \"t\": missing"},
        BadCase{"{\"t\":1,\"ev\":\"teleport\"}",
                "run.jsonl:1: unknown event kind \"teleport\""},
        BadCase{"[1,2]", "run.jsonl:1: expected a JSON object"},
        BadCase{"{\"t\":1,\"ev\":\"timer\",\"replica\":\"00G0\"}",
                "run.jsonl:1: field \"replica\": expected a node id (4 hex "
                "digits)"},
        BadCase{"{\"t\":1,\"ev\":\"role\",\"replica\":\"0000\",\"role\":"
                "\"leader\",\"term\":true}",
                "run.jsonl:1: field \"term\": expected integer"},
        BadCase{"{\"t\":1,\"ev\":\"reply\",\"src\":\"0000\",\"dst\":\"0013\","
                "\"leader\":\"0000\",\"type\":\"ok\",\"mid\":\"M\","
                "\"verdict\":\"ok\"}",
                "run.jsonl:1: field \"latency_us\": missing"},
        BadCase{"{\"t\":1,\"ev\":\"route\",\"src\":\"0000\",\"dst\":\"0001\","
                "\"leader\":\"0000\",\"type\":\"vote\",\"term\":1,"
                "\"last_index\":0,\"last_term\":0,\"pre_vote\":1,\"to\":"
                "\"0001\",\"fate\":\"delivered\",\"duplicate\":false,"
                "\"extra_us\":0}",
                "run.jsonl:1: field \"pre_vote\": expected boolean"},
        BadCase{"{\"t\":1,\"ev\":\"fault\",\"kind\":\"part_hard\",\"side0\":"
                "\"0000,0001\"}",
                "run.jsonl:1: field \"side0\": expected node ids separated by "
                "spaces"},
        BadCase{"{\"t\":18446744073709551615,\"ev\":\"timer\",\"replica\":"
                "\"0000\"}",
                "run.jsonl:1: field \"t\": integer out of range"},
        BadCase{"{\"t\":5,\"ev\":\"timer\",\"replica\":\"0000\"}\n"
                "{\"t\":4,\"ev\":\"timer\",\"replica\":\"0000\"}",
                "run.jsonl:2: field \"t\": time goes backwards (4 after 5)"},
        BadCase{"", "run.jsonl: no events (empty trace)"}));

TEST(TraceReaderTest, MissingFileIsAnError) {
  ReadResult r = ReadTraceFile("/nonexistent/run.jsonl");
  EXPECT_EQ(r.error, "/nonexistent/run.jsonl: cannot open");
}

}  // namespace
}  // namespace stepwise::analysis

#include "replica/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "replica/replica.h"

namespace stepwise {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

// Every field of each body, for structural comparison: comparing re-encoded
// strings would miss a field that the encoder drops.
auto Fields(const Hello&) { return std::tuple<>(); }
auto Fields(const GetRequest& m) { return std::tie(m.mid, m.key); }
auto Fields(const PutRequest& m) { return std::tie(m.mid, m.key, m.value); }
auto Fields(const ClientReply& m) { return std::tie(m.kind, m.mid, m.value); }
auto Fields(const VoteRequest& m) {
  return std::tie(m.term, m.last_log_index, m.last_log_term, m.pre_vote);
}
auto Fields(const VoteReply& m) {
  return std::tie(m.term, m.granted, m.pre_vote, m.log_ahead, m.last_log_index,
                  m.last_log_term);
}
auto Fields(const AppendEntries& m) {
  return std::tie(m.term, m.prev_index, m.prev_term, m.entries, m.commit,
                  m.sent_at, m.answerers, m.relay, m.via, m.stored_by,
                  m.confirmed, m.ack_delay, m.quiet_for, m.idle);
}
auto Fields(const AppendReply& m) {
  return std::tie(m.term, m.success, m.match_index, m.conflict_term,
                  m.conflict_index, m.sent_at, m.via, m.via_match, m.commit,
                  m.via_commit, m.chain_received, m.link_arrived, m.link_lost);
}

// Fields that may be left out (they then take their default).
bool Optional(const std::string& name) {
  for (const char* optional :
       {"relay", "via", "stored_by", "confirmed", "ack_delay", "quiet_for",
        "idle", "via_match", "via_commit", "answerer", "log_ahead",
        "chain_received", "link_arrived", "link_lost", "get", "seq"}) {
    if (name == optional) return true;
  }
  return false;
}

bool SameMessage(const Message& a, const Message& b) {
  if (a.src != b.src || a.dst != b.dst || a.leader != b.leader ||
      a.seq != b.seq || a.body.index() != b.body.index()) {
    return false;
  }
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return Fields(x) == Fields(std::get<T>(b.body));
      },
      a.body);
}

Message Make(NodeId src, NodeId dst, NodeId leader, MessageBody body) {
  Message m;
  m.src = src;
  m.dst = dst;
  m.leader = leader;
  m.body = std::move(body);
  return m;
}

// One message of every type (and both shapes of ok), every field set to a
// non-default value so that a dropped field cannot go unnoticed.
std::vector<Message> Samples() {
  AppendEntries append;
  append.term = 7;
  append.prev_index = 41;
  append.prev_term = 6;
  append.commit = 40;
  append.sent_at = -123456789;  // signed: the driver's clock may start < 0
  append.entries = {
      LogEntry{7, "", "", kNoNode, ""},  // a no-op
      LogEntry{7, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk1",
               "0123456789abcdef0123456789abcdef", 0x0015, "MID0000000000001"},
      LogEntry{std::numeric_limits<Term>::max(), "key \"quoted\" \\ \n",
               "v\xc3\xa9", 0x001C, "MID0000000000002"},
      LogEntry{7, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk3", "", 0x0016,
               "MID0000000000003", /*is_get=*/true},
  };
  append.answerers = {kNoNode, 0x0003, 0x0004, 0x0005};
  append.relay = {0x0003, 0x0004};
  append.via = {0x0001};
  append.stored_by = 2;
  append.confirmed = 39;
  append.ack_delay = 600000;
  append.quiet_for = 4000000;
  append.idle = true;
  AppendReply append_reply;
  append_reply.term = 9;
  append_reply.success = true;
  append_reply.match_index = 77;
  append_reply.conflict_term = 5;
  append_reply.conflict_index = 70;
  append_reply.sent_at = std::numeric_limits<Micros>::max();
  append_reply.via = {0x0003, 0x0004};
  append_reply.via_match = 76;
  append_reply.commit = 75;
  append_reply.via_commit = 74;
  append_reply.chain_received = 4000000000000ULL;
  append_reply.link_arrived = 812;
  append_reply.link_lost = 95;
  Message numbered_append = Make(0x0002, 0x0001, 0x0002, std::move(append));
  numbered_append.seq = 1234;
  Message numbered_reply = Make(0x0001, 0x0002, 0x0002, append_reply);
  numbered_reply.seq = std::numeric_limits<uint64_t>::max();
  return {
      Make(0x0001, kNoNode, kNoNode, Hello{}),
      Make(0x0015, 0x0000, 0x0002,
           GetRequest{"MIDaaaaaaaaaaaa1", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk1"}),
      Make(0x0016, 0x0003, kNoNode,
           PutRequest{"MIDaaaaaaaaaaaa2", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk2",
                      "0123456789ABCDEF0123456789ABCDEF"}),
      Make(0x0000, 0x0015, 0x0000,
           ClientReply{ReplyKind::kOk, "MIDaaaaaaaaaaaa1", "some value"}),
      Make(0x0000, 0x0015, 0x0000,
           ClientReply{ReplyKind::kOk, "MIDaaaaaaaaaaaa2", std::nullopt}),
      Make(0x0000, 0x0015, 0x0000,
           ClientReply{ReplyKind::kOk, "MIDaaaaaaaaaaaa5", std::string()}),
      Make(0x0001, 0x0016, 0x0002,
           ClientReply{ReplyKind::kRedirect, "MIDaaaaaaaaaaaa3", std::nullopt}),
      Make(0x0002, 0x0017, kNoNode,
           ClientReply{ReplyKind::kFail, "MIDaaaaaaaaaaaa4", std::nullopt}),
      Make(0x0003, kNoNode, kNoNode, VoteRequest{12, 34, 11, true}),
      Make(0x0004, 0x0003, kNoNode, VoteReply{12, true, true}),
      numbered_append,
      numbered_reply,
      Make(0x0004, 0x0003, kNoNode, VoteReply{12, false, true, true, 56, 10}),
  };
}

// A valid message of type `type`, as an object to mutilate.
Json SampleJson(const std::string& type) {
  for (const Message& m : Samples()) {
    if (TypeName(m.body) == type) return Json::parse(EncodeMessage(m));
  }
  ADD_FAILURE() << "no sample of type " << type;
  return Json::object();
}

DecodeResult DecodeJson(const Json& j) { return DecodeMessage(j.dump()); }

TEST(CodecTest, RoundTripsEveryMessageType) {
  std::set<std::string> types;
  for (const Message& m : Samples()) {
    std::string encoded = EncodeMessage(m);
    DecodeResult r = DecodeMessage(encoded);
    ASSERT_TRUE(r.ok()) << encoded << ": " << r.detail;
    EXPECT_TRUE(r.detail.empty());
    EXPECT_TRUE(SameMessage(m, r.message)) << encoded;
    EXPECT_EQ(EncodeMessage(r.message), encoded);
    types.insert(TypeName(m.body));
  }
  EXPECT_EQ(types.size(), 10u);  // every type, no sample forgotten
}

TEST(CodecTest, RoundTripKeepsEntriesInOrder) {
  Message m = Samples()[10];
  ASSERT_TRUE(std::holds_alternative<AppendEntries>(m.body));
  DecodeResult r = DecodeMessage(EncodeMessage(m));
  ASSERT_TRUE(r.ok()) << r.detail;
  const auto& entries = std::get<AppendEntries>(r.message.body).entries;
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_TRUE(entries[0].is_noop());
  EXPECT_EQ(entries[1].client, 0x0015);
  EXPECT_EQ(entries[1].mid, "MID0000000000001");
  EXPECT_EQ(entries[2].term, std::numeric_limits<Term>::max());
  EXPECT_EQ(entries[2].key, "key \"quoted\" \\ \n");
  EXPECT_FALSE(entries[2].is_get);
  EXPECT_TRUE(entries[3].is_get);
  EXPECT_FALSE(entries[3].is_put());
}

TEST(CodecTest, EncodesCompactJsonInFieldOrder) {
  EXPECT_EQ(EncodeMessage(Samples()[0]),
            R"({"src":"0001","dst":"FFFF","leader":"FFFF","type":"hello"})");
  EXPECT_EQ(EncodeMessage(Samples()[3]),
            R"({"src":"0000","dst":"0015","leader":"0000","type":"ok",)"
            R"("MID":"MIDaaaaaaaaaaaa1","value":"some value"})");
}

TEST(CodecTest, OkCarriesValueOnlyWhenSet) {
  Json with = Json::parse(EncodeMessage(Samples()[3]));
  Json without = Json::parse(EncodeMessage(Samples()[4]));
  Json empty = Json::parse(EncodeMessage(Samples()[5]));
  EXPECT_EQ(with["value"], "some value");
  EXPECT_FALSE(without.contains("value"));
  EXPECT_EQ(empty["value"], "");  // an empty value is still a value

  DecodeResult r = DecodeJson(without);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_FALSE(std::get<ClientReply>(r.message.body).value.has_value());
  r = DecodeJson(with);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(std::get<ClientReply>(r.message.body).value, "some value");
}

TEST(CodecTest, RedirectAndFailNeverCarryValue) {
  Message m = Make(0x0001, 0x0016, 0x0002,
                   ClientReply{ReplyKind::kRedirect, "MIDx", "stray"});
  EXPECT_FALSE(Json::parse(EncodeMessage(m)).contains("value"));
}

TEST(CodecTest, ParsesHarnessGet) {
  DecodeResult r = DecodeMessage(
      R"({"src": "0015", "dst": "0002", "leader": "FFFF", "type": "get", )"
      R"("MID": "8GQ3VW2T0ZL1X9RB", "key": "5d41402abc4b2a76b9719d911017c592"})");
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.message.src, 0x0015);
  EXPECT_EQ(r.message.dst, 0x0002);
  EXPECT_EQ(r.message.leader, kNoNode);
  const auto& get = std::get<GetRequest>(r.message.body);
  EXPECT_EQ(get.mid, "8GQ3VW2T0ZL1X9RB");
  EXPECT_EQ(get.key, "5d41402abc4b2a76b9719d911017c592");
}

TEST(CodecTest, ParsesHarnessPut) {
  DecodeResult r = DecodeMessage(
      R"({"src": "001C", "dst": "0004", "leader": "0001", "type": "put", )"
      R"("MID": "Q7ZK1M0B4X8C2V6N", "key": "7d793037a0760186574b0282f2f435e7", )"
      R"("value": "C4CA4238A0B923820DCC509A6F75849B"})");
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.message.src, 0x001C);
  EXPECT_EQ(r.message.dst, 0x0004);
  EXPECT_EQ(r.message.leader, 0x0001);
  const auto& put = std::get<PutRequest>(r.message.body);
  EXPECT_EQ(put.mid, "Q7ZK1M0B4X8C2V6N");
  EXPECT_EQ(put.key, "7d793037a0760186574b0282f2f435e7");
  EXPECT_EQ(put.value, "C4CA4238A0B923820DCC509A6F75849B");
}

TEST(CodecTest, ParsesHarnessHello) {
  DecodeResult r = DecodeMessage(
      R"({"src": "0003", "dst": "FFFF", "leader": "FFFF", "type": "hello"})");
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.message.src, 0x0003);
  EXPECT_EQ(r.message.dst, kNoNode);
  EXPECT_TRUE(std::holds_alternative<Hello>(r.message.body));
}

TEST(CodecTest, IgnoresUnknownFieldsAndAcceptsLowerCaseIds) {
  DecodeResult r = DecodeMessage(
      R"({"src": "001c", "dst": "000a", "leader": "ffff", "type": "get", )"
      R"("MID": "m", "key": "k", "extra": {"nested": [1, 2, null]}, "n": -1})");
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.message.src, 0x001C);
  EXPECT_EQ(r.message.dst, 0x000A);
  EXPECT_EQ(r.message.leader, kNoNode);
}

TEST(CodecTest, ClassifiesEmptyTooLargeAndNotJson) {
  EXPECT_EQ(DecodeMessage("").error, DecodeError::kEmpty);
  EXPECT_EQ(DecodeMessage(std::string_view("\xff\xfe\x00\x01", 4)).error,
            DecodeError::kNotJson);
  EXPECT_EQ(DecodeMessage(R"({"src": "0001", "dst": "FF)").error,
            DecodeError::kNotJson);
  EXPECT_EQ(DecodeMessage("{").error, DecodeError::kNotJson);
  EXPECT_EQ(DecodeMessage("{'src': '0001'}").error, DecodeError::kNotJson);
  // Trailing garbage after a valid object is not one JSON value.
  EXPECT_EQ(DecodeMessage(EncodeMessage(Samples()[0]) + "x").error,
            DecodeError::kNotJson);
}

TEST(CodecTest, EmbeddedNulIsNotTheEndOfInput) {
  std::string hello = EncodeMessage(Samples()[0]);
  std::string with_nul = hello + std::string(1, '\0') + "garbage";
  EXPECT_EQ(DecodeMessage(with_nul).error, DecodeError::kNotJson);
}

TEST(CodecTest, SizeLimitIsExactly65535Bytes) {
  std::string hello = EncodeMessage(Samples()[0]);
  // Valid JSON padded with whitespace: only the size can reject it.
  std::string at_limit =
      hello + std::string(kMaxDatagramBytes - hello.size(), ' ');
  ASSERT_EQ(at_limit.size(), 65535u);
  EXPECT_TRUE(DecodeMessage(at_limit).ok());
  DecodeResult r = DecodeMessage(at_limit + " ");
  EXPECT_EQ(r.error, DecodeError::kTooLarge);
  EXPECT_THAT(r.detail, HasSubstr("65536"));
}

TEST(CodecTest, MaximalGarbageIsNotJson) {
  std::string garbage(kMaxDatagramBytes, '\0');
  uint32_t x = 12345;
  for (char& c : garbage) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  EXPECT_EQ(DecodeMessage(garbage).error, DecodeError::kNotJson);
  garbage[0] = '{';
  EXPECT_EQ(DecodeMessage(garbage).error, DecodeError::kNotJson);
}

TEST(CodecTest, ValidJsonThatIsNotAnObject) {
  for (const char* text : {"[]", R"(["src", "0001"])", "42", "-1.5",
                           R"("a string")", "null", "true"}) {
    DecodeResult r = DecodeMessage(text);
    EXPECT_EQ(r.error, DecodeError::kNotObject) << text;
    EXPECT_FALSE(r.detail.empty());
  }
}

// nlohmann's parser must not recurse per nesting level: deep input fitting in
// one datagram must be rejected (or ignored) without blowing the stack.
TEST(CodecTest, DeepNestingDoesNotOverflowTheStack) {
  std::string open(kMaxDatagramBytes, '[');
  EXPECT_EQ(DecodeMessage(open).error, DecodeError::kNotJson);

  std::string balanced(kMaxDatagramBytes / 2, '[');
  balanced += std::string(kMaxDatagramBytes / 2, ']');
  EXPECT_EQ(DecodeMessage(balanced).error, DecodeError::kNotObject);

  std::string objects;
  constexpr int kObjectDepth = 10000;
  for (int i = 0; i < kObjectDepth; ++i) objects += R"({"a":)";
  objects += "1";
  objects += std::string(kObjectDepth, '}');
  ASSERT_LE(objects.size(), kMaxDatagramBytes);
  DecodeResult r = DecodeMessage(objects);
  EXPECT_EQ(r.error, DecodeError::kMissingField);

  // Deep nesting in an ignored field of an otherwise valid message.
  std::string hello = EncodeMessage(Samples()[0]);
  hello.pop_back();
  size_t depth = (kMaxDatagramBytes - hello.size() - 16) / 2;
  hello += R"(,"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  ASSERT_LE(hello.size(), kMaxDatagramBytes);
  EXPECT_TRUE(DecodeMessage(hello).ok());
}

TEST(CodecTest, InvalidUtf8InsideStringIsNotJson) {
  const std::string prefix =
      R"({"src":"0015","dst":"0001","leader":"FFFF","type":"get","MID":")";
  const std::string suffix = R"(","key":"k"})";
  EXPECT_TRUE(DecodeMessage(prefix + "ok" + suffix).ok());
  EXPECT_TRUE(DecodeMessage(prefix + "\xc3\xa9" + suffix).ok());  // é
  for (const char* bad : {"\xff", "\xc3(", "\xc0\xaf", "\xed\xa0\x80",
                          "\xe2\x82", "\xf8\x88\x80\x80\x80"}) {
    EXPECT_EQ(DecodeMessage(prefix + bad + suffix).error, DecodeError::kNotJson)
        << "bytes " << ::testing::PrintToString(std::string(bad));
  }
}

TEST(CodecTest, EveryRequiredFieldMissingIsNamed) {
  int checked = 0;
  for (const Message& m : Samples()) {
    Json full = Json::parse(EncodeMessage(m));
    for (const auto& [name, unused] : full.items()) {
      if (TypeName(m.body) == std::string("ok") && name == "value") continue;
      if (Optional(name)) continue;
      if (TypeName(m.body) == std::string("append_reply") && name == "commit") {
        continue;  // optional in a reply, required in an append
      }
      if (TypeName(m.body) == std::string("vote_reply") &&
          (name == "last_index" || name == "last_term")) {
        continue;  // optional in a ballot, required in a vote request
      }
      Json cut = full;
      cut.erase(name);
      DecodeResult r = DecodeJson(cut);
      EXPECT_EQ(r.error, DecodeError::kMissingField) << cut.dump();
      EXPECT_EQ(r.detail, "missing field \"" + name + "\"") << cut.dump();
      ++checked;
    }
  }
  EXPECT_GE(checked, 50);
}

TEST(CodecTest, EveryEntryFieldMissingIsNamed) {
  Json full = SampleJson("append");
  ASSERT_EQ(full["entries"].size(), 4u);
  for (const auto& [name, unused] : full["entries"][1].items()) {
    if (Optional(name)) continue;
    Json cut = full;
    cut["entries"][1].erase(name);
    DecodeResult r = DecodeJson(cut);
    EXPECT_EQ(r.error, DecodeError::kMissingField) << cut.dump();
    EXPECT_EQ(r.detail, "missing field \"entries[1]." + name + "\"");
  }
}

TEST(CodecTest, EveryFieldOfTheWrongJsonTypeIsNamed) {
  for (const Message& m : Samples()) {
    Json full = Json::parse(EncodeMessage(m));
    for (const auto& [name, unused] : full.items()) {
      Json bad = full;
      bad[name] = Json::object({{"x", 1}});
      DecodeResult r = DecodeJson(bad);
      EXPECT_EQ(r.error, DecodeError::kBadField) << bad.dump();
      EXPECT_THAT(r.detail, HasSubstr("field \"" + name + "\": expected"));
    }
  }
}

TEST(CodecTest, MalformedAddresses) {
  for (const char* field : {"src", "dst", "leader"}) {
    for (const Json& bad : {Json("001"), Json("00015"), Json("00G1"),
                            Json(" 001"), Json(""), Json(1), Json(nullptr)}) {
      Json j = SampleJson("get");
      j[field] = bad;
      DecodeResult r = DecodeJson(j);
      EXPECT_EQ(r.error, DecodeError::kBadField) << j.dump();
      EXPECT_THAT(r.detail, HasSubstr(std::string("\"") + field + "\""));
    }
  }
  Json j = SampleJson("append");
  j["entries"][0]["client"] = "XYZ1";
  DecodeResult r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"entries[0].client\": expected 4 hex digits");
}

TEST(CodecTest, ClientStringFieldsMustBeStrings) {
  Json j = SampleJson("get");
  j["MID"] = 12345;
  DecodeResult r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"MID\": expected string");

  j = SampleJson("put");
  j["value"] = Json::object({{"v", "x"}});
  r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"value\": expected string");

  // ok's value is optional, but if present it must be a string.
  j = SampleJson("ok");
  j["value"] = nullptr;
  r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"value\": expected string");
}

TEST(CodecTest, TermsAndIndexesMustBeUnsignedIntegers) {
  for (const Json& bad :
       {Json(-1), Json(1.5), Json(3.0), Json("5"), Json(true), Json(nullptr),
        Json::parse("18446744073709551616"), Json::parse("1e3")}) {
    for (const char* type : {"vote", "append", "append_reply"}) {
      Json j = SampleJson(type);
      j["term"] = bad;
      DecodeResult r = DecodeJson(j);
      EXPECT_EQ(r.error, DecodeError::kBadField) << j.dump();
      EXPECT_EQ(r.detail, "field \"term\": expected unsigned integer");
    }
  }
  Json j = SampleJson("append");
  j["prev_index"] = -3;
  EXPECT_EQ(DecodeJson(j).detail,
            "field \"prev_index\": expected unsigned integer");
  j = SampleJson("append");
  j["entries"][2]["term"] = "7";
  EXPECT_EQ(DecodeJson(j).detail,
            "field \"entries[2].term\": expected unsigned integer");
}

// The sequence number and the loss counts are counts too: a bad one is a
// field error naming it, not a silent 0.
TEST(CodecTest, SeqAndLinkCountsMustBeUnsignedIntegers) {
  for (const char* field : {"seq", "link_arrived", "link_lost"}) {
    for (const Json& bad : {Json(-1), Json("5"), Json(2.5), Json(nullptr)}) {
      Json j = SampleJson("append_reply");
      j[field] = bad;
      DecodeResult r = DecodeJson(j);
      EXPECT_EQ(r.error, DecodeError::kBadField) << j.dump();
      EXPECT_EQ(r.detail, std::string("field \"") + field +
                              "\": expected unsigned integer");
    }
  }
  Json j = SampleJson("append");
  EXPECT_EQ(j["seq"], 1234);
  j["seq"] = "x";
  EXPECT_EQ(DecodeJson(j).detail, "field \"seq\": expected unsigned integer");
}

TEST(CodecTest, SentAtIsASigned64BitInteger) {
  Json j = SampleJson("append_reply");
  j["sent_at"] = -5;
  DecodeResult r = DecodeJson(j);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(std::get<AppendReply>(r.message.body).sent_at, -5);

  for (const char* bad : {"9223372036854775808", "1.0", "\"1\""}) {
    j["sent_at"] = Json::parse(bad);
    r = DecodeJson(j);
    EXPECT_EQ(r.error, DecodeError::kBadField) << bad;
    EXPECT_EQ(r.detail, "field \"sent_at\": expected signed 64-bit integer");
  }
}

TEST(CodecTest, FlagsMustBeBooleans) {
  Json j = SampleJson("vote_reply");
  j["granted"] = 1;
  DecodeResult r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"granted\": expected boolean");

  j = SampleJson("append");
  j["entries"][3]["get"] = "true";
  r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"entries[3].get\": expected boolean");
}

TEST(CodecTest, MalformedEntries) {
  Json j = SampleJson("append");
  j["entries"] = Json::object();
  DecodeResult r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"entries\": expected array");

  j["entries"] = "[]";
  EXPECT_EQ(DecodeJson(j).error, DecodeError::kBadField);

  j = SampleJson("append");
  j["entries"][1] = 5;
  r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"entries[1]\": expected object");

  j = SampleJson("append");
  j["entries"][0].erase("term");
  r = DecodeJson(j);
  EXPECT_EQ(r.error, DecodeError::kMissingField);
  EXPECT_EQ(r.detail, "missing field \"entries[0].term\"");

  j = SampleJson("append");
  j["entries"] = Json::array();
  r = DecodeJson(j);
  ASSERT_TRUE(r.ok()) << r.detail;  // a heartbeat
  EXPECT_TRUE(std::get<AppendEntries>(r.message.body).entries.empty());
}

// The chain fields (replication.cc) are left out when they hold their
// default, so that an append without them is a plain Raft AppendEntries,
// acknowledged at once, and decodes as one.
TEST(CodecTest, ChainFieldsAreOmittedWhenDefaultAndOptional) {
  Message plain = Make(
      0x0002, 0x0001, 0x0002,
      AppendEntries{
          3, 4, 3, {LogEntry{3, "k", "v", 0x15, "MID0000000000009"}}, 4, 77});
  Json j = Json::parse(EncodeMessage(plain));
  for (const char* name : {"relay", "via", "stored_by", "confirmed",
                           "ack_delay", "quiet_for", "idle"}) {
    EXPECT_FALSE(j.contains(name)) << name << " in " << j.dump();
  }
  EXPECT_FALSE(j["entries"][0].contains("answerer"));
  DecodeResult r = DecodeJson(j);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_TRUE(SameMessage(plain, r.message));
  const AppendEntries& a = std::get<AppendEntries>(r.message.body);
  EXPECT_TRUE(a.answerers.empty());
  EXPECT_EQ(a.ack_delay, 0);

  Message reply =
      Make(0x0001, 0x0002, 0x0002, AppendReply{3, true, 5, 0, 0, 77});
  j = Json::parse(EncodeMessage(reply));
  for (const char* name :
       {"via", "via_match", "commit", "via_commit", "chain_received",
        "link_arrived", "link_lost", "seq"}) {
    EXPECT_FALSE(j.contains(name)) << name << " in " << j.dump();
  }

  // Answerers ride in their entries; the list is empty when none is known.
  Json with = SampleJson("append");
  EXPECT_FALSE(with["entries"][0].contains("answerer"));
  EXPECT_EQ(with["entries"][1]["answerer"], "0003");
  EXPECT_EQ(with["relay"], Json::array({"0003", "0004"}));
  with["relay"][1] = "00G4";
  r = DecodeJson(with);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"relay\": expected 4 hex digits");
  with = SampleJson("append");
  with["entries"][2]["answerer"] = 4;
  r = DecodeJson(with);
  EXPECT_EQ(r.error, DecodeError::kBadField);
  EXPECT_EQ(r.detail, "field \"entries[2].answerer\": expected string");
  with = SampleJson("append");
  with["stored_by"] = 4294967296;
  EXPECT_EQ(DecodeJson(with).detail,
            "field \"stored_by\": expected unsigned 32-bit integer");
}

TEST(CodecTest, UnknownType) {
  for (const char* type : {"GET", "banana", "", "append_entries"}) {
    Json j = SampleJson("get");
    j["type"] = type;
    DecodeResult r = DecodeJson(j);
    EXPECT_EQ(r.error, DecodeError::kUnknownType) << type;
    EXPECT_THAT(r.detail, HasSubstr("\"type\""));
  }
  Json j = SampleJson("get");
  j["type"] = 3;
  EXPECT_EQ(DecodeJson(j).error, DecodeError::kBadField);
}

TEST(CodecTest, FailedDecodeLeavesNoPartialMessage) {
  Json j = SampleJson("put");
  j.erase("value");
  DecodeResult r = DecodeJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message.src, kNoNode);
  EXPECT_TRUE(std::holds_alternative<Hello>(r.message.body));
}

TEST(CodecTest, EncodingInvalidUtf8NeverThrowsAndStaysDecodable) {
  Message m = Make(0x0000, 0x0015, 0x0000,
                   ClientReply{ReplyKind::kOk, "MID\xff", "v\xc3("});
  std::string encoded;
  ASSERT_NO_THROW(encoded = EncodeMessage(m));
  DecodeResult r = DecodeMessage(encoded);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(std::get<ClientReply>(r.message.body).mid, "MID\xef\xbf\xbd");
}

// The leader fills appends by EntryWireBound (RaftLog::Slice), so it must
// bound what the codec really writes for an entry, for the worst strings:
// control characters, quotes, backslashes, invalid UTF-8.
TEST(CodecTest, EntryWireBoundBoundsTheEncodedEntry) {
  const std::string nasty = std::string("\x01\"\\\xff\xc3\xa9\n") + "x";
  std::vector<LogEntry> entries = {
      LogEntry{std::numeric_limits<Term>::max(), nasty + nasty, nasty, 0xFFFE,
               nasty},
      LogEntry{1, std::string(200, '\x1f'), std::string(200, '"'), 0x0015,
               std::string(200, '\xfe')},
      LogEntry{7, "", "", kNoNode, ""},
      LogEntry{9, nasty, "", 0xFFFE, nasty + nasty, /*is_get=*/true},
  };
  for (const LogEntry& entry : entries) {
    AppendEntries bare;
    bare.term = std::numeric_limits<Term>::max();
    AppendEntries one = bare;
    one.entries = {entry};
    one.answerers = {0xFFFE};
    const size_t grew =
        EncodeMessage(Make(0x0001, 0x0002, 0x0001, one)).size() -
        EncodeMessage(Make(0x0001, 0x0002, 0x0001, bare)).size();
    EXPECT_LE(grew, EntryWireBound(entry));
  }
}

// A full append (max_append_bytes of entries by the bound, every other
// field at its widest, a relay list for a large cluster) fits a datagram.
TEST(CodecTest, AppendFilledToTheByteBudgetFitsADatagram) {
  const ReplicaConfig limits;
  AppendEntries append;
  append.term = append.prev_term = std::numeric_limits<Term>::max();
  append.prev_index = append.commit = append.confirmed =
      std::numeric_limits<LogIndex>::max();
  append.sent_at = std::numeric_limits<Micros>::min();
  append.ack_delay = append.quiet_for = std::numeric_limits<Micros>::max();
  append.stored_by = 1000;
  append.idle = true;
  for (NodeId id = 0; id < 64; ++id) append.relay.push_back(id);
  append.via = append.relay;
  size_t bytes = 0;
  const LogEntry entry{std::numeric_limits<Term>::max(),
                       std::string(32, '\x01'), std::string(32, '\\'), 0xFFFE,
                       std::string(16, '\xff')};
  while (bytes + EntryWireBound(entry) <= limits.max_append_bytes) {
    append.entries.push_back(entry);
    append.answerers.push_back(0xFFFE);
    bytes += EntryWireBound(entry);
  }
  const std::string encoded =
      EncodeMessage(Make(0xFFFE, 0xFFFD, 0xFFFE, append));
  EXPECT_LE(encoded.size(), kMaxDatagramBytes);
  EXPECT_TRUE(DecodeMessage(encoded).ok());
}

TEST(CodecTest, DecodeErrorNamesAreDistinct) {
  std::set<std::string> names;
  for (int i = 0; i < kNumDecodeErrors; ++i) {
    std::string name = DecodeErrorName(static_cast<DecodeError>(i));
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown_error") << i;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumDecodeErrors));
  EXPECT_STREQ(DecodeErrorName(DecodeError::kNotJson), "not_json");
}

}  // namespace
}  // namespace stepwise

#include "analysis/history.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Operation MakeOp(uint64_t id, Operation::Kind kind, std::string value,
                 Micros invoke, Micros complete, Operation::Outcome outcome) {
  Operation op;
  op.id = id;
  op.client = 0x0015;
  op.kind = kind;
  op.key = "k";
  op.value = std::move(value);
  op.invoke = invoke;
  op.complete = complete;
  op.outcome = outcome;
  return op;
}

History Sample() {
  History h;
  h.operations.push_back(
      MakeOp(1, Operation::Kind::kPut, "a", 10, 20, Operation::Outcome::kOk));
  h.operations.push_back(MakeOp(2, Operation::Kind::kPut, "b", 30, kNever,
                                Operation::Outcome::kUnknown));
  h.operations.push_back(
      MakeOp(3, Operation::Kind::kGet, "", 40, 50, Operation::Outcome::kOk));
  h.operations[2].client = 0x001A;
  h.operations[2].key = "other";
  return h;
}

void ExpectSame(const Operation& a, const Operation& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.client, b.client);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.invoke, b.invoke);
  EXPECT_EQ(a.complete, b.complete);
  EXPECT_EQ(a.outcome, b.outcome);
}

TEST(HistoryJson, RoundTrips) {
  History original = Sample();
  std::stringstream stream;
  WriteHistory(original, stream);
  History parsed;
  ASSERT_EQ(ReadHistory(stream, &parsed), "");
  ASSERT_EQ(parsed.operations.size(), original.operations.size());
  for (size_t i = 0; i < parsed.operations.size(); ++i) {
    ExpectSame(parsed.operations[i], original.operations[i]);
  }
}

TEST(HistoryJson, WritesOneObjectPerLineWithNullForNever) {
  std::string text = FormatHistory(Sample());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_THAT(text, HasSubstr("\"complete\":null"));
  EXPECT_THAT(text, HasSubstr("\"client\":\"001A\""));
  EXPECT_THAT(text, HasSubstr("\"outcome\":\"unknown\""));
}

TEST(HistoryJson, SkipsBlankLinesAndCarriageReturns) {
  History h;
  ASSERT_EQ(ParseHistory("\n"
                         "{\"id\":4,\"client\":\"0015\",\"kind\":\"get\","
                         "\"key\":\"k\",\"value\":\"x\",\"invoke\":1,"
                         "\"complete\":2,\"outcome\":\"ok\"}\r\n"
                         "   \n",
                         &h),
            "");
  ASSERT_EQ(h.operations.size(), 1u);
  EXPECT_EQ(h.operations[0].value, "x");
}

TEST(HistoryJson, NonUtf8DoesNotThrow) {
  History h = Sample();
  h.operations[0].value = "\xff\xfe";
  std::string text = FormatHistory(h);
  History parsed;
  EXPECT_EQ(ParseHistory(text, &parsed), "");
}

struct BadLine {
  std::string line;
  std::string error;
};

class HistoryJsonErrors : public ::testing::TestWithParam<BadLine> {};

TEST_P(HistoryJsonErrors, NamesLineAndField) {
  const std::string good =
      "{\"id\":1,\"client\":\"0015\",\"kind\":\"put\",\"key\":\"k\","
      "\"value\":\"v\",\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}\n";
  History h;
  std::string error = ParseHistory(good + "\n" + GetParam().line + "\n", &h);
  EXPECT_THAT(error, StartsWith("line 3: "));
  EXPECT_THAT(error, HasSubstr(GetParam().error));
}

std::string Line(const std::string& fields) { return "{" + fields + "}"; }

INSTANTIATE_TEST_SUITE_P(
    All, HistoryJsonErrors,
    ::testing::Values(
        BadLine{"{\"id\":", "not valid JSON"},
        BadLine{"[1,2]", "expected a JSON object"},
        BadLine{Line("\"client\":\"0015\""), "field \"id\": missing"},
        BadLine{Line("\"id\":-3"), "field \"id\""},
        BadLine{Line("\"id\":2,\"client\":\"15\""), "field \"client\""},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"cas\""),
                "field \"kind\""},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"get\","
                     "\"key\":7"),
                "field \"key\""},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"get\","
                     "\"key\":\"k\",\"value\":\"v\",\"invoke\":\"soon\""),
                "field \"invoke\""},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"get\","
                     "\"key\":\"k\",\"value\":\"v\",\"invoke\":1,"
                     "\"complete\":2,\"outcome\":\"maybe\""),
                "field \"outcome\""},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"put\","
                     "\"key\":\"k\",\"invoke\":1,\"complete\":2,"
                     "\"outcome\":\"ok\""),
                "field \"value\""},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"get\","
                     "\"key\":\"k\",\"value\":\"v\",\"invoke\":5,"
                     "\"complete\":2,\"outcome\":\"ok\""),
                "field \"complete\": complete is before invoke"},
        BadLine{Line("\"id\":2,\"client\":\"0015\",\"kind\":\"get\","
                     "\"key\":\"k\",\"value\":\"v\",\"invoke\":5,"
                     "\"complete\":null,\"outcome\":\"ok\""),
                "field \"complete\""},
        BadLine{Line("\"id\":1,\"client\":\"0015\",\"kind\":\"get\","
                     "\"key\":\"k\",\"value\":\"v\",\"invoke\":1,"
                     "\"complete\":2,\"outcome\":\"ok\""),
                "field \"id\": duplicate of line 1"}));

TEST(HistoryJson, ErrorClearsOutput) {
  History h = Sample();
  std::string text = FormatHistory(Sample()) + "nonsense\n";
  EXPECT_THAT(ParseHistory(text, &h), StartsWith("line 4: "));
  EXPECT_TRUE(h.operations.empty());
}

TEST(ValidateHistory, AcceptsSample) {
  EXPECT_EQ(ValidateHistory(Sample()), "");
}

TEST(ValidateHistory, RejectsDuplicateIds) {
  History h = Sample();
  h.operations[1].id = 1;
  EXPECT_THAT(ValidateHistory(h), HasSubstr("operation 1: duplicate id"));
}

TEST(ValidateHistory, RejectsOkWithoutCompletion) {
  History h = Sample();
  h.operations[0].complete = kNever;
  EXPECT_THAT(ValidateHistory(h), HasSubstr("operation 1"));
}

TEST(ValidateHistory, RejectsCompleteBeforeInvoke) {
  History h = Sample();
  h.operations[2].complete = 39;
  EXPECT_THAT(ValidateHistory(h), HasSubstr("operation 3"));
}

}  // namespace
}  // namespace stepwise

#include "analysis/flat_json.h"

#include <string>

#include "gtest/gtest.h"

namespace stepwise::analysis {
namespace {

using Kind = FlatField::Kind;

TEST(FlatJsonTest, ListsScalarFieldsInOrder) {
  FlatObject o;
  const std::string line =
      R"({"t":12,"ev":"route","neg":-3,"p":0.25,"e":1e3,"ok":true,)"
      R"("no":false,"n":null})";
  ASSERT_EQ(o.Parse(line), "");
  ASSERT_EQ(o.fields().size(), 8u);
  EXPECT_EQ(o.fields()[0].key, "t");
  EXPECT_EQ(o.fields()[0].kind, Kind::kInt);
  EXPECT_EQ(o.fields()[0].i, 12);
  EXPECT_EQ(o.Find("ev")->str, "route");
  EXPECT_EQ(o.Find("neg")->i, -3);
  EXPECT_EQ(o.Find("p")->kind, Kind::kDouble);
  EXPECT_DOUBLE_EQ(o.Find("p")->d, 0.25);
  EXPECT_DOUBLE_EQ(o.Find("e")->d, 1000);
  EXPECT_TRUE(o.Find("ok")->b);
  EXPECT_EQ(o.Find("no")->kind, Kind::kBool);
  EXPECT_FALSE(o.Find("no")->b);
  EXPECT_EQ(o.Find("n")->kind, Kind::kNull);
  EXPECT_EQ(o.Find("absent"), nullptr);
}

TEST(FlatJsonTest, DecodesEscapes) {
  FlatObject o;
  ASSERT_EQ(o.Parse(R"({"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00\u0001"})"), "");
  EXPECT_EQ(o.Find("s")->str, "a\"b\\c/d\n\xC3\xA9\xF0\x9F\x98\x80\x01");
}

TEST(FlatJsonTest, KeepsRepeatedKeysAndFindsTheLast) {
  FlatObject o;
  ASSERT_EQ(o.Parse(R"({"killed":"0001","killed":"0003"})"), "");
  ASSERT_EQ(o.fields().size(), 2u);
  EXPECT_EQ(o.fields()[0].str, "0001");
  EXPECT_EQ(o.Find("killed")->str, "0003");
}

TEST(FlatJsonTest, SkipsNestedValues) {
  FlatObject o;
  ASSERT_EQ(o.Parse(R"( { "a" : [1, {"b": ["}"]}, []] , "c" : {} , "d":2 } )"),
            "");
  ASSERT_EQ(o.fields().size(), 3u);
  EXPECT_EQ(o.Find("a")->kind, Kind::kNested);
  EXPECT_EQ(o.Find("c")->kind, Kind::kNested);
  EXPECT_EQ(o.Find("d")->i, 2);
}

TEST(FlatJsonTest, IntegersBeyondInt64AreMarked) {
  FlatObject o;
  ASSERT_EQ(o.Parse(R"({"t":18446744073709551615})"), "");
  EXPECT_EQ(o.Find("t")->kind, Kind::kBigInt);
}

struct Bad {
  std::string text;
  std::string error;
};

class FlatJsonBadTest : public testing::TestWithParam<Bad> {};

TEST_P(FlatJsonBadTest, SaysWhatAndWhere) {
  FlatObject o;
  EXPECT_EQ(o.Parse(GetParam().text), GetParam().error);
  EXPECT_TRUE(o.fields().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Errors, FlatJsonBadTest,
    testing::Values(
        Bad{R"({"t":1,"ev":"tim)", "unexpected end (truncated line?)"},
        Bad{R"({"t":1,)", "unexpected end (truncated line?)"},
        Bad{R"({"t":[1,2)", "unexpected end (truncated line?)"},
        Bad{"[1]", "expected a JSON object"}, Bad{"", "empty line"},
        Bad{R"({"t":01})", "expected ',' or '}' at byte 7"},
        Bad{R"({"t":-})", "bad number at byte 7"},
        Bad{R"({"t":1.})", "bad number at byte 8"},
        Bad{R"({"t":tru})", "expected a value at byte 6"},
        Bad{R"({t:1})", "expected a string at byte 2"},
        Bad{R"({"t" 1})", "expected ':' at byte 6"},
        Bad{R"({"s":"\x"})", "bad escape in a string at byte 8"},
        Bad{R"({"s":"\u12G4"})", R"(bad \u escape at byte 11)"},
        Bad{"{\"s\":\"a\tb\"}", "control character in a string at byte 8"},
        Bad{R"({"t":1} x)", "text after the object at byte 9"},
        Bad{R"({"a":[1 2]})", "expected ',' or a closing bracket at byte 9"},
        Bad{std::string("{\"a\":") + std::string(100, '[') +
                std::string(100, ']') + "}",
            "values nested too deeply at byte 70"}));

}  // namespace
}  // namespace stepwise::analysis

// Every scenario in scenarios/regressions/ is a bug the fuzzer (or a person)
// found, committed with its fix. Each must now pass every check the fuzzer
// applies.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "simulator/fuzz_case.h"
#include "simulator/replica_node.h"
#include "simulator/scenario.h"

namespace stepwise::sim {
namespace {

std::vector<std::string> RegressionFiles() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator("scenarios/regressions")) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Regression : public ::testing::TestWithParam<std::string> {};

TEST_P(Regression, Passes) {
  ParseResult p = LoadScenario(GetParam());
  ASSERT_TRUE(p.ok) << p.error;
  p.scenario.path = GetParam();
  FuzzOutcome outcome = RunFuzzCase(p.scenario, ReplicaNodeFactory());
  for (const FuzzFailure& f : outcome.failures) {
    ADD_FAILURE() << GetParam() << ": " << f.kind << ": " << f.detail;
  }
  EXPECT_FALSE(outcome.undecided) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Files, Regression, ::testing::ValuesIn(RegressionFiles()),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string name = std::filesystem::path(info.param).stem().string();
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(RegressionsTest, TheDirectoryIsNotEmpty) {
  EXPECT_FALSE(RegressionFiles().empty());
}

}  // namespace
}  // namespace stepwise::sim

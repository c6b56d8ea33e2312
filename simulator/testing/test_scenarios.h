#ifndef STEPWISE_SIMULATOR_TESTING_TEST_SCENARIOS_H_
#define STEPWISE_SIMULATOR_TESTING_TEST_SCENARIOS_H_

// Scenarios for tests, built as JSON and parsed by the real parser.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "simulator/scenario.h"

namespace stepwise::sim::testing {

// A short run: 5 replicas, 100 requests over 5 s, half gets.
inline nlohmann::json BaseConfig() {
  return {{"lifetime", 5},
          {"replicas", 5},
          {"requests", 100},
          {"mix", 0.5},
          {"tests",
           {{"benchmarks",
             {{"total_msgs", {1000, 3000, 4000}},
              {"failures", {0, 1, 2}},
              {"duplicates", {0, 1, 2}},
              {"median_latency", {0.001, 0.01, 0.1}}}}}}};
}

inline Scenario MustParse(const nlohmann::json& config) {
  ParseResult r = ParseScenario(config.dump(), "test.json");
  EXPECT_TRUE(r.ok) << r.error;
  return r.scenario;
}

}  // namespace stepwise::sim::testing

#endif  // STEPWISE_SIMULATOR_TESTING_TEST_SCENARIOS_H_

#include "fuzzing/scenario_fuzz.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzzing/property.h"
#include "simulator/scenario.h"

namespace stepwise::fuzzing {
namespace {

using sim::FaultEvent;
using sim::FaultType;
using sim::ParseResult;
using sim::Scenario;

constexpr std::string_view kTarget = "scenario";
constexpr char kPath[] = "fuzz/input.json";

void Require(bool holds, const char* property, const std::string& detail) {
  if (!holds) Violated(kTarget, property, detail);
}

bool InRange(double v, double lo, double hi) {
  return std::isfinite(v) && v >= lo && v <= hi;
}

void CheckError(const ParseResult& r) {
  Require(!r.error.empty(), "a failed parse says why", "");
  Require(r.error.rfind(std::string(kPath) + ": ", 0) == 0,
          "an error starts with the path", Printable(r.error));
  Require(r.error.find_first_of("\n\r\v\f") == std::string::npos,
          "an error is one line", Printable(r.error));
}

void CheckReplicas(const std::vector<NodeId>& ids, int replicas,
                   std::set<NodeId>* seen, const char* what) {
  Require(!ids.empty(), "replica lists are not empty", what);
  for (NodeId id : ids) {
    Require(id < replicas, "replica ids name existing replicas", what);
    Require(seen->insert(id).second, "no replica is listed twice", what);
  }
}

void CheckEvent(const FaultEvent& e, const Scenario& s) {
  const char* name = sim::FaultTypeName(e.type);
  Require(std::string_view(name) != "?", "events have a known type", "");
  Require(InRange(e.time, 0, s.lifetime + s.end_wait),
          "event times lie in [0, lifetime + end_wait]", name);
  switch (e.type) {
    case FaultType::kKill:
      Require(e.replica < s.replicas, "kill names an existing replica", name);
      break;
    case FaultType::kPartition: {
      Require(!e.groups.empty(), "a partition has groups", name);
      std::set<NodeId> seen;
      for (const auto& group : e.groups) {
        CheckReplicas(group, s.replicas, &seen, "partition groups");
      }
      break;
    }
    case FaultType::kOneWay: {
      std::set<NodeId> from, to;
      CheckReplicas(e.from, s.replicas, &from, "one_way from");
      CheckReplicas(e.to, s.replicas, &to, "one_way to");
      break;
    }
    case FaultType::kDrops:
    case FaultType::kDuplicate:
      Require(InRange(e.probability, 0, 1), "probabilities lie in [0, 1]",
              name);
      break;
    case FaultType::kReorder:
      Require(e.max_extra_us >= 0 && e.max_extra_us <= 60 * kSeconds,
              "reorder delay lies in [0, 60 s]", name);
      break;
    case FaultType::kLatencySpike:
      Require(e.extra_us >= 0 && e.extra_us <= 60 * kSeconds,
              "spike delay lies in [0, 60 s]", name);
      Require(!e.duration.has_value() || InRange(*e.duration, 1e-6, 1e6),
              "spike duration is positive", name);
      break;
    default:
      break;
  }
}

void CheckTiers(const sim::Tiers& t, const char* what) {
  Require(InRange(t.bonus, 0, 1e12) && InRange(t.full, 0, 1e12) &&
              InRange(t.partial, 0, 1e12),
          "tiers are numbers >= 0", what);
}

// The events of a parsed scenario must be the input's events, in input order
// among equal times: read them again straight from the JSON.
void CheckEventOrder(std::string_view text, const Scenario& s) {
  using Json = nlohmann::json;
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  Require(root.is_object(), "a parsed scenario is a JSON object", "");
  struct Expected {
    double time;
    std::string type;
  };
  std::vector<Expected> expected;
  if (auto it = root.find("events"); it != root.end()) {
    Require(it->is_array(), "events is an array", "");
    for (const Json& e : *it) {
      Require(e.is_object() && e.contains("type") && e.contains("time") &&
                  e["type"].is_string() && e["time"].is_number(),
              "every event has a type and a time", e.dump());
      expected.push_back(
          {e["time"].get<double>(), e["type"].get<std::string>()});
    }
  }
  std::stable_sort(
      expected.begin(), expected.end(),
      [](const Expected& a, const Expected& b) { return a.time < b.time; });
  Require(expected.size() == s.events.size(), "every event is kept",
          std::to_string(expected.size()) + " in, " +
              std::to_string(s.events.size()) + " out");
  for (size_t i = 0; i < expected.size(); ++i) {
    const FaultEvent& got = s.events[i];
    Require(got.time == expected[i].time &&
                expected[i].type == sim::FaultTypeName(got.type),
            "events are stably sorted by time",
            "event " + std::to_string(i) + ": " + expected[i].type + " at " +
                std::to_string(expected[i].time) + " vs " +
                sim::FaultTypeName(got.type) + " at " +
                std::to_string(got.time));
  }
}

void CheckScenario(std::string_view text, const ParseResult& r) {
  const Scenario& s = r.scenario;
  Require(r.error.empty(), "a parsed scenario has no error", r.error);
  Require(s.path == kPath, "a parsed scenario keeps its path", s.path);
  // JSON allows no NUL byte and nothing but UTF-8 (RFC 8259).
  Require(text.find('\0') == std::string_view::npos,
          "text with a NUL byte never parses", Printable(text));
  Require(IsValidUtf8(text), "text that is not UTF-8 never parses",
          Printable(text));
  Require(InRange(s.lifetime, 1e-3, 1e6), "lifetime lies in [1e-3, 1e6]", "");
  Require(s.replicas >= 1 && s.replicas <= 64, "replicas lie in [1, 64]", "");
  Require(s.requests >= 0, "requests are not negative", "");
  Require(InRange(s.mix, 0, 1) && InRange(s.drops, 0, 1) &&
              InRange(s.max_get_fail_fraction, 0, 1) &&
              InRange(s.max_put_fail_fraction, 0, 1) &&
              InRange(s.max_get_generation_fail_fraction, 0, 1),
          "fractions lie in [0, 1]", "");
  Require(InRange(s.start_wait, 0, 1e12) && InRange(s.end_wait, 0, 1e12),
          "waits are numbers >= 0", "");
  Require(s.max_packets >= 1, "max_packets is positive", "");
  Require(
      !s.liveness_bound.has_value() || InRange(*s.liveness_bound, 1e-3, 1e6),
      "liveness_bound lies in [1e-3, 1e6]", "");
  const sim::LatencyModel& m = s.latency;
  for (Micros us : {m.hop_us, m.hop_jitter_us, m.hub_us, m.client_send_us,
                    m.replica_us, m.start_stagger_us}) {
    Require(us >= 0 && us <= 60 * kSeconds, "latencies lie in [0, 60 s]", "");
  }
  CheckTiers(s.total_msgs, "total_msgs");
  CheckTiers(s.failures, "failures");
  CheckTiers(s.duplicates, "duplicates");
  CheckTiers(s.median_latency, "median_latency");
  for (const FaultEvent& e : s.events) CheckEvent(e, s);
  CheckEventOrder(text, s);
}

}  // namespace

int FuzzScenario(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult r;
  try {
    r = sim::ParseScenario(text, kPath);
  } catch (...) {
    Violated(kTarget, "no exception escapes ParseScenario", Printable(text));
  }
  if (r.ok) {
    CheckScenario(text, r);
  } else {
    CheckError(r);
  }
  return 0;
}

}  // namespace stepwise::fuzzing

#include "simulator/scenario_writer.h"

#include <nlohmann/json.hpp>

namespace stepwise::sim {
namespace {

using Json = nlohmann::ordered_json;

Json Ids(const std::vector<NodeId>& ids) {
  Json out = Json::array();
  for (NodeId id : ids) out.push_back(FormatNodeId(id));
  return out;
}

Json EventJson(const FaultEvent& e) {
  Json j;
  j["type"] = FaultTypeName(e.type);
  j["time"] = e.time;
  switch (e.type) {
    case FaultType::kKill:
      j["replica"] = FormatNodeId(e.replica);
      break;
    case FaultType::kPartition: {
      Json groups = Json::array();
      for (const auto& g : e.groups) groups.push_back(Ids(g));
      j["groups"] = groups;
      break;
    }
    case FaultType::kOneWay:
      j["from"] = Ids(e.from);
      j["to"] = Ids(e.to);
      break;
    case FaultType::kDrops:
    case FaultType::kDuplicate:
      j["probability"] = e.probability;
      break;
    case FaultType::kReorder:
      j["max_extra_us"] = e.max_extra_us;
      break;
    case FaultType::kLatencySpike:
      j["extra_us"] = e.extra_us;
      if (e.duration) j["duration"] = *e.duration;
      break;
    default:
      break;
  }
  return j;
}

Json TiersJson(const Tiers& t) {
  return Json::array({t.bonus, t.full, t.partial});
}

}  // namespace

std::string FormatScenario(const Scenario& s) {
  Json j;
  if (!s.description.empty()) j["description"] = s.description;
  if (s.seed) j["seed"] = *s.seed;
  j["lifetime"] = s.lifetime;
  j["replicas"] = s.replicas;
  j["requests"] = s.requests;
  j["mix"] = s.mix;
  j["drops"] = s.drops;
  j["start_wait"] = s.start_wait;
  j["end_wait"] = s.end_wait;
  j["max_packets"] = s.max_packets;
  if (s.liveness_bound) j["liveness_bound"] = *s.liveness_bound;
  const LatencyModel& m = s.latency;
  j["latency"] = {
      {"hop_us", m.hop_us},         {"hop_jitter_us", m.hop_jitter_us},
      {"hub_us", m.hub_us},         {"client_send_us", m.client_send_us},
      {"replica_us", m.replica_us}, {"start_stagger_us", m.start_stagger_us}};
  // Events and their fields are written by hand, one per line: the dump of
  // a whole event array would put every group id on its own line.
  std::string events;
  for (size_t i = 0; i < s.events.size(); ++i) {
    events += (i == 0 ? "\n    " : ",\n    ") + EventJson(s.events[i]).dump();
  }
  j["events"] = Json::array();
  j["tests"] = {{"benchmarks",
                 {{"total_msgs", TiersJson(s.total_msgs)},
                  {"failures", TiersJson(s.failures)},
                  {"duplicates", TiersJson(s.duplicates)},
                  {"median_latency", TiersJson(s.median_latency)}}},
                {"maximum_get_fail_fraction", s.max_get_fail_fraction},
                {"maximum_put_fail_fraction", s.max_put_fail_fraction},
                {"maximum_get_generation_fail_fraction",
                 s.max_get_generation_fail_fraction}};
  std::string text = j.dump(2);
  const std::string placeholder = "\"events\": []";
  size_t at = text.find(placeholder);
  if (at != std::string::npos && !events.empty()) {
    text.replace(at, placeholder.size(), "\"events\": [" + events + "\n  ]");
  }
  return text + "\n";
}

}  // namespace stepwise::sim

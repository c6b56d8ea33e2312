#include "simulator/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace stepwise::sim {
namespace {

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Count(int64_t v) { return std::to_string(v); }

std::string IdList(const std::vector<NodeId>& ids) {
  if (ids.empty()) return "none";
  std::string out;
  for (NodeId id : ids) {
    if (!out.empty()) out += ' ';
    out += FormatNodeId(id);
  }
  return out;
}

std::string ValueText(const Metric& m) {
  if (std::isnan(m.value)) return "none";
  if (m.seconds) return Fmt("%.6f", m.value);
  return Fmt("%.0f", m.value);
}

std::string TiersText(const Metric& m) {
  const char* f = m.seconds ? "%g" : "%.0f";
  return "[" + Fmt(f, m.tiers.bonus) + ", " + Fmt(f, m.tiers.full) + ", " +
         Fmt(f, m.tiers.partial) + "]";
}

}  // namespace

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kBonus:
      return "Bonus";
    case Tier::kFull:
      return "Full credit";
    case Tier::kPartial:
      return "Partial credit";
    case Tier::kNone:
      return "No credit";
  }
  return "?";
}

Tier Grade(double value, const Tiers& tiers) {
  if (std::isnan(value)) return Tier::kNone;
  if (value < tiers.bonus) return Tier::kBonus;
  if (value < tiers.full) return Tier::kFull;
  if (value < tiers.partial) return Tier::kPartial;
  return Tier::kNone;
}

double MedianSeconds(std::vector<Micros> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  double median = n % 2 == 1 ? static_cast<double>(v[n / 2])
                             : (static_cast<double>(v[n / 2 - 1]) +
                                static_cast<double>(v[n / 2])) /
                                   2.0;
  return median / 1e6;
}

RunResult CollectRunResult(const Hub& hub, const Clients& clients) {
  RunResult r;
  r.total_messages = hub.total_messages();
  r.dropped = hub.dropped();
  r.partition_drops = hub.partitioned_drops();
  r.duplicated = hub.duplicated();
  r.leaders = hub.leaders();
  r.killed = hub.killed();
  r.died = hub.died_unexpectedly();
  r.hub_incorrect = hub.incorrect();
  r.clients = clients.stats();
  r.history = clients.history();
  r.requests = clients.request_timings();
  return r;
}

Report Evaluate(const Scenario& s, const RunResult& run) {
  const ClientStats& c = run.clients;
  Report report;
  auto check = [&](std::string name, bool passed, std::string detail) {
    report.checks.push_back(Check{std::move(name), passed, std::move(detail)});
  };

  const int64_t incorrect =
      c.incorrect + static_cast<int64_t>(run.hub_incorrect.size());
  check("No incorrect responses", incorrect == 0,
        Count(incorrect) + " incorrect");
  check("No replicas died unexpectedly", run.died.empty(),
        run.died.empty() ? "none" : Count(run.died.size()) + " died");
  check("Some state was stored", c.puts_ok > 0,
        Count(c.puts_ok) + " puts answered ok");
  check("Unanswered get() requests within the limit",
        c.unanswered_gets <= s.max_get_fail_fraction * c.gets_generated,
        Count(c.unanswered_gets) + " of " + Count(c.gets_generated) +
            " gets (limit " + Fmt("%g", 100 * s.max_get_fail_fraction) + "%)");
  check("Unanswered put() requests within the limit",
        c.unanswered_puts <= s.max_put_fail_fraction * c.puts_generated,
        Count(c.unanswered_puts) + " of " + Count(c.puts_generated) +
            " puts (limit " + Fmt("%g", 100 * s.max_put_fail_fraction) + "%)");
  // Counted against every get the schedule drew, generated or not.
  const int64_t gets_drawn = c.gets_generated + c.get_generation_failures;
  check("Gets that could not be generated within the limit",
        c.get_generation_failures <=
            s.max_get_generation_fail_fraction * gets_drawn,
        Count(c.get_generation_failures) + " of " + Count(gets_drawn) +
            " gets (limit " +
            Fmt("%g", 100 * s.max_get_generation_fail_fraction) + "%)");
  const double floor =
      static_cast<double>(s.requests) * s.replicas * (1 - s.mix) * 0.5;
  check("Enough messages between replicas to be replicating",
        static_cast<double>(run.total_messages) >= floor,
        Count(run.total_messages) + " >= " + Fmt("%.0f", floor));
  // Ours, beyond the harness: checked only when the run was watched.
  enum class Kind { kRaft, kHistory, kLiveness };
  auto kind_of = [](const SafetyFinding& f) {
    if (f.property == kLinearizability) return Kind::kHistory;
    if (f.property == kLiveness) return Kind::kLiveness;
    return Kind::kRaft;
  };
  auto findings_of = [&](Kind kind) {
    std::string names;
    for (const SafetyFinding& f : run.safety) {
      if (kind_of(f) != kind) continue;
      names += (names.empty() ? "" : ", ") + f.property + " at " +
               Fmt("%.6f", f.time / 1e6) + " s";
    }
    return names;
  };
  if (run.raft_checked) {
    std::string found = findings_of(Kind::kRaft);
    check("Raft safety properties held after every step", found.empty(),
          found.empty() ? "checked" : "violated: " + found);
  }
  if (!run.history_verdict.empty()) {
    std::string found = findings_of(Kind::kHistory);
    check("Client history is linearizable",
          found.empty() && run.history_verdict == kLinearizableVerdict,
          run.history_verdict + " (" + Count(run.history.operations.size()) +
              " operations)");
  }
  if (s.liveness_bound) {
    std::string found = findings_of(Kind::kLiveness);
    check("Requests answered again after the faults healed", found.empty(),
          found.empty() ? "within " + Fmt("%g", *s.liveness_bound) + " s"
                        : "stalled: " + found);
  }
  report.passed = std::all_of(report.checks.begin(), report.checks.end(),
                              [](const Check& k) { return k.passed; });

  auto metric = [&](std::string name, double value, const Tiers& tiers,
                    bool seconds) {
    report.metrics.push_back(
        Metric{std::move(name), value, tiers, Grade(value, tiers), seconds});
  };
  metric("Total messages between replicas",
         static_cast<double>(run.total_messages), s.total_msgs, false);
  metric("Total failures and unanswered requests",
         static_cast<double>(c.get_fails + c.put_fails + c.unanswered_gets +
                             c.unanswered_puts),
         s.failures, false);
  metric("Total duplicate responses", static_cast<double>(c.duplicates),
         s.duplicates, false);
  metric("Median response latency", MedianSeconds(c.latencies),
         s.median_latency, true);
  return report;
}

std::string FormatText(const Scenario& s, const RunResult& run,
                       const Report& report, const std::string& replay) {
  const ClientStats& c = run.clients;
  std::ostringstream out;
  out << "# " << (run.live ? "Live run" : "Simulation")
      << " finished: " << s.path << "\n";
  out << "Seed " << run.seed << "; " << s.replicas << " replicas, "
      << s.requests << " requests; ran " << Fmt("%.3f", run.end_time / 1e6)
      << " s of " << (run.live ? "real" : "virtual") << " time"
      << (run.storm ? " (stopped early: message storm)" : "") << "\n\n";

  out << "## Useful information and statistics\n";
  out << "Leaders: " << IdList(run.leaders) << "\n";
  out << "Replicas killed: " << IdList(run.killed) << "\n";
  out << "Replicas that died unexpectedly: " << (run.died.empty() ? "none" : "")
      << "\n";
  for (const std::string& d : run.died) out << "  " << d << "\n";
  out << "Total messages between replicas: " << run.total_messages << "\n";
  out << "Total messages dropped: " << run.dropped << " (drops), "
      << run.partition_drops << " (partitions)\n";
  if (run.duplicated > 0) {
    out << "Total messages duplicated by the network: " << run.duplicated
        << "\n";
  }
  out << "Total client get()/put() requests: " << c.gets_generated << "/"
      << c.puts_generated << "\n";
  out << "Total get() requests that could not be generated: "
      << c.get_generation_failures << "\n";
  out << "Total redirects: " << c.redirects << "\n";
  out << "Total get()/put() failures: " << c.get_fails << "/" << c.put_fails
      << "\n";
  out << "Total unanswered get()/put() requests: " << c.unanswered_gets << "/"
      << c.unanswered_puts << "\n";
  out << "Total duplicate responses: " << c.duplicates << "\n";
  out << "Total get() with incorrect response: " << c.wrong_get_values << "\n";
  out << "Total incorrect responses: "
      << c.incorrect + static_cast<int64_t>(run.hub_incorrect.size()) << "\n";
  for (const std::string& d : run.hub_incorrect) out << "  " << d << "\n";
  for (const std::string& d : c.incorrect_details) out << "  " << d << "\n";
  for (const std::string& n : run.notes) out << "Note: " << n << "\n";
  out << "\n## Correctness checks\n";
  for (const Check& k : report.checks) {
    out << (k.passed ? "* PASS " : "* FAIL ") << k.name << " (" << k.detail
        << ")\n";
  }
  for (const SafetyFinding& f : run.safety) {
    out << "\n## Safety violation: " << f.property << "\n";
    out << "At " << Fmt("%.6f", f.time / 1e6) << " s (virtual)"
        << (f.replica == kNoNode ? "" : ", replica " + FormatNodeId(f.replica))
        << ": " << f.detail << "\n";
    if (!f.events.empty()) out << "Relevant events:\n";
    for (const std::string& e : f.events) out << "  " << e << "\n";
    out << "\n";
  }
  out << (report.passed ? "All correctness checks passed\n"
                        : "Some correctness checks FAILED\n");
  out << "\n## Performance tests\n";
  out << "## <metric>: <value> [bonus, full, partial] <tier>\n";
  for (const Metric& m : report.metrics) {
    out << "* " << m.name << ": " << ValueText(m) << " " << TiersText(m) << " "
        << TierName(m.tier) << "\n";
  }
  if (!report.passed) {
    out << "(metrics count only when every correctness check passes)\n";
  }
  out << "\nReplay: " << replay << "\n";
  return out.str();
}

std::string FormatJson(const Scenario& s, const RunResult& run,
                       const Report& report, const std::string& replay) {
  using Json = nlohmann::ordered_json;
  const ClientStats& c = run.clients;
  Json j;
  j["scenario"] = s.path;
  j["mode"] = run.live ? "live" : "simulation";
  j["seed"] = run.seed;
  j["replay"] = replay;
  j["end_time_s"] = run.end_time / 1e6;
  j["storm"] = run.storm;
  Json ids = Json::array();
  for (NodeId id : run.leaders) ids.push_back(FormatNodeId(id));
  j["leaders"] = ids;
  ids = Json::array();
  for (NodeId id : run.killed) ids.push_back(FormatNodeId(id));
  j["killed"] = ids;
  j["died_unexpectedly"] = run.died;
  Json stats;
  stats["total_messages"] = run.total_messages;
  stats["dropped"] = run.dropped;
  stats["partition_drops"] = run.partition_drops;
  stats["duplicated"] = run.duplicated;
  stats["gets"] = c.gets_generated;
  stats["puts"] = c.puts_generated;
  stats["get_generation_failures"] = c.get_generation_failures;
  stats["redirects"] = c.redirects;
  stats["get_fails"] = c.get_fails;
  stats["put_fails"] = c.put_fails;
  stats["unanswered_gets"] = c.unanswered_gets;
  stats["unanswered_puts"] = c.unanswered_puts;
  stats["duplicates"] = c.duplicates;
  stats["wrong_get_values"] = c.wrong_get_values;
  stats["incorrect"] =
      c.incorrect + static_cast<int64_t>(run.hub_incorrect.size());
  stats["replies"] = c.latencies.size();
  j["statistics"] = stats;
  std::vector<std::string> details = run.hub_incorrect;
  details.insert(details.end(), c.incorrect_details.begin(),
                 c.incorrect_details.end());
  j["incorrect_details"] = details;
  j["notes"] = run.notes;
  Json checks = Json::array();
  for (const Check& k : report.checks) {
    checks.push_back(
        {{"name", k.name}, {"passed", k.passed}, {"detail", k.detail}});
  }
  j["checks"] = checks;
  if (!run.history_verdict.empty()) j["history"] = run.history_verdict;
  Json safety = Json::array();
  for (const SafetyFinding& f : run.safety) {
    safety.push_back(
        {{"property", f.property},
         {"time_s", f.time / 1e6},
         {"replica",
          f.replica == kNoNode ? Json(nullptr) : Json(FormatNodeId(f.replica))},
         {"detail", f.detail},
         {"events", f.events}});
  }
  j["safety"] = safety;
  j["passed"] = report.passed;
  Json metrics = Json::array();
  for (const Metric& m : report.metrics) {
    Json v = std::isnan(m.value) ? Json(nullptr) : Json(m.value);
    metrics.push_back(
        {{"name", m.name},
         {"value", v},
         {"tiers", {m.tiers.bonus, m.tiers.full, m.tiers.partial}},
         {"tier", TierName(m.tier)}});
  }
  j["metrics"] = metrics;
  return j.dump(2) + "\n";
}

}  // namespace stepwise::sim

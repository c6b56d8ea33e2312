#include "analysis/html_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/html_report_assets.h"
#include "analysis/html_util.h"

namespace stepwise::analysis {
namespace {

using Json = nlohmann::json;

const char* const kRoleNames[] = {"down",      "follower", "precandidate",
                                  "candidate", "leader",   "dead"};
const char* const kTypeColors[] = {"#3a9d5d", "#9db4d3", "#f0a04b", "#7b1fa2",
                                   "#e53935", "#00897b", "#6d4c41", "#546e7a"};
constexpr char kGetColor[] = "#1e88e5";
constexpr char kPutColor[] = "#f4511e";

std::string Escape(const std::string& s) { return HtmlEscape(s); }

int RoleIndex(const std::string& role) {
  for (int i = 0; i < static_cast<int>(std::size(kRoleNames)); ++i) {
    if (role == kRoleNames[i]) return i;
  }
  return -1;
}

// The data the timeline script draws. Arrays, not objects, keep it small.
Json TimelineData(const RunStats& s, const HtmlOptions& o) {
  Json d;
  d["end"] = s.end_t;
  Json role_names = Json::array();
  for (const char* r : kRoleNames) role_names.push_back(r);
  Json lanes = Json::array();
  for (int i = 0; i < static_cast<int>(s.roles.size()); ++i) {
    Json roles = Json::array();
    for (const RoleInterval& r : s.roles[i]) {
      int index = RoleIndex(r.role);
      if (index < 0) {  // a role this report does not know: keep it
        index = static_cast<int>(role_names.size());
        role_names.push_back(r.role);
      }
      roles.push_back({r.start, r.end, index, r.term});
    }
    lanes.push_back({{"id", NodeName(i)}, {"roles", std::move(roles)}});
  }
  d["lanes"] = std::move(lanes);
  d["roleNames"] = std::move(role_names);
  d["elections"] = Json::array();
  for (const LeaderElected& e : s.elections) {
    d["elections"].push_back({e.t, e.replica, e.term});
  }
  d["kills"] = Json::array();
  for (const KillRecord& k : s.kills) {
    d["kills"].push_back({k.t, k.replica, k.how});
  }
  d["partitions"] = Json::array();
  for (const PartitionPeriod& p : s.partitions) {
    d["partitions"].push_back({p.start, p.end, p.kind, p.sides});
  }
  d["drops"] = Json::array();
  for (const DropPeriod& p : s.drop_periods) {
    d["drops"].push_back({p.start, p.end, p.dropped, p.routed});
  }
  d["faults"] = Json::array();
  for (const FaultRecord& f : s.faults) {
    d["faults"].push_back({f.t, f.kind, f.note});
  }

  const int lanes_n = static_cast<int>(s.roles.size());
  Json marks;
  Json list = Json::array();
  if (static_cast<int>(s.requests.size()) <= o.max_marks) {
    marks["mode"] = "each";
    for (const RequestRecord& r : s.requests) {
      if (r.dst >= lanes_n) continue;
      list.push_back({r.sent, r.dst, static_cast<int>(r.outcome),
                      r.is_get ? 1 : 0, r.latency_us, r.mid, r.retry ? 1 : 0});
    }
  } else {
    // Per lane and time bucket: counts by outcome and the worst latency.
    const int64_t buckets = std::max(1, o.buckets);
    const int64_t width = std::max<int64_t>(1, (s.end_t + buckets) / buckets);
    marks["mode"] = "bucket";
    marks["width"] = width;
    std::vector<std::vector<std::array<int64_t, 5>>> grid(
        lanes_n, std::vector<std::array<int64_t, 5>>(buckets + 1));
    for (const RequestRecord& r : s.requests) {
      if (r.dst >= lanes_n) continue;
      auto b =
          static_cast<size_t>(std::clamp<int64_t>(r.sent / width, 0, buckets));
      auto& cell = grid[r.dst][b];
      ++cell[static_cast<int>(r.outcome)];
      cell[4] = std::max(cell[4], r.latency_us);
    }
    for (int lane = 0; lane < lanes_n; ++lane) {
      for (size_t b = 0; b < grid[lane].size(); ++b) {
        const auto& c = grid[lane][b];
        if (c[0] + c[1] + c[2] + c[3] == 0) continue;
        list.push_back({static_cast<int64_t>(b) * width, lane, c[0], c[1], c[2],
                        c[3], c[4]});
      }
    }
  }
  marks["list"] = std::move(list);
  d["marks"] = std::move(marks);
  return d;
}

std::string Row(const std::string& name, const std::string& value,
                bool bad = false) {
  return "<tr><th>" + Escape(name) + "</th><td class=\"n" +
         (bad ? " bad" : "") + "\">" + Escape(value) + "</td></tr>\n";
}

std::string Summary(const RunStats& s) {
  std::string h = "<div class=\"summary\">\n<table>\n";
  h += Row("scenario", s.has_run ? s.scenario : "(no run event)");
  h += Row("seed", std::to_string(s.seed));
  h += Row("mode", s.live ? "live (real processes, real time)"
                          : "simulated (virtual time)");
  h += Row("replicas", std::to_string(s.replicas));
  h += Row(s.live ? "wall time" : "virtual time", FormatUs(s.end_t));
  h += Row("requests planned", s.requests_planned >= 0
                                   ? std::to_string(s.requests_planned)
                                   : "not in the trace");
  h += Row("requests sent (with retries)", std::to_string(s.requests.size()));
  h += Row("gets not generated", std::to_string(s.gets_not_generated));
  h += "</table>\n<table>\n";
  if (s.has_end) {
    h += Row("total messages", std::to_string(s.total_messages));
    h += Row("unanswered gets", std::to_string(s.unanswered_gets),
             s.unanswered_gets > 0);
    h += Row("unanswered puts", std::to_string(s.unanswered_puts),
             s.unanswered_puts > 0);
    h += Row("message storm", s.storm ? "yes" : "no", s.storm);
  } else {
    h += Row("end event", "missing: the trace stops early", true);
  }
  h += Row("incorrect messages", std::to_string(s.incorrect), s.incorrect > 0);
  h += "</table>\n<table>\n";
  for (const char* v : {"ok", "redirect", "fail", "duplicate", "incorrect"}) {
    auto it = s.verdicts.find(v);
    int64_t count = it == s.verdicts.end() ? 0 : it->second;
    h += Row(std::string("replies ") + v, std::to_string(count),
             count > 0 &&
                 (std::string(v) == "fail" || std::string(v) == "duplicate" ||
                  std::string(v) == "incorrect"));
  }
  for (const auto& [v, count] : s.verdicts) {
    if (v != "ok" && v != "redirect" && v != "fail" && v != "duplicate" &&
        v != "incorrect") {
      h += Row("replies " + v, std::to_string(count));
    }
  }
  h += "</table>\n<table>\n";
  h += Row("leader elections", std::to_string(s.elections.size()));
  h += Row("kills", std::to_string(s.kills.size()));
  h += Row("partitions", std::to_string(s.partitions.size()));
  h += Row("drop periods", std::to_string(s.drop_periods.size()));
  for (const auto& [fate, count] : s.fates) {
    h += Row("copies " + fate, std::to_string(count));
  }
  h += "</table>\n</div>\n";
  return h;
}

std::string EventsList(const RunStats& s) {
  if (s.kills.empty() && s.partitions.empty() && s.faults.empty()) return "";
  // (time, row) pairs, shown in time order.
  std::vector<std::pair<int64_t, std::string>> rows;
  auto row = [&](int64_t t, const std::string& when, const std::string& what,
                 const std::string& detail) {
    rows.push_back({t, "<tr><td class=\"n\">" + when + "</td><td>" +
                           Escape(what) + "</td><td>" + detail +
                           "</td></tr>\n"});
  };
  for (const FaultRecord& f : s.faults) {
    std::string detail = Escape(f.note);
    for (const KillRecord& k : s.kills) {
      if (k.t == f.t && k.how == f.kind)
        detail += "killed " + NodeName(k.replica);
    }
    for (const PartitionPeriod& p : s.partitions) {
      if (p.start != f.t || p.kind != f.kind) continue;
      detail += "until " + FormatUs(p.end) + ": ";
      for (size_t i = 0; i < p.sides.size(); ++i) {
        detail += (i == 0 ? "" : " | ");
        for (size_t j = 0; j < p.sides[i].size(); ++j) {
          detail += (j == 0 ? "" : " ") + NodeName(p.sides[i][j]);
        }
      }
    }
    row(f.t, FormatUs(f.t), f.kind, detail);
  }
  for (const KillRecord& k : s.kills) {
    if (k.how == "crash") {
      row(k.t, FormatUs(k.t), "crash", NodeName(k.replica) + " threw");
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::string h = "<h2>Faults</h2>\n<table id=\"faults\">\n";
  for (const auto& [t, r] : rows) h += r;
  return h + "</table>\n";
}

std::string LatencyTable(const RunStats& s) {
  std::string h =
      "<table><tr><th></th><th>replies</th><th>p50</th><th>p90</th>"
      "<th>p99</th><th>max</th></tr>\n";
  auto row = [&](const char* name, const Percentiles& p) {
    h += std::string("<tr><th>") + name + "</th><td class=\"n\">" +
         std::to_string(p.count) + "</td><td class=\"n\">" + FormatUs(p.p50) +
         "</td><td class=\"n\">" + FormatUs(p.p90) + "</td><td class=\"n\">" +
         FormatUs(p.p99) + "</td><td class=\"n\">" + FormatUs(p.max) +
         "</td></tr>\n";
  };
  row("get", s.get_latency);
  row("put", s.put_latency);
  row("all", s.all_latency);
  h += "</table>\n<p class=\"hint\">Every first reply (ok, redirect or fail) "
       "counts, as in the harness's median. Percentiles are nearest-rank: the "
       "value of rank ⌈p/100·n⌉.</p>\n";
  return h;
}

// A bar chart's x axis, its y scale (0 and the peak) and the end of its
// SVG, the same for every chart.
std::string ChartFooter(double left, double top, double plot_w, double plot_h,
                        int64_t peak) {
  auto num = [](double v) { return Printf("%.1f", v); };
  return "<line x1=\"" + num(left) + "\" x2=\"" + num(left + plot_w) +
         "\" y1=\"" + num(top + plot_h) + "\" y2=\"" + num(top + plot_h) +
         "\" stroke=\"#888\"/>\n<text x=\"" + num(left - 4) + "\" y=\"" +
         num(top + 8) + "\" text-anchor=\"end\">" + std::to_string(peak) +
         "</text>\n<text x=\"" + num(left - 4) + "\" y=\"" + num(top + plot_h) +
         "\" text-anchor=\"end\">0</text>\n</svg>\n";
}

// Log-scale bins, four per decade, gets and puts side by side.
std::string LatencyHistogram(const RunStats& s) {
  const int kW = 560, kH = 220, kLeft = 44, kBottom = 30, kTop = 12;
  std::string h = "<svg id=\"latency-histogram\" width=\"" +
                  std::to_string(kW) + "\" height=\"" + std::to_string(kH) +
                  "\" role=\"img\">\n";
  if (s.get_latencies.empty() && s.put_latencies.empty()) {
    return h + "<text x=\"10\" y=\"20\">no replies</text></svg>\n";
  }
  int64_t lo = INT64_MAX, hi = 1;
  for (const auto* v : {&s.get_latencies, &s.put_latencies}) {
    if (v->empty()) continue;
    lo = std::min(lo, std::max<int64_t>(1, v->front()));
    hi = std::max(hi, v->back());
  }
  constexpr double kPerDecade = 4;
  const double b0 =
      std::floor(std::log10(static_cast<double>(lo)) * kPerDecade);
  const double b1 =
      std::floor(std::log10(static_cast<double>(std::max(hi, lo))) *
                 kPerDecade) +
      1;
  const int bins = static_cast<int>(std::clamp(b1 - b0, 1.0, 80.0));
  auto bin_of = [&](int64_t v) {
    double b =
        std::floor(std::log10(static_cast<double>(std::max<int64_t>(1, v))) *
                   kPerDecade) -
        b0;
    return static_cast<int>(std::clamp(b, 0.0, bins - 1.0));
  };
  std::vector<int64_t> gets(bins), puts(bins);
  for (int64_t v : s.get_latencies) ++gets[bin_of(v)];
  for (int64_t v : s.put_latencies) ++puts[bin_of(v)];
  int64_t peak = 1;
  for (int i = 0; i < bins; ++i) peak = std::max({peak, gets[i], puts[i]});
  const double plot_w = kW - kLeft - 10, plot_h = kH - kTop - kBottom;
  const double bw = plot_w / bins;
  auto xof = [&](double log_value) {
    return kLeft + (log_value * kPerDecade - b0) / bins * plot_w;
  };
  auto num = [](double v) { return Printf("%.1f", v); };
  for (int i = 0; i < bins; ++i) {
    const double lo_us = std::pow(10, (b0 + i) / kPerDecade);
    const double hi_us = std::pow(10, (b0 + i + 1) / kPerDecade);
    const std::string range = FormatUs(static_cast<int64_t>(std::ceil(lo_us))) +
                              " – " +
                              FormatUs(static_cast<int64_t>(std::ceil(hi_us)));
    for (int k = 0; k < 2; ++k) {
      const int64_t c = k == 0 ? gets[i] : puts[i];
      if (c == 0) continue;
      const double bh = plot_h * static_cast<double>(c) / peak;
      h += "<rect x=\"" + num(kLeft + i * bw + k * bw / 2) + "\" y=\"" +
           num(kTop + plot_h - bh) + "\" width=\"" + num(bw / 2 - 0.5) +
           "\" height=\"" + num(bh) + "\" fill=\"" +
           (k == 0 ? kGetColor : kPutColor) + "\"><title>" +
           (k == 0 ? "get " : "put ") + range + ": " + std::to_string(c) +
           "</title></rect>\n";
    }
  }
  // Decade ticks.
  for (int d = static_cast<int>(std::ceil(b0 / kPerDecade));
       d <= static_cast<int>(std::floor((b0 + bins) / kPerDecade)); ++d) {
    const double x = xof(d);
    h += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(kTop) +
         "\" y2=\"" + num(kTop + plot_h + 4) +
         "\" stroke=\"#ddd\"/>\n<text x=\"" + num(x) + "\" y=\"" +
         num(kH - 12) + "\" text-anchor=\"middle\">" +
         FormatUs(static_cast<int64_t>(std::llround(std::pow(10, d)))) +
         "</text>\n";
  }
  // p50 and p99 of each type as dashed lines.
  auto marker = [&](int64_t v, const char* color, const std::string& label,
                    int row) {
    if (v <= 0) return;
    const double x = xof(std::log10(static_cast<double>(v)));
    h += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(kTop) +
         "\" y2=\"" + num(kTop + plot_h) + "\" stroke=\"" + color +
         "\" stroke-dasharray=\"4,3\"/>\n<text x=\"" + num(x + 2) + "\" y=\"" +
         num(kTop + 10 + row * 12) + "\" fill=\"" + color + "\">" + label +
         "</text>\n";
  };
  if (s.get_latency.count > 0) {
    marker(s.get_latency.p50, kGetColor, "get p50", 0);
    marker(s.get_latency.p99, kGetColor, "get p99", 1);
  }
  if (s.put_latency.count > 0) {
    marker(s.put_latency.p50, kPutColor, "put p50", 2);
    marker(s.put_latency.p99, kPutColor, "put p99", 3);
  }
  h += ChartFooter(kLeft, kTop, plot_w, plot_h, peak);
  h += "<div class=\"legend\"><span><i style=\"background:" +
       std::string(kGetColor) +
       "\"></i>get</span><span><i style=\"background:" + kPutColor +
       "\"></i>put</span></div>\n";
  return h;
}

// Stacked bars: routed copies per second (per group of seconds for a long
// run, so the chart's size stays bounded), by message type.
std::string MessageChart(const RunStats& s, int max_bars) {
  const int kW = 620, kH = 220, kLeft = 44, kBottom = 30, kTop = 12;
  std::string h = "<svg id=\"message-chart\" width=\"" + std::to_string(kW) +
                  "\" height=\"" + std::to_string(kH) + "\" role=\"img\">\n";
  if (s.messages_per_second.empty() || s.seconds == 0) {
    return h + "<text x=\"10\" y=\"20\">no replica messages</text></svg>\n";
  }
  // Busiest types first, at the bottom of each stack.
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& [type, bins] : s.messages_per_second) {
    int64_t total = 0;
    for (int64_t c : bins) total += c;
    order.push_back({-total, type});
  }
  std::sort(order.begin(), order.end());
  const auto group = static_cast<size_t>(
      (s.seconds + std::max(1, max_bars) - 1) / std::max(1, max_bars));
  const size_t n = (static_cast<size_t>(s.seconds) + group - 1) / group;
  // bars[k][i]: copies of type order[k] in bar i.
  std::vector<std::vector<int64_t>> bars(order.size(),
                                         std::vector<int64_t>(n, 0));
  for (size_t k = 0; k < order.size(); ++k) {
    const std::vector<int64_t>& bins =
        s.messages_per_second.at(order[k].second);
    for (size_t sec = 0; sec < bins.size(); ++sec)
      bars[k][sec / group] += bins[sec];
  }
  int64_t peak = 1;
  for (size_t i = 0; i < n; ++i) {
    int64_t sum = 0;
    for (size_t k = 0; k < order.size(); ++k) sum += bars[k][i];
    peak = std::max(peak, sum);
  }
  const double plot_w = kW - kLeft - 10, plot_h = kH - kTop - kBottom;
  const double bw = plot_w / static_cast<double>(n);
  auto num = [](double v) { return Printf("%.1f", v); };
  for (size_t i = 0; i < n; ++i) {
    double y = kTop + plot_h;
    for (size_t k = 0; k < order.size(); ++k) {
      const int64_t c = bars[k][i];
      if (c == 0) continue;
      const double bh = plot_h * static_cast<double>(c) / peak;
      y -= bh;
      h += "<rect x=\"" + num(kLeft + i * bw) + "\" y=\"" + num(y) +
           "\" width=\"" + num(std::max(0.5, bw - 1)) + "\" height=\"" +
           num(bh) + "\" fill=\"" + kTypeColors[k % std::size(kTypeColors)] +
           "\"><title>" + std::to_string(i * group) + "–" +
           std::to_string(std::min<size_t>((i + 1) * group, s.seconds)) +
           " s: " + Escape(order[k].second) + " " + std::to_string(c) +
           "</title></rect>\n";
    }
  }
  const size_t step = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i <= n; i += step) {
    h += "<text x=\"" + num(kLeft + i * bw) + "\" y=\"" + num(kH - 12) +
         "\" text-anchor=\"middle\">" + std::to_string(i * group) +
         " s</text>\n";
  }
  h += ChartFooter(kLeft, kTop, plot_w, plot_h, peak);
  if (group > 1) {
    h += "<p class=\"hint\">Each bar sums " + std::to_string(group) +
         " seconds.</p>\n";
  }
  h += "<div class=\"legend\">";
  for (size_t k = 0; k < order.size(); ++k) {
    h += std::string("<span><i style=\"background:") +
         kTypeColors[k % std::size(kTypeColors)] + "\"></i>" +
         Escape(order[k].second) + " " + std::to_string(-order[k].first) +
         "</span>";
  }
  h += "</div>\n";
  return h;
}

std::string Legend() {
  std::string h = "<div class=\"legend\">";
  const std::pair<const char*, const char*> items[] = {
      {"#9db4d3", "follower"},
      {"#f3dd8a", "precandidate"},
      {"#f0a04b", "candidate"},
      {"#3a9d5d", "leader"},
      {"#555555", "dead"},
      {"#eeeeee", "not started"},
      {"#dbe9ff", "partition side 0 (majority)"},
      {"#ffe3c9", "partition side 1"},
      {"#2e7d32", "request ok"},
      {"#1e88e5", "redirect"},
      {"#d81b60", "fail"},
      {"#111111", "unanswered"},
      {"#b00020", "random drops"},
      {"#7b1fa2", "fault"}};
  for (const auto& [color, name] : items) {
    h += std::string("<span><i style=\"background:") + color + "\"></i>" +
         name + "</span>";
  }
  return h + "</div>\n";
}

}  // namespace

std::string RenderHtmlReport(const RunStats& s, const HtmlOptions& o,
                             const LinearizabilityReport* lin) {
  std::string data =
      TimelineData(s, o).dump(-1, ' ', false, Json::error_handler_t::replace);
  // Inside <script>, "</" could close the element early; "<\/" is the same
  // JSON string.
  for (size_t pos = 0; (pos = data.find("</", pos)) != std::string::npos;) {
    data.replace(pos, 2, "<\\/");
  }
  const std::string title =
      "Run report: " + (s.has_run ? s.scenario : o.source) + " seed " +
      std::to_string(s.seed);
  std::string h;
  h +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>" + Escape(title) + "</title>\n<style>" + kReportCss +
       "</style>\n</head>\n<body data-status=\"loading\">\n";
  h += "<h1>" + Escape(title) + "</h1>\n<p class=\"hint\">trace " +
       Escape(o.source) + "</p>\n";
  if (lin != nullptr) h += RenderVerdictBanner(*lin);
  h += Summary(s);
  if (lin != nullptr) h += RenderLinearizabilitySection(*lin, o.violations);
  h += "<h2>Timeline</h2>\n" + Legend();
  h += "<p class=\"hint\">One lane per replica: role bar (T = term), then its "
       "client requests (gets above, puts below; ▼ elected leader, ✕ "
       "killed). Wheel: zoom, drag: pan, double-click: whole run. Hover for "
       "details.";
  if (s.roles_inferred) {
    h += " The trace has no role events (a live run: the replicas are other "
         "processes), so roles are inferred from what each replica sends: a "
         "vote means candidate, a message naming itself leader means leader, "
         "anything else follower.";
  }
  if (static_cast<int>(s.requests.size()) > o.max_marks) {
    h += " " + std::to_string(s.requests.size()) +
         " requests: marks are grouped in time buckets (colour: worst "
         "outcome in the bucket).";
  }
  h += "</p>\n<svg id=\"timeline\" height=\"200\"></svg>\n<div "
       "id=\"tip\"></div>\n";
  h += EventsList(s);
  h += "<div class=\"charts\">\n<div>\n<h2>Reply latency</h2>\n" +
       LatencyHistogram(s) + LatencyTable(s) + "</div>\n";
  h += "<div>\n<h2>Replica messages per second (every routed copy)</h2>\n" +
       MessageChart(s, o.max_message_bars) + "</div>\n</div>\n";
  h += "<script type=\"application/json\" id=\"run-data\">" + data +
       "</script>\n<script>" + kReportJs + "</script>\n</body>\n</html>\n";
  return h;
}

}  // namespace stepwise::analysis

#include "analysis/linearizability_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "analysis/html_util.h"

namespace stepwise::analysis {
namespace {

constexpr int kWidth = 960;
constexpr int kLabelW = 64;
constexpr int kRight = 28;  // room for the open ends of unknown puts
constexpr int kTop = 8;
constexpr int kRowH = 26;
constexpr int kBarH = 18;
constexpr int kAxisH = 34;
constexpr double kCharW = 6.6;  // 11 px system-ui, roughly

enum class Mark { kLinearized, kCannotPlace, kSkipped, kIrrelevant };

const char* MarkClass(Mark m) {
  switch (m) {
    case Mark::kLinearized:
      return "lin";
    case Mark::kCannotPlace:
      return "bad";
    case Mark::kSkipped:
      return "skipped";
    case Mark::kIrrelevant:
      return "idle";
  }
  return "";
}

const char* MarkFill(Mark m) {
  switch (m) {
    case Mark::kLinearized:
      return "#66bb6a";
    case Mark::kCannotPlace:
      return "#e53935";
    case Mark::kSkipped:
      return "#9e9e9e";
    case Mark::kIrrelevant:
      return "#e0e0e0";
  }
  return "#ccc";
}

std::string Num(double v) { return Printf("%.1f", v); }

// Attribute text for a data-tip: escaped, newlines kept.
std::string Tip(const std::string& s) {
  std::string out;
  for (char c : HtmlEscape(s)) {
    if (c == '\n') {
      out += "&#10;";
    } else {
      out += c;
    }
  }
  return out;
}

// At most `max` bytes of `v`, cut at a UTF-8 character boundary, with "…"
// when cut. "∅" for the empty value (an absent key).
std::string Short(const std::string& v, size_t max) {
  if (v.empty()) return "∅";
  if (v.size() <= max) return v;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return v.substr(0, n) + "…";
}

std::string OpLabel(const Operation& op, size_t max) {
  return op.kind == Operation::Kind::kPut ? "put(" + Short(op.value, max) + ")"
                                          : "get→" + Short(op.value, max);
}

bool Open(const Operation& op) {
  return op.outcome == Operation::Outcome::kUnknown;
}

std::string Ordinal(size_t n) {
  const size_t mod100 = n % 100;
  const char* suffix = "th";
  if (mod100 < 11 || mod100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

// A round step for about `target` ticks over `span`.
int64_t TickStep(int64_t span, int target) {
  const double raw = static_cast<double>(span) / target;
  const double mag = std::pow(10, std::floor(std::log10(std::max(raw, 1.0))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) return std::max<int64_t>(1, std::llround(m * mag));
  }
  return std::max<int64_t>(1, std::llround(10 * mag));
}

// The verdict in one sentence, and its CSS class (ok, bad, unknown).
std::string VerdictText(const LinearizabilityReport& r, std::string* cls) {
  const size_t ops = r.history.history.operations.size();
  using Verdict = CheckResult::Verdict;
  switch (r.result.verdict) {
    case Verdict::kLinearizable:
      *cls = "ok";
      return "Linearizable: the clients' " + std::to_string(ops) +
             " operations on " + std::to_string(r.keys) +
             " keys have a valid order.";
    case Verdict::kNotLinearizable:
      *cls = "bad";
      return "NOT linearizable: " + std::to_string(r.result.violations.size()) +
             (r.result.violations.size() == 1 ? " key has" : " keys have") +
             " no valid order of its operations.";
    case Verdict::kUnknown:
      *cls = "unknown";
      return "Linearizability unknown: the check ran out of its " +
             FormatUs(r.time_budget.count() * 1000) + " budget on " +
             std::to_string(r.result.unknown_keys.size()) + " of " +
             std::to_string(r.keys) +
             " keys (no violation in the keys it decided).";
    case Verdict::kInvalidHistory:
      *cls = "unknown";
      return "Linearizability not checked: the history read from the trace "
             "is malformed (" +
             r.result.error + ").";
  }
  return "";
}

}  // namespace

LinearizabilityReport CheckTraceHistory(TraceHistory history,
                                        std::chrono::milliseconds time_budget) {
  LinearizabilityReport r;
  r.time_budget = time_budget;
  CheckOptions options;
  options.time_budget = time_budget;
  r.result = CheckLinearizable(history.history, options);
  std::unordered_set<std::string_view> keys;
  for (const Operation& op : history.history.operations) keys.insert(op.key);
  r.keys = static_cast<int64_t>(keys.size());
  r.history = std::move(history);
  return r;
}

std::string RenderVerdictBanner(const LinearizabilityReport& r) {
  std::string cls;
  const std::string text = VerdictText(r, &cls);
  return "<div id=\"verdict\" class=\"verdict " + cls +
         "\"><a href=\"#linearizability\">" + HtmlEscape(text) + "</a></div>\n";
}

std::string RenderViolationSvg(const KeyViolation& v,
                               const std::vector<std::string>& mids,
                               int64_t run_end, int max_ops, int index) {
  std::unordered_map<uint64_t, size_t> order;  // id -> 1-based position
  for (size_t i = 0; i < v.linearized.size(); ++i) {
    order[v.linearized[i]] = i + 1;
  }
  std::unordered_set<uint64_t> skipped(v.skipped.begin(), v.skipped.end());
  // What the key holds after the prefix: its last put.
  std::unordered_map<uint64_t, const Operation*> by_id;
  for (const Operation& op : v.operations) by_id[op.id] = &op;
  std::string after_prefix;
  for (uint64_t id : v.linearized) {
    auto it = by_id.find(id);
    if (it != by_id.end() && it->second->kind == Operation::Kind::kPut) {
      after_prefix = it->second->value;
    }
  }
  auto mark_of = [&](const Operation& op) {
    if (order.count(op.id)) return Mark::kLinearized;
    if (skipped.count(op.id)) return Mark::kSkipped;
    return Open(op) ? Mark::kIrrelevant : Mark::kCannotPlace;
  };

  // Which operations: all, or a window around the first that cannot be
  // placed (the search's dead end).
  const std::vector<Operation>& all = v.operations;
  const size_t n = all.size();
  const size_t cap = static_cast<size_t>(std::max(1, max_ops));
  size_t lo = 0, hi = n;
  if (n > cap) {
    size_t first_bad = n - 1;
    for (size_t i = 0; i < n; ++i) {
      if (mark_of(all[i]) == Mark::kCannotPlace) {
        first_bad = i;
        break;
      }
    }
    lo = first_bad > cap / 2 ? first_bad - cap / 2 : 0;
    lo = std::min(lo, n - cap);
    hi = lo + cap;
  }

  // The time axis: the shown operations' invokes and replies.
  int64_t t0 = INT64_MAX, t1 = INT64_MIN;
  for (size_t i = lo; i < hi; ++i) {
    t0 = std::min(t0, all[i].invoke);
    t1 = std::max(t1, all[i].invoke);
    if (all[i].complete != kNever) t1 = std::max(t1, all[i].complete);
  }
  if (lo >= hi) t0 = t1 = 0;
  if (t1 <= t0) t1 = t0 + 1;
  // Room on the right for what stays open: unknown puts run on to the end.
  bool any_open = false;
  for (size_t i = lo; i < hi; ++i) any_open = any_open || Open(all[i]);
  if (any_open) t1 += (t1 - t0) / 5 + 1;
  const double plot_w = kWidth - kLabelW - kRight;
  auto x = [&](int64_t t) {
    return kLabelW +
           static_cast<double>(t - t0) / static_cast<double>(t1 - t0) * plot_w;
  };
  const double open_end = kWidth - 10;

  // Rows: clients in id order; a client's overlapping operations (clients
  // do not wait for a reply before the next request) take more rows.
  struct Placed {
    const Operation* op;
    double x0, x1;
    int row;  // within its client
  };
  std::map<NodeId, std::vector<Placed>> by_client;
  std::map<NodeId, std::vector<double>> row_ends;
  for (size_t i = lo; i < hi; ++i) {
    const Operation& op = all[i];
    const double x0 = x(op.invoke);
    const double x1 = Open(op) ? open_end : std::max(x(op.complete), x0 + 3);
    std::vector<double>& ends = row_ends[op.client];
    int row = 0;
    while (row < static_cast<int>(ends.size()) && ends[row] + 3 > x0) ++row;
    if (row == static_cast<int>(ends.size())) ends.push_back(0);
    ends[row] = x1;
    by_client[op.client].push_back(Placed{&op, x0, x1, row});
  }
  int rows = 0;
  std::map<NodeId, int> first_row;
  for (const auto& [client, ends] : row_ends) {
    first_row[client] = rows;
    rows += static_cast<int>(ends.size());
  }
  const int height = kTop + std::max(1, rows) * kRowH + kAxisH;
  const std::string hatch = "hatch-" + std::to_string(index);

  std::string h =
      "<svg class=\"violation\" id=\"violation-" + std::to_string(index) +
      "\" data-ops=\"" + std::to_string(hi - lo) + "\" width=\"" +
      std::to_string(kWidth) + "\" height=\"" + std::to_string(height) +
      "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " +
      std::to_string(height) + "\" role=\"img\">\n";
  h += "<defs><pattern id=\"" + hatch +
       "\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" "
       "fill=\"#fff\" fill-opacity=\"0.55\"/></pattern></defs>\n";

  // Client bands and labels.
  bool shade = false;
  for (const auto& [client, ends] : row_ends) {
    const int y = kTop + first_row[client] * kRowH;
    const int band = static_cast<int>(ends.size()) * kRowH;
    if (shade) {
      h += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"" +
           std::to_string(kWidth) + "\" height=\"" + std::to_string(band) +
           "\" fill=\"#f5f5f5\"/>\n";
    }
    shade = !shade;
    h += "<text x=\"6\" y=\"" + std::to_string(y + 17) +
         "\" font-weight=\"600\">" + NodeName(client) + "</text>\n";
  }

  // Time axis, relative to the first invoke shown.
  const int axis_y = kTop + std::max(1, rows) * kRowH + 4;
  const int64_t step = TickStep(t1 - t0, 8);
  for (int64_t t = 0; t0 + t <= t1; t += step) {
    const double tx = x(t0 + t);
    h += "<line x1=\"" + Num(tx) + "\" x2=\"" + Num(tx) + "\" y1=\"" +
         std::to_string(kTop) + "\" y2=\"" + std::to_string(axis_y + 4) +
         "\" stroke=\"#ddd\"/>\n<text x=\"" + Num(tx) + "\" y=\"" +
         std::to_string(axis_y + 16) + "\" text-anchor=\"middle\">+" +
         FormatUs(t) + "</text>\n";
  }
  h += "<text x=\"" + std::to_string(kWidth - 4) + "\" y=\"" +
       std::to_string(axis_y + 30) +
       "\" text-anchor=\"end\" fill=\"#777\">time from " + FormatUs(t0) +
       " into the run</text>\n";

  // The operations.
  for (const auto& [client, placed] : by_client) {
    for (const Placed& p : placed) {
      const Operation& op = *p.op;
      const Mark mark = mark_of(op);
      const double y =
          kTop + (first_row[client] + p.row) * kRowH + (kRowH - kBarH) / 2.0;
      const double w = std::max(3.0, p.x1 - p.x0);
      auto it = order.find(op.id);
      const size_t pos = it == order.end() ? 0 : it->second;
      const std::string mid = op.id < mids.size() ? mids[op.id] : "?";

      std::string tip =
          "operation " + std::to_string(op.id) + " (MID " + mid + "), client " +
          NodeName(op.client) + "\n" +
          (op.kind == Operation::Kind::kPut
               ? "put(" + op.value + ")"
               : "get → " +
                     (op.value.empty() ? std::string("absent") : op.value)) +
          "\ninvoked at " + FormatUs(op.invoke);
      if (!Open(op)) {
        tip += ", ok at " + FormatUs(op.complete) + " (after " +
               FormatUs(op.complete - op.invoke) + ")";
      } else if (op.complete != kNever) {
        tip += ", answered fail or redirect at " + FormatUs(op.complete) +
               ":\noutcome unknown, may take effect until the run's end (" +
               FormatUs(run_end) + ")";
      } else {
        tip +=
            ", never answered:\noutcome unknown, may take effect until "
            "the run's end (" +
            FormatUs(run_end) + ")";
      }
      switch (mark) {
        case Mark::kLinearized:
          tip += "\ntakes effect " + Ordinal(pos) +
                 " in the longest linearizable prefix";
          break;
        case Mark::kCannotPlace:
          tip +=
              "\ncannot be placed after that prefix (the key then holds " +
              (after_prefix.empty() ? std::string("nothing") : after_prefix) +
              ")";
          break;
        case Mark::kSkipped:
          tip += "\ntaken as never happening in that prefix";
          break;
        case Mark::kIrrelevant:
          tip += "\nno get read its value: it cannot matter";
          break;
      }

      h += "<rect class=\"op " + std::string(MarkClass(mark)) +
           "\" data-op=\"" + std::to_string(op.id) + "\"";
      if (pos > 0) h += " data-order=\"" + std::to_string(pos) + "\"";
      h += " x=\"" + Num(p.x0) + "\" y=\"" + Num(y) + "\" width=\"" + Num(w) +
           "\" height=\"" + std::to_string(kBarH) + "\" rx=\"2\" fill=\"" +
           MarkFill(mark) + "\" stroke=\"" +
           (mark == Mark::kCannotPlace ? "#b71c1c" : "#0005") +
           "\" data-tip=\"" + Tip(tip) + "\"/>\n";
      if (Open(op)) {
        h += "<rect x=\"" + Num(p.x0) + "\" y=\"" + Num(y) + "\" width=\"" +
             Num(w) + "\" height=\"" + std::to_string(kBarH) +
             "\" fill=\"url(#" + hatch +
             ")\" pointer-events=\"none\"/>\n<path d=\"M" + Num(p.x1) + "," +
             Num(y) + "l7," + Num(kBarH / 2.0) + "l-7," + Num(kBarH / 2.0) +
             "z\" fill=\"" + MarkFill(mark) + "\" pointer-events=\"none\"/>\n";
        if (op.complete != kNever && x(op.complete) < p.x1) {
          const double cx = x(op.complete);
          h += "<line x1=\"" + Num(cx) + "\" x2=\"" + Num(cx) + "\" y1=\"" +
               Num(y - 2) + "\" y2=\"" + Num(y + kBarH + 2) +
               "\" stroke=\"#333\" stroke-width=\"2\" "
               "pointer-events=\"none\"/>\n";
        }
      }
      // The label, if it fits: the order number, then the operation.
      const std::string number = pos > 0 ? std::to_string(pos) + ". " : "";
      const double room = (std::min(p.x1, open_end) - p.x0 - 6) / kCharW;
      std::string label;
      for (size_t max : {size_t{12}, size_t{6}, size_t{2}}) {
        std::string candidate = number + OpLabel(op, max);
        // "…", "→" and "∅" are one character but three bytes.
        double chars = 0;
        for (char c : candidate) {
          if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
        }
        if (chars <= room) {
          label = std::move(candidate);
          break;
        }
      }
      if (label.empty() && pos > 0 &&
          static_cast<double>(std::to_string(pos).size()) <= room) {
        label = std::to_string(pos);
      }
      if (!label.empty()) {
        h += "<text x=\"" + Num(p.x0 + 3) + "\" y=\"" + Num(y + 13) +
             "\" fill=\"" + (mark == Mark::kCannotPlace ? "#fff" : "#111") +
             "\" pointer-events=\"none\">" + HtmlEscape(label) + "</text>\n";
      }
    }
  }
  h +=
      "</svg>\n<p class=\"hint\">After the prefix the key holds " +
      (after_prefix.empty() ? std::string("nothing (absent)")
                            : "<code>" + HtmlEscape(after_prefix) + "</code>") +
      ", and no remaining operation can take effect next.</p>\n";
  if (lo > 0 || hi < n) {
    h += "<p class=\"hint\">Showing operations " + std::to_string(lo + 1) +
         "–" + std::to_string(hi) + " of the key's " + std::to_string(n) +
         " (in invoke order), around the first one that cannot be "
         "placed.</p>\n";
  }
  return h;
}

std::string RenderLinearizabilitySection(const LinearizabilityReport& r,
                                         const ViolationDrawing& drawing) {
  const TraceHistory& th = r.history;
  std::string h = "<h2 id=\"linearizability\">Linearizability</h2>\n";
  std::string cls;
  const std::string text = VerdictText(r, &cls);
  h += "<p class=\"verdict " + cls + "\">" + HtmlEscape(text) + "</p>\n";
  h += "<p class=\"hint\">History from the trace: " +
       std::to_string(th.history.operations.size()) + " operations from " +
       std::to_string(th.mids.size()) + " requests sent (" +
       std::to_string(th.puts_ok) + " puts ok, " +
       std::to_string(th.puts_unknown) +
       " puts with an unknown outcome: fail, redirect or no reply; " +
       std::to_string(th.gets_ok) +
       " gets ok). Left out: " + std::to_string(th.gets_left_out) +
       " gets without an ok, " + std::to_string(th.lost) +
       " requests sent to a dead replica. Each key is checked on its own "
       "as a register (Wing &amp; Gong's search with Lowe's memo, as "
       "Porcupine does): " +
       std::to_string(r.result.steps) + " search steps.</p>\n";
  if (!r.result.unknown_keys.empty() &&
      r.result.verdict != CheckResult::Verdict::kInvalidHistory) {
    h += "<p class=\"hint\">Undecided within the budget: " +
         std::to_string(r.result.unknown_keys.size()) + " keys, e.g. <code>" +
         HtmlEscape(r.result.unknown_keys.front()) + "</code>.</p>\n";
  }
  if (r.result.violations.empty()) return h;

  h += "<div class=\"legend\"><span><i style=\"background:#66bb6a\"></i>in the "
       "longest linearizable prefix (numbered in its order)</span><span><i "
       "style=\"background:#e53935\"></i>cannot be placed after it</span>"
       "<span><i style=\"background:#9e9e9e\"></i>unknown put taken as never "
       "happening</span><span><i style=\"background:#e0e0e0\"></i>unknown put "
       "nothing read</span><span>hatched, open to the right: unknown outcome "
       "(a black tick: its fail/redirect)</span></div>\n";
  h += "<p class=\"hint\">One row per client (more when its requests overlap); "
       "each bar spans a request from send to reply. Hover for "
       "details.</p>\n";
  const int shown = std::min<int>(drawing.max_keys,
                                  static_cast<int>(r.result.violations.size()));
  for (int k = 0; k < shown; ++k) {
    const KeyViolation& v = r.result.violations[k];
    h += "<div class=\"violation-key\" data-key=\"" + HtmlEscape(v.key) +
         "\">\n<h3>key <code>" + HtmlEscape(v.key) +
         "</code>: " + std::to_string(v.operations.size()) +
         " operations, a prefix of " + std::to_string(v.linearized.size()) +
         " linearizes</h3>\n";
    h += RenderViolationSvg(v, th.mids, th.end_t, drawing.max_ops, k);
    h += "</div>\n";
  }
  if (shown < static_cast<int>(r.result.violations.size())) {
    h += "<p>And " + std::to_string(r.result.violations.size() - shown) +
         " more keys without a valid order:";
    for (size_t k = shown;
         k < r.result.violations.size() && k < static_cast<size_t>(shown) + 20;
         ++k) {
      h += " <code>" + HtmlEscape(r.result.violations[k].key) + "</code>";
    }
    h += r.result.violations.size() > static_cast<size_t>(shown) + 20
             ? " …</p>\n"
             : "</p>\n";
  }
  return h;
}

}  // namespace stepwise::analysis

#include "analysis/trace_reader.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <utility>

namespace stepwise::analysis {
namespace {

using Json = nlohmann::json;

struct KindName {
  EventKind kind;
  const char* name;
};

constexpr KindName kKinds[] = {
    {EventKind::kRun, "run"},
    {EventKind::kStart, "start"},
    {EventKind::kHello, "hello"},
    {EventKind::kTimer, "timer"},
    {EventKind::kRequest, "request"},
    {EventKind::kRequestLost, "request_lost"},
    {EventKind::kGetNotGenerated, "get_not_generated"},
    {EventKind::kReply, "reply"},
    {EventKind::kIncorrect, "incorrect"},
    {EventKind::kRoute, "route"},
    {EventKind::kLost, "lost"},
    {EventKind::kDeliver, "deliver"},
    {EventKind::kStorm, "storm"},
    {EventKind::kRole, "role"},
    {EventKind::kLeader, "leader"},
    {EventKind::kCommit, "commit"},
    {EventKind::kCrash, "crash"},
    {EventKind::kFault, "fault"},
    {EventKind::kEnd, "end"},
};

bool ParseNode(std::string_view s, Node* out) {
  if (s.size() != 4) return false;
  int v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v * 16 + d;
  }
  *out = v;
  return true;
}

// Typed access to one line's fields. The first problem is kept in `error`;
// later calls are no-ops, so a kind's fields can be read in one sequence.
class Fields {
 public:
  explicit Fields(const Json& j) : j_(j) {}

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  void Int(const char* key, int64_t* out, bool required = true) {
    const Json* v = Find(key, required);
    if (v == nullptr) return;
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail(key, "integer out of range");
        return;
      }
      *out = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
      *out = v->get<int64_t>();
    } else {
      Fail(key, "expected integer");
    }
  }

  void Str(const char* key, std::string* out, bool required = true) {
    const Json* v = Find(key, required);
    if (v == nullptr) return;
    if (!v->is_string()) {
      Fail(key, "expected string");
      return;
    }
    *out = v->get<std::string>();
  }

  void Bool(const char* key, bool* out, bool required = true) {
    const Json* v = Find(key, required);
    if (v == nullptr) return;
    if (!v->is_boolean()) {
      Fail(key, "expected boolean");
      return;
    }
    *out = v->get<bool>();
  }

  void Double(const char* key, std::optional<double>* out) {
    const Json* v = Find(key, /*required=*/false);
    if (v == nullptr) return;
    if (!v->is_number()) {
      Fail(key, "expected number");
      return;
    }
    *out = v->get<double>();
  }

  void Id(const char* key, Node* out, bool required = true) {
    std::string s;
    Str(key, &s, required);
    if (!ok() || (!required && !j_.contains(key))) return;
    if (!ParseNode(s, out)) Fail(key, "expected a node id (4 hex digits)");
  }

  // A partition side: node ids separated by single spaces (may be empty).
  void IdList(const char* key, std::vector<Node>* out) {
    std::string s;
    Str(key, &s);
    if (!ok()) return;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t end = s.find(' ', pos);
      if (end == std::string::npos) end = s.size();
      Node n;
      if (!ParseNode(std::string_view(s).substr(pos, end - pos), &n)) {
        Fail(key, "expected node ids separated by spaces");
        return;
      }
      out->push_back(n);
      pos = end + 1;
    }
  }

  bool Has(const char* key) const { return j_.contains(key); }

 private:
  const Json* Find(const char* key, bool required) {
    if (!ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) Fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }

  void Fail(const char* key, const std::string& what) {
    if (ok()) error_ = std::string("field \"") + key + "\": " + what;
  }

  const Json& j_;
  std::string error_;
};

void ReadMessage(Fields& f, TracedMessage* m) {
  f.Id("src", &m->src);
  f.Id("dst", &m->dst);
  f.Id("leader", &m->leader);
  f.Str("type", &m->type);
  if (!f.ok()) return;
  const std::string& type = m->type;
  std::string ignored_s;
  int64_t ignored_i;
  bool ignored_b;
  if (type == "get" || type == "put" || type == "ok" || type == "redirect" ||
      type == "fail") {
    f.Str("mid", &m->mid);
    if (type == "get" || type == "put") f.Str("key", &ignored_s);
    if (type == "put") f.Str("value", &ignored_s);
    if (type == "ok") f.Str("value", &ignored_s, /*required=*/false);
  } else if (type == "vote" || type == "vote_reply") {
    f.Int("term", &m->term);
    if (type == "vote") {
      f.Int("last_index", &ignored_i);
      f.Int("last_term", &ignored_i);
    } else {
      f.Bool("granted", &ignored_b);
    }
    f.Bool("pre_vote", &ignored_b);
  } else if (type == "append") {
    f.Int("term", &m->term);
    f.Int("prev_index", &ignored_i);
    f.Int("prev_term", &ignored_i);
    f.Int("entries", &ignored_i);
    f.Int("commit", &ignored_i);
  } else if (type == "append_reply") {
    f.Int("term", &m->term);
    f.Bool("success", &ignored_b);
    f.Int("match", &ignored_i);
    f.Int("conflict_term", &ignored_i, /*required=*/false);
    f.Int("conflict_index", &ignored_i, /*required=*/false);
  }
  // "hello" has no body; other types are newer than this reader: their
  // body is not checked, but the envelope above was.
}

void ReadBody(Fields& f, const Json& j, TraceEvent* e) {
  switch (e->kind) {
    case EventKind::kRun:
      f.Str("scenario", &e->scenario);
      f.Int("seed", &e->seed);
      f.Int("replicas", &e->replicas);
      f.Int("requests", &e->requests);
      break;
    case EventKind::kStart:
    case EventKind::kHello:
    case EventKind::kTimer:
      f.Id("replica", &e->replica);
      break;
    case EventKind::kRequest:
      ReadMessage(f, &e->msg);
      f.Bool("retry", &e->retry);
      break;
    case EventKind::kRequestLost:
    case EventKind::kDeliver:
      ReadMessage(f, &e->msg);
      break;
    case EventKind::kGetNotGenerated:
      f.Int("request", &e->request);
      break;
    case EventKind::kReply:
      ReadMessage(f, &e->msg);
      f.Str("verdict", &e->verdict);
      f.Int("latency_us", &e->latency_us);
      break;
    case EventKind::kIncorrect:
    case EventKind::kLost:
      ReadMessage(f, &e->msg);
      f.Str("why", &e->why);
      break;
    case EventKind::kRoute:
      ReadMessage(f, &e->msg);
      f.Id("to", &e->to);
      f.Str("fate", &e->fate);
      f.Bool("duplicate", &e->duplicate);
      {
        int64_t extra;
        f.Int("extra_us", &extra);
      }
      break;
    case EventKind::kStorm:
      f.Int("total_messages", &e->total_messages);
      break;
    case EventKind::kRole:
      f.Id("replica", &e->replica);
      f.Str("role", &e->role);
      f.Int("term", &e->term);
      break;
    case EventKind::kLeader:
      f.Id("replica", &e->replica);
      f.Id("leader", &e->leader);
      break;
    case EventKind::kCommit:
      f.Id("replica", &e->replica);
      f.Int("index", &e->index);
      break;
    case EventKind::kCrash:
      f.Id("replica", &e->replica);
      f.Str("what", &e->what);
      break;
    case EventKind::kFault:
      f.Str("kind", &e->fault_kind);
      if (f.Has("killed")) {
        Node n;
        f.Id("killed", &n);
        if (f.ok()) e->killed.push_back(n);
      }
      for (int s = 0; f.ok(); ++s) {
        std::string key = "side" + std::to_string(s);
        if (!j.contains(key)) break;
        e->sides.emplace_back();
        f.IdList(key.c_str(), &e->sides.back());
      }
      f.Double("probability", &e->probability);
      f.Str("note", &e->note, /*required=*/false);
      break;
    case EventKind::kEnd:
      f.Bool("storm", &e->storm);
      f.Int("total_messages", &e->total_messages);
      f.Int("unanswered_gets", &e->unanswered_gets);
      f.Int("unanswered_puts", &e->unanswered_puts);
      break;
  }
}

// The trace writes one "killed" key per replica a fault killed; a JSON
// object keeps only the last of repeated keys, so collect them all here.
std::vector<std::string> AllKilled(const std::string& text) {
  std::vector<std::string> values;
  bool next_is_killed = false;
  Json::parser_callback_t cb = [&](int depth, Json::parse_event_t event,
                                   Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key) {
      next_is_killed = parsed.is_string() && parsed == "killed";
    } else if (depth == 1 && event == Json::parse_event_t::value) {
      if (next_is_killed && parsed.is_string()) {
        values.push_back(parsed.get<std::string>());
      }
      next_is_killed = false;
    }
    return true;
  };
  Json::parse(text, cb, /*allow_exceptions=*/false);
  return values;
}

}  // namespace

const char* EventKindName(EventKind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

std::string ParseTraceLine(const std::string& text, TraceEvent* e) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "not valid JSON (truncated line?)";
  if (!j.is_object()) return "expected a JSON object";
  Fields f(j);
  f.Int("t", &e->t);
  std::string ev;
  f.Str("ev", &ev);
  if (!f.ok()) return f.error();
  if (e->t < 0) return "field \"t\": negative time";
  bool known = false;
  for (const KindName& k : kKinds) {
    if (ev == k.name) {
      e->kind = k.kind;
      known = true;
      break;
    }
  }
  if (!known) return "unknown event kind \"" + ev + "\"";
  ReadBody(f, j, e);
  if (!f.ok()) return f.error();
  if (e->kind == EventKind::kFault && !e->killed.empty() &&
      text.find("\"killed\"") != text.rfind("\"killed\"")) {
    e->killed.clear();
    for (const std::string& s : AllKilled(text)) {
      Node n;
      if (!ParseNode(s, &n)) {
        return "field \"killed\": expected a node id (4 hex digits)";
      }
      e->killed.push_back(n);
    }
  }
  return "";
}

ReadResult ReadTrace(std::istream& in, const std::string& name) {
  ReadResult result;
  std::string text;
  int line = 0;
  int64_t last_t = 0;
  while (std::getline(in, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty()) continue;
    TraceEvent e;
    e.line = line;
    std::string error = ParseTraceLine(text, &e);
    if (error.empty() && e.t < last_t) {
      error = "field \"t\": time goes backwards (" + std::to_string(e.t) +
              " after " + std::to_string(last_t) + ")";
    }
    if (!error.empty()) {
      result.events.clear();
      result.error = name + ":" + std::to_string(line) + ": " + error;
      return result;
    }
    last_t = e.t;
    result.events.push_back(std::move(e));
  }
  if (in.bad()) {
    result.error = name + ":" + std::to_string(line + 1) + ": read error";
    result.events.clear();
  } else if (result.events.empty()) {
    result.error = name + ": no events (empty trace)";
  }
  return result;
}

ReadResult ReadTraceFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ReadResult result;
    result.error = path + ": cannot open";
    return result;
  }
  return ReadTrace(in, path);
}

}  // namespace stepwise::analysis

#include "analysis/trace_reader.h"

#include <cstdint>
#include <fstream>
#include <string_view>
#include <utility>

#include "analysis/flat_json.h"

namespace stepwise::analysis {
namespace {

struct KindName {
  EventKind kind;
  std::string_view name;  // of a string literal, so null-terminated
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
    {EventKind::kViolation, "violation"},
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
  explicit Fields(const FlatObject& j) : j_(j) {}

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  void Int(const char* key, int64_t* out, bool required = true) {
    const FlatField* v = Find(key, required);
    if (v == nullptr) return;
    if (v->kind == FlatField::Kind::kInt) {
      *out = v->i;
    } else if (v->kind == FlatField::Kind::kBigInt) {
      Fail(key, "integer out of range");
    } else {
      Fail(key, "expected integer");
    }
  }

  void Str(const char* key, std::string* out, bool required = true) {
    const FlatField* v = Find(key, required);
    if (v == nullptr) return;
    if (v->kind != FlatField::Kind::kString) {
      Fail(key, "expected string");
      return;
    }
    out->assign(v->str);
  }

  void Bool(const char* key, bool* out, bool required = true) {
    const FlatField* v = Find(key, required);
    if (v == nullptr) return;
    if (v->kind != FlatField::Kind::kBool) {
      Fail(key, "expected boolean");
      return;
    }
    *out = v->b;
  }

  void Double(const char* key, std::optional<double>* out) {
    const FlatField* v = Find(key, /*required=*/false);
    if (v == nullptr) return;
    if (v->kind != FlatField::Kind::kInt &&
        v->kind != FlatField::Kind::kBigInt &&
        v->kind != FlatField::Kind::kDouble) {
      Fail(key, "expected number");
      return;
    }
    *out = v->d;
  }

  void Id(const char* key, Node* out, bool required = true) {
    const FlatField* v = Find(key, required);
    if (v == nullptr) return;
    if (v->kind != FlatField::Kind::kString) {
      Fail(key, "expected string");
    } else if (!ParseNode(v->str, out)) {
      Fail(key, "expected a node id (4 hex digits)");
    }
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

  // Every value of a key that may repeat, in order.
  void Ids(const char* key, std::vector<Node>* out) {
    for (const FlatField& f : j_.fields()) {
      if (!ok()) return;
      if (f.key != key) continue;
      Node n;
      if (f.kind != FlatField::Kind::kString) {
        Fail(key, "expected string");
      } else if (!ParseNode(f.str, &n)) {
        Fail(key, "expected a node id (4 hex digits)");
      } else {
        out->push_back(n);
      }
    }
  }

  bool Has(const char* key) const { return j_.Find(key) != nullptr; }

 private:
  const FlatField* Find(const char* key, bool required) {
    if (!ok()) return nullptr;
    const FlatField* f = j_.Find(key);
    if (f == nullptr && required) Fail(key, "missing");
    return f;
  }

  void Fail(const char* key, const std::string& what) {
    if (ok()) error_ = std::string("field \"") + key + "\": " + what;
  }

  const FlatObject& j_;
  std::string error_;
};

void ReadMessage(Fields& f, TracedMessage* m) {
  f.Id("src", &m->src);
  f.Id("dst", &m->dst);
  f.Id("leader", &m->leader);
  f.Str("type", &m->type);
  if (!f.ok()) return;
  const std::string& type = m->type;
  int64_t ignored_i;
  bool ignored_b;
  if (type == "get" || type == "put" || type == "ok" || type == "redirect" ||
      type == "fail") {
    f.Str("mid", &m->mid);
    if (type == "get" || type == "put") f.Str("key", &m->key);
    if (type == "put" || (type == "ok" && f.Has("value"))) {
      f.Str("value", &m->value);
      m->has_value = true;
    }
  } else if (type == "vote" || type == "vote_reply") {
    f.Int("term", &m->term);
    if (type == "vote") {
      f.Int("last_index", &ignored_i);
      f.Int("last_term", &ignored_i);
    } else {
      f.Bool("granted", &ignored_b);
    }
    f.Bool("pre_vote", &m->pre_vote);
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

void ReadBody(Fields& f, TraceEvent* e) {
  switch (e->kind) {
    case EventKind::kRun:
      f.Str("scenario", &e->scenario);
      f.Int("seed", &e->seed);
      // Live mode knows neither in advance; it names the replica binary.
      f.Int("replicas", &e->replicas, /*required=*/false);
      f.Int("requests", &e->requests, /*required=*/false);
      f.Str("binary", &e->binary, /*required=*/false);
      break;
    case EventKind::kStart:
    case EventKind::kHello:
    case EventKind::kTimer:
      f.Id("replica", &e->replica);
      break;
    case EventKind::kRequest:
      ReadMessage(f, &e->msg);
      e->has_msg = true;
      f.Bool("retry", &e->retry);
      break;
    case EventKind::kRequestLost:
    case EventKind::kDeliver:
      ReadMessage(f, &e->msg);
      e->has_msg = true;
      break;
    case EventKind::kGetNotGenerated:
      f.Int("request", &e->request);
      break;
    case EventKind::kReply:
      ReadMessage(f, &e->msg);
      e->has_msg = true;
      f.Str("verdict", &e->verdict);
      f.Int("latency_us", &e->latency_us);
      break;
    case EventKind::kIncorrect:
      // Live mode: a datagram that could not be decoded has no message.
      if (f.Has("src") || f.Has("type")) {
        ReadMessage(f, &e->msg);
        e->has_msg = true;
      }
      f.Str("why", &e->why);
      break;
    case EventKind::kLost:
      ReadMessage(f, &e->msg);
      e->has_msg = true;
      f.Str("why", &e->why);
      break;
    case EventKind::kRoute:
      ReadMessage(f, &e->msg);
      e->has_msg = true;
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
    case EventKind::kViolation:
      f.Id("replica", &e->replica);
      f.Str("property", &e->what);
      f.Str("detail", &e->note);
      break;
    case EventKind::kFault:
      f.Str("kind", &e->fault_kind);
      // One "killed" key per replica killed.
      f.Ids("killed", &e->killed);
      for (int s = 0; f.ok(); ++s) {
        std::string key = "side" + std::to_string(s);
        if (!f.Has(key.c_str())) break;
        e->sides.emplace_back();
        f.IdList(key.c_str(), &e->sides.back());
      }
      f.Double("probability", &e->probability);
      f.Str("note", &e->note, /*required=*/false);
      break;
    case EventKind::kEnd:
      f.Bool("storm", &e->storm);
      f.Int("total_messages", &e->total_messages);
      // Live mode leaves the unanswered counts to the report.
      f.Int("unanswered_gets", &e->unanswered_gets, /*required=*/false);
      f.Int("unanswered_puts", &e->unanswered_puts, /*required=*/false);
      break;
  }
}

}  // namespace

const char* EventKindName(EventKind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k.name.data();
  }
  return "?";
}

std::string ParseTraceLine(const std::string& text, TraceEvent* e) {
  // One parser per thread: its buffers are reused from line to line.
  thread_local FlatObject j;
  const std::string error = j.Parse(text);
  if (error == "expected a JSON object") return error;
  if (!error.empty()) return "not valid JSON: " + error;
  Fields f(j);
  f.Int("t", &e->t);
  const FlatField* ev_field = j.Find("ev");
  std::string ev;
  f.Str("ev", &ev);
  if (!f.ok()) return f.error();
  if (e->t < 0) return "field \"t\": negative time";
  const std::string_view ev_name = ev_field->str;
  bool known = false;
  for (const KindName& k : kKinds) {
    if (ev_name == k.name) {
      e->kind = k.kind;
      known = true;
      break;
    }
  }
  if (!known) return "unknown event kind \"" + ev + "\"";
  ReadBody(f, e);
  return f.error();
}

std::string ForEachTraceEvent(
    std::istream& in, const std::string& name,
    const std::function<void(const TraceEvent&)>& visit) {
  std::string text;
  int line = 0;
  int64_t last_t = 0;
  bool any = false;
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
    if (!error.empty()) return name + ":" + std::to_string(line) + ": " + error;
    last_t = e.t;
    any = true;
    visit(e);
  }
  if (in.bad()) return name + ":" + std::to_string(line + 1) + ": read error";
  if (!any) return name + ": no events (empty trace)";
  return "";
}

ReadResult ReadTrace(std::istream& in, const std::string& name) {
  ReadResult result;
  result.error = ForEachTraceEvent(
      in, name, [&result](const TraceEvent& e) { result.events.push_back(e); });
  if (!result.ok()) result.events.clear();
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

#include "simulator/trace.h"

#include <cstdio>
#include <variant>

namespace stepwise::sim {
namespace {

constexpr size_t kFlushBytes = 1 << 16;

void AppendEscaped(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

}  // namespace

void Trace::Flush() {
  if (out_ == nullptr || buffer_.empty()) return;
  out_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  out_->flush();
  buffer_.clear();
}

Trace::Line::Line(Trace* trace, Micros t, std::string_view event)
    : trace_(trace) {
  if (trace_ == nullptr) return;
  std::string& b = trace_->buffer_;
  b += "{\"t\":";
  b += std::to_string(t);
  b += ",\"ev\":";
  AppendEscaped(&b, event);
}

Trace::Line::~Line() {
  if (trace_ == nullptr) return;
  trace_->buffer_ += "}\n";
  if (trace_->buffer_.size() >= kFlushBytes) trace_->Flush();
}

void Trace::Line::Key(std::string_view key) {
  std::string& b = trace_->buffer_;
  b.push_back(',');
  AppendEscaped(&b, key);
  b.push_back(':');
}

Trace::Line& Trace::Line::Str(std::string_view key, std::string_view value) {
  if (trace_ == nullptr) return *this;
  Key(key);
  AppendEscaped(&trace_->buffer_, value);
  return *this;
}

Trace::Line& Trace::Line::Int(std::string_view key, int64_t value) {
  if (trace_ == nullptr) return *this;
  Key(key);
  trace_->buffer_ += std::to_string(value);
  return *this;
}

Trace::Line& Trace::Line::Id(std::string_view key, NodeId id) {
  if (trace_ == nullptr) return *this;
  return Str(key, FormatNodeId(id));
}

Trace::Line& Trace::Line::Bool(std::string_view key, bool value) {
  if (trace_ == nullptr) return *this;
  Key(key);
  trace_->buffer_ += value ? "true" : "false";
  return *this;
}

Trace::Line& Trace::Line::Msg(const Message& m) {
  if (trace_ == nullptr) return *this;
  Id("src", m.src).Id("dst", m.dst).Id("leader", m.leader);
  Str("type", TypeName(m.body));
  std::visit(
      [this](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, GetRequest>) {
          Str("mid", body.mid).Str("key", body.key);
        } else if constexpr (std::is_same_v<T, PutRequest>) {
          Str("mid", body.mid).Str("key", body.key).Str("value", body.value);
        } else if constexpr (std::is_same_v<T, ClientReply>) {
          Str("mid", body.mid);
          if (body.value) Str("value", *body.value);
        } else if constexpr (std::is_same_v<T, VoteRequest>) {
          Int("term", static_cast<int64_t>(body.term))
              .Int("last_index", static_cast<int64_t>(body.last_log_index))
              .Int("last_term", static_cast<int64_t>(body.last_log_term))
              .Bool("pre_vote", body.pre_vote);
        } else if constexpr (std::is_same_v<T, VoteReply>) {
          Int("term", static_cast<int64_t>(body.term))
              .Bool("granted", body.granted)
              .Bool("pre_vote", body.pre_vote);
          if (body.log_ahead) Bool("log_ahead", true);
        } else if constexpr (std::is_same_v<T, AppendEntries>) {
          Int("term", static_cast<int64_t>(body.term))
              .Int("prev_index", static_cast<int64_t>(body.prev_index))
              .Int("prev_term", static_cast<int64_t>(body.prev_term))
              .Int("entries", static_cast<int64_t>(body.entries.size()))
              .Int("commit", static_cast<int64_t>(body.commit));
        } else if constexpr (std::is_same_v<T, AppendReply>) {
          Int("term", static_cast<int64_t>(body.term))
              .Bool("success", body.success)
              .Int("match", static_cast<int64_t>(body.match_index));
          if (!body.success) {
            Int("conflict_term", static_cast<int64_t>(body.conflict_term))
                .Int("conflict_index",
                     static_cast<int64_t>(body.conflict_index));
          }
        }
      },
      m.body);
  return *this;
}

}  // namespace stepwise::sim

#include "replica/codec.h"

#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

// Wire format. Every datagram is one JSON object with "src", "dst", "leader"
// (4 hex digits each), "type", and between replicas "seq" (Message::seq,
// left out when 0). Fields by type (unknown extra fields are
// ignored, since the harness may add some):
//
//   hello
//   get           MID, key
//   put           MID, key, value
//   ok            MID, value (only on a get's ok)
//   redirect      MID
//   fail          MID
//   vote          term, last_index, last_term, pre_vote
//   vote_reply    term, granted, pre_vote, log_ahead?, last_index?,
//                 last_term?
//   append        term, prev_index, prev_term, commit, sent_at,
//                 entries: [{term, key, value, client, MID, get?, answerer?},
//                 ...], relay?, via?, stored_by?, confirmed?, ack_delay?,
//                 quiet_for?, idle?
//   append_reply  term, success, match_index, conflict_term, conflict_index,
//                 sent_at, via?, via_match?, commit?, via_commit?,
//                 chain_received?, link_arrived?, link_lost?
//
// Terms and indexes are unsigned JSON integers, sent_at, ack_delay and
// quiet_for signed ones, flags JSON booleans, "client" and "answerer"
// 4-hex-digit ids like the addresses, relay and via arrays of them. Fields
// marked ? are left out when they hold their default (messages.h), which
// keeps the common datagram small.

namespace stepwise {
namespace {

using Json = nlohmann::json;
// Encoding keeps insertion order so that datagrams read src, dst, leader,
// type first in logs and captures.
using OrderedJson = nlohmann::ordered_json;

// Reads typed fields out of one JSON object, recording the first failure
// (with the field's name) in the result. Strings are moved out of the
// object, which the decoder owns and throws away afterwards.
class FieldReader {
 public:
  // `entry` >= 0 reads entries[entry] of an append: messages then name the
  // field "entries[3].term" (built only on failure, off the hot path).
  FieldReader(Json& object, DecodeResult* result, int64_t entry = -1)
      : object_(object), result_(result), entry_(entry) {}

  bool String(const char* name, std::string* out) {
    Json* field = Find(name);
    if (field == nullptr) return false;
    return TakeString(name, field, out);
  }

  // Absent is fine; present but not a string is not.
  bool OptionalString(const char* name, std::optional<std::string>* out) {
    auto it = object_.find(name);
    if (it == object_.end()) {
      out->reset();
      return true;
    }
    return TakeString(name, &*it, &out->emplace());
  }

  bool Unsigned(const char* name, uint64_t* out) {
    Json* field = Find(name);
    if (field == nullptr) return false;
    const auto* number = field->get_ptr<const Json::number_unsigned_t*>();
    if (number == nullptr) return Bad(name, "expected unsigned integer");
    *out = *number;
    return true;
  }

  bool Signed(const char* name, int64_t* out) {
    Json* field = Find(name);
    if (field == nullptr) return false;
    // Unsigned first: get_ptr<number_integer_t*> also matches an unsigned
    // value and would read 2^63 as INT64_MIN.
    if (const auto* u = field->get_ptr<const Json::number_unsigned_t*>()) {
      if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *out = static_cast<int64_t>(*u);
        return true;
      }
    } else if (const auto* s =
                   field->get_ptr<const Json::number_integer_t*>()) {
      *out = *s;
      return true;
    }
    return Bad(name, "expected signed 64-bit integer");
  }

  bool Bool(const char* name, bool* out) {
    Json* field = Find(name);
    if (field == nullptr) return false;
    const auto* flag = field->get_ptr<const Json::boolean_t*>();
    if (flag == nullptr) return Bad(name, "expected boolean");
    *out = *flag;
    return true;
  }

  bool Node(const char* name, NodeId* out) {
    Json* field = Find(name);
    if (field == nullptr) return false;
    return NodeValue(name, *field, out);
  }

  // The Optional* readers leave `out` alone when the field is absent.
  bool OptionalUnsigned(const char* name, uint64_t* out) {
    return !Has(name) || Unsigned(name, out);
  }
  bool OptionalUnsigned32(const char* name, uint32_t* out) {
    uint64_t wide = *out;
    if (!OptionalUnsigned(name, &wide)) return false;
    if (wide > std::numeric_limits<uint32_t>::max()) {
      return Bad(name, "expected unsigned 32-bit integer");
    }
    *out = static_cast<uint32_t>(wide);
    return true;
  }
  bool OptionalSigned(const char* name, int64_t* out) {
    return !Has(name) || Signed(name, out);
  }
  bool OptionalBool(const char* name, bool* out) {
    return !Has(name) || Bool(name, out);
  }
  bool OptionalNode(const char* name, NodeId* out) {
    return !Has(name) || Node(name, out);
  }
  bool OptionalNodes(const char* name, std::vector<NodeId>* out) {
    if (!Has(name)) return true;
    Json* field = Find(name);
    const auto* array = field->get_ptr<const Json::array_t*>();
    if (array == nullptr) return Bad(name, "expected array");
    out->resize(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      if (!NodeValue(name, (*array)[i], &(*out)[i])) return false;
    }
    return true;
  }

  bool Has(const char* name) const { return object_.contains(name); }

  // The field, or null (with kMissingField recorded) if absent.
  Json* Find(const char* name) {
    auto it = object_.find(name);
    if (it == object_.end()) {
      result_->error = DecodeError::kMissingField;
      result_->detail = "missing field \"" + FieldName(name) + "\"";
      return nullptr;
    }
    return &*it;
  }

  bool Bad(const char* name, const char* what) {
    result_->error = DecodeError::kBadField;
    result_->detail = "field \"" + FieldName(name) + "\": " + what;
    return false;
  }

 private:
  std::string FieldName(const char* name) const {
    if (entry_ < 0) return name;
    return "entries[" + std::to_string(entry_) + "]." + name;
  }

  bool NodeValue(const char* name, const Json& field, NodeId* out) {
    const auto* text = field.get_ptr<const std::string*>();
    if (text == nullptr) return Bad(name, "expected string");
    if (!ParseNodeId(*text, out)) return Bad(name, "expected 4 hex digits");
    return true;
  }

  bool TakeString(const char* name, Json* field, std::string* out) {
    auto* text = field->get_ptr<std::string*>();
    if (text == nullptr) return Bad(name, "expected string");
    *out = std::move(*text);
    return true;
  }

  Json& object_;
  DecodeResult* result_;
  int64_t entry_;
};

bool DecodeEntry(Json& json, size_t i, DecodeResult* result, LogEntry* entry,
                 NodeId* answerer) {
  if (!json.is_object()) {
    result->error = DecodeError::kBadField;
    result->detail =
        "field \"entries[" + std::to_string(i) + "]\": expected object";
    return false;
  }
  FieldReader r(json, result, static_cast<int64_t>(i));
  return r.Unsigned("term", &entry->term) && r.String("key", &entry->key) &&
         r.String("value", &entry->value) && r.Node("client", &entry->client) &&
         r.String("MID", &entry->mid) &&
         r.OptionalBool("get", &entry->is_get) &&
         r.OptionalNode("answerer", answerer);
}

// Entries, and their answerers (left empty when no entry names one).
bool DecodeEntries(FieldReader& r, DecodeResult* result,
                   std::vector<LogEntry>* entries,
                   std::vector<NodeId>* answerers) {
  Json* field = r.Find("entries");
  if (field == nullptr) return false;
  auto* array = field->get_ptr<Json::array_t*>();
  if (array == nullptr) return r.Bad("entries", "expected array");
  entries->resize(array->size());
  answerers->assign(array->size(), kNoNode);
  bool any = false;
  for (size_t i = 0; i < array->size(); ++i) {
    if (!DecodeEntry((*array)[i], i, result, &(*entries)[i],
                     &(*answerers)[i])) {
      return false;
    }
    any = any || (*answerers)[i] != kNoNode;
  }
  if (!any) answerers->clear();
  return true;
}

// At most 32 bytes of `text` for a message, cut at a UTF-8 boundary.
std::string Excerpt(const std::string& text) {
  constexpr size_t kMax = 32;
  if (text.size() <= kMax) return text;
  size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end) + "...";
}

// Fills message->body from the type-specific fields. On failure the reader
// has recorded why, except for an unknown type, recorded here.
bool DecodeBody(const std::string& type, FieldReader& r, DecodeResult* result,
                Message* message) {
  if (type == "append") {
    AppendEntries& m = message->body.emplace<AppendEntries>();
    return r.Unsigned("term", &m.term) &&
           r.Unsigned("prev_index", &m.prev_index) &&
           r.Unsigned("prev_term", &m.prev_term) &&
           r.Unsigned("commit", &m.commit) && r.Signed("sent_at", &m.sent_at) &&
           DecodeEntries(r, result, &m.entries, &m.answerers) &&
           r.OptionalNodes("relay", &m.relay) &&
           r.OptionalNodes("via", &m.via) &&
           r.OptionalUnsigned32("stored_by", &m.stored_by) &&
           r.OptionalUnsigned("confirmed", &m.confirmed) &&
           r.OptionalSigned("ack_delay", &m.ack_delay) &&
           r.OptionalSigned("quiet_for", &m.quiet_for) &&
           r.OptionalBool("idle", &m.idle);
  }
  if (type == "append_reply") {
    AppendReply& m = message->body.emplace<AppendReply>();
    return r.Unsigned("term", &m.term) && r.Bool("success", &m.success) &&
           r.Unsigned("match_index", &m.match_index) &&
           r.Unsigned("conflict_term", &m.conflict_term) &&
           r.Unsigned("conflict_index", &m.conflict_index) &&
           r.Signed("sent_at", &m.sent_at) && r.OptionalNodes("via", &m.via) &&
           r.OptionalUnsigned("via_match", &m.via_match) &&
           r.OptionalUnsigned("commit", &m.commit) &&
           r.OptionalUnsigned("via_commit", &m.via_commit) &&
           r.OptionalUnsigned("chain_received", &m.chain_received) &&
           r.OptionalUnsigned("link_arrived", &m.link_arrived) &&
           r.OptionalUnsigned("link_lost", &m.link_lost);
  }
  if (type == "vote") {
    VoteRequest& m = message->body.emplace<VoteRequest>();
    return r.Unsigned("term", &m.term) &&
           r.Unsigned("last_index", &m.last_log_index) &&
           r.Unsigned("last_term", &m.last_log_term) &&
           r.Bool("pre_vote", &m.pre_vote);
  }
  if (type == "vote_reply") {
    VoteReply& m = message->body.emplace<VoteReply>();
    return r.Unsigned("term", &m.term) && r.Bool("granted", &m.granted) &&
           r.Bool("pre_vote", &m.pre_vote) &&
           r.OptionalBool("log_ahead", &m.log_ahead) &&
           r.OptionalUnsigned("last_index", &m.last_log_index) &&
           r.OptionalUnsigned("last_term", &m.last_log_term);
  }
  if (type == "get") {
    GetRequest& m = message->body.emplace<GetRequest>();
    return r.String("MID", &m.mid) && r.String("key", &m.key);
  }
  if (type == "put") {
    PutRequest& m = message->body.emplace<PutRequest>();
    return r.String("MID", &m.mid) && r.String("key", &m.key) &&
           r.String("value", &m.value);
  }
  if (type == "ok") {
    ClientReply& m = message->body.emplace<ClientReply>();
    m.kind = ReplyKind::kOk;
    return r.String("MID", &m.mid) && r.OptionalString("value", &m.value);
  }
  if (type == "redirect" || type == "fail") {
    ClientReply& m = message->body.emplace<ClientReply>();
    m.kind = type == "fail" ? ReplyKind::kFail : ReplyKind::kRedirect;
    return r.String("MID", &m.mid);
  }
  if (type == "hello") {
    message->body.emplace<Hello>();
    return true;
  }
  result->error = DecodeError::kUnknownType;
  result->detail = "field \"type\": unknown type \"" + Excerpt(type) + "\"";
  return false;
}

// Everything after a successful parse: addresses, type, body.
void DecodeObject(Json& json, DecodeResult* result) {
  if (!json.is_object()) {
    result->error = DecodeError::kNotObject;
    result->detail =
        std::string("expected a JSON object, got ") + json.type_name();
    return;
  }
  Message& message = result->message;
  FieldReader r(json, result);
  std::string type;
  if (!r.Node("src", &message.src) || !r.Node("dst", &message.dst) ||
      !r.Node("leader", &message.leader) || !r.String("type", &type) ||
      !r.OptionalUnsigned("seq", &message.seq) ||
      !DecodeBody(type, r, result, &message)) {
    result->message = Message{};
  }
}

OrderedJson NodeList(const std::vector<NodeId>& ids) {
  OrderedJson list(OrderedJson::value_t::array);
  for (NodeId id : ids) list.push_back(FormatNodeId(id));
  return list;
}

// Builds the JSON for one body; `j` already holds the addresses and type.
struct BodyEncoder {
  OrderedJson& j;

  void operator()(const Hello&) const {}
  void operator()(const GetRequest& m) const {
    j["MID"] = m.mid;
    j["key"] = m.key;
  }
  void operator()(const PutRequest& m) const {
    j["MID"] = m.mid;
    j["key"] = m.key;
    j["value"] = m.value;
  }
  void operator()(const ClientReply& m) const {
    j["MID"] = m.mid;
    // Only a get's ok carries a value (messages.h); redirect and fail never.
    if (m.kind == ReplyKind::kOk && m.value.has_value()) j["value"] = *m.value;
  }
  void operator()(const VoteRequest& m) const {
    j["term"] = m.term;
    j["last_index"] = m.last_log_index;
    j["last_term"] = m.last_log_term;
    j["pre_vote"] = m.pre_vote;
  }
  void operator()(const VoteReply& m) const {
    j["term"] = m.term;
    j["granted"] = m.granted;
    j["pre_vote"] = m.pre_vote;
    if (m.log_ahead) j["log_ahead"] = true;
    if (m.last_log_index != 0) {
      j["last_index"] = m.last_log_index;
      j["last_term"] = m.last_log_term;
    }
  }
  void operator()(const AppendEntries& m) const {
    j["term"] = m.term;
    j["prev_index"] = m.prev_index;
    j["prev_term"] = m.prev_term;
    j["commit"] = m.commit;
    j["sent_at"] = m.sent_at;
    OrderedJson entries(OrderedJson::value_t::array);
    auto& array = entries.get_ref<OrderedJson::array_t&>();
    array.reserve(m.entries.size());
    for (size_t i = 0; i < m.entries.size(); ++i) {
      const LogEntry& e = m.entries[i];
      OrderedJson& entry = array.emplace_back(OrderedJson::value_t::object);
      entry["term"] = e.term;
      entry["key"] = e.key;
      entry["value"] = e.value;
      entry["client"] = FormatNodeId(e.client);
      entry["MID"] = e.mid;
      if (e.is_get) entry["get"] = true;
      if (i < m.answerers.size() && m.answerers[i] != kNoNode) {
        entry["answerer"] = FormatNodeId(m.answerers[i]);
      }
    }
    j["entries"] = std::move(entries);
    if (!m.relay.empty()) j["relay"] = NodeList(m.relay);
    if (!m.via.empty()) j["via"] = NodeList(m.via);
    if (m.stored_by != 0) j["stored_by"] = m.stored_by;
    if (m.confirmed != 0) j["confirmed"] = m.confirmed;
    if (m.ack_delay != 0) j["ack_delay"] = m.ack_delay;
    if (m.quiet_for != 0) j["quiet_for"] = m.quiet_for;
    if (m.idle) j["idle"] = true;
  }
  void operator()(const AppendReply& m) const {
    j["term"] = m.term;
    j["success"] = m.success;
    j["match_index"] = m.match_index;
    j["conflict_term"] = m.conflict_term;
    j["conflict_index"] = m.conflict_index;
    j["sent_at"] = m.sent_at;
    if (!m.via.empty()) j["via"] = NodeList(m.via);
    if (m.via_match != 0) j["via_match"] = m.via_match;
    if (m.commit != 0) j["commit"] = m.commit;
    if (m.via_commit != 0) j["via_commit"] = m.via_commit;
    if (m.chain_received != 0) j["chain_received"] = m.chain_received;
    if (m.link_arrived != 0) j["link_arrived"] = m.link_arrived;
    if (m.link_lost != 0) j["link_lost"] = m.link_lost;
  }
};

}  // namespace

const char* DecodeErrorName(DecodeError error) {
  switch (error) {
    case DecodeError::kNone:
      return "none";
    case DecodeError::kEmpty:
      return "empty";
    case DecodeError::kTooLarge:
      return "too_large";
    case DecodeError::kNotJson:
      return "not_json";
    case DecodeError::kNotObject:
      return "not_object";
    case DecodeError::kMissingField:
      return "missing_field";
    case DecodeError::kBadField:
      return "bad_field";
    case DecodeError::kUnknownType:
      return "unknown_type";
  }
  return "unknown_error";
}

DecodeResult DecodeMessage(std::string_view datagram) {
  DecodeResult result;
  if (datagram.empty()) {
    result.error = DecodeError::kEmpty;
    result.detail = "empty datagram";
    return result;
  }
  if (datagram.size() > kMaxDatagramBytes) {
    result.error = DecodeError::kTooLarge;
    result.detail = "datagram of " + std::to_string(datagram.size()) +
                    " bytes exceeds " + std::to_string(kMaxDatagramBytes);
    return result;
  }
  // nlohmann's lexer takes a NUL byte for the end of input and would accept
  // "{...}\0garbage". A raw NUL is never valid JSON (not even in a string).
  if (std::memchr(datagram.data(), '\0', datagram.size()) != nullptr) {
    result.error = DecodeError::kNotJson;
    result.detail = "NUL byte in datagram";
    return result;
  }
  // nlohmann's parser keeps its nesting stack on the heap and destroys
  // values iteratively (3.10+), so deeply nested input cannot overflow the
  // call stack; codec_test pins that down.
  bool parsed = false;
  try {
    Json json = Json::parse(datagram.data(), datagram.data() + datagram.size(),
                            /*cb=*/nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      result.error = DecodeError::kNotJson;
      result.detail = "not valid JSON";
      return result;
    }
    parsed = true;
    DecodeObject(json, &result);
  } catch (const std::exception& e) {
    // Not expected: parsing is exception-free and every access is guarded
    // by type. Last line of defence so nothing escapes into the event loop.
    result = DecodeResult{};
    result.error = parsed ? DecodeError::kBadField : DecodeError::kNotJson;
    result.detail = std::string("exception: ") + e.what();
  } catch (...) {
    result = DecodeResult{};
    result.error = parsed ? DecodeError::kBadField : DecodeError::kNotJson;
    result.detail = "unknown exception";
  }
  return result;
}

std::string EncodeMessage(const Message& message) {
  OrderedJson j(OrderedJson::value_t::object);
  j["src"] = FormatNodeId(message.src);
  j["dst"] = FormatNodeId(message.dst);
  j["leader"] = FormatNodeId(message.leader);
  j["type"] = TypeName(message.body);
  if (message.seq != 0) j["seq"] = message.seq;
  std::visit(BodyEncoder{j}, message.body);
  // Client keys and values might in theory hold invalid UTF-8: replace
  // such bytes rather than throw.
  return j.dump(-1, ' ', /*ensure_ascii=*/false,
                OrderedJson::error_handler_t::replace);
}

}  // namespace stepwise

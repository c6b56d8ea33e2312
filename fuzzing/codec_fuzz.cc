#include "fuzzing/codec_fuzz.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "fuzzing/property.h"
#include "replica/codec.h"
#include "replica/messages.h"

namespace stepwise::fuzzing {
namespace {

constexpr std::string_view kTarget = "codec";

// Field-by-field equality; the message structs define no operator== of
// their own (only LogEntry does). A field added later and missed here is
// still compared on the decode path, through the re-encoded bytes.
bool Same(const Hello&, const Hello&) { return true; }
bool Same(const GetRequest& a, const GetRequest& b) {
  return a.mid == b.mid && a.key == b.key;
}
bool Same(const PutRequest& a, const PutRequest& b) {
  return a.mid == b.mid && a.key == b.key && a.value == b.value;
}
bool Same(const ClientReply& a, const ClientReply& b) {
  return a.kind == b.kind && a.mid == b.mid && a.value == b.value;
}
bool Same(const VoteRequest& a, const VoteRequest& b) {
  return a.term == b.term && a.last_log_index == b.last_log_index &&
         a.last_log_term == b.last_log_term && a.pre_vote == b.pre_vote;
}
bool Same(const VoteReply& a, const VoteReply& b) {
  return a.term == b.term && a.granted == b.granted && a.pre_vote == b.pre_vote;
}
bool Same(const AppendEntries& a, const AppendEntries& b) {
  return a.term == b.term && a.prev_index == b.prev_index &&
         a.prev_term == b.prev_term && a.entries == b.entries &&
         a.commit == b.commit && a.sent_at == b.sent_at &&
         a.answerers == b.answerers && a.relay == b.relay && a.via == b.via &&
         a.stored_by == b.stored_by && a.confirmed == b.confirmed &&
         a.ack_delay == b.ack_delay && a.quiet_for == b.quiet_for;
}
bool Same(const AppendReply& a, const AppendReply& b) {
  return a.term == b.term && a.success == b.success &&
         a.match_index == b.match_index && a.conflict_term == b.conflict_term &&
         a.conflict_index == b.conflict_index && a.sent_at == b.sent_at &&
         a.via == b.via && a.via_match == b.via_match && a.commit == b.commit &&
         a.via_commit == b.via_commit;
}

bool SameMessage(const Message& a, const Message& b) {
  if (a.src != b.src || a.dst != b.dst || a.leader != b.leader ||
      a.body.index() != b.body.index()) {
    return false;
  }
  return std::visit(
      [&b](const auto& x) {
        return Same(x, std::get<std::decay_t<decltype(x)>>(b.body));
      },
      a.body);
}

// Every string of a message, in a fixed order.
void ForEachString(Message& m, const std::function<void(std::string&)>& f) {
  std::visit(
      [&f](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, GetRequest>) {
          f(body.mid);
          f(body.key);
        } else if constexpr (std::is_same_v<T, PutRequest>) {
          f(body.mid);
          f(body.key);
          f(body.value);
        } else if constexpr (std::is_same_v<T, ClientReply>) {
          f(body.mid);
          if (body.value.has_value()) f(*body.value);
        } else if constexpr (std::is_same_v<T, AppendEntries>) {
          for (LogEntry& e : body.entries) {
            f(e.key);
            f(e.value);
            f(e.mid);
          }
        }
      },
      m.body);
}

// Reads typed values off the fuzz input; zeros once it runs out, so every
// input builds some message.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  uint8_t Byte() {
    if (pos_ >= bytes_.size()) return 0;
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  bool Bool() { return Byte() & 1; }
  // Operands read in sequence, not in one expression (unspecified order),
  // so gcc and clang builds read an input the same way.
  uint16_t U16() {
    uint16_t low = Byte();
    return static_cast<uint16_t>(low | Byte() << 8);
  }
  uint32_t U32() {
    uint32_t low = U16();
    return low | uint32_t{U16()} << 16;
  }
  // Small values half the time: defaults (0) and near-defaults matter, as
  // the encoder leaves out optional fields that hold their default.
  uint64_t U64() {
    if (Bool()) return Byte() % 4;
    return Full64();
  }
  uint64_t Full64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{Byte()} << (8 * i);
    return v;
  }
  std::vector<NodeId> Nodes(size_t n) {
    std::vector<NodeId> out(n);
    for (NodeId& id : out) id = Bool() ? kNoNode : U16();
    return out;
  }
  std::string String() {
    size_t n = Byte();
    std::string out(bytes_.substr(std::min(pos_, bytes_.size()), n));
    pos_ += out.size();
    return out;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

LogEntry BuildEntry(ByteReader& in) {
  LogEntry e;
  e.term = in.U64();
  e.key = in.String();
  e.value = in.String();
  e.client = in.U16();
  e.mid = in.String();
  return e;
}

Message BuildMessage(ByteReader& in) {
  Message m;
  m.src = in.U16();
  m.dst = in.U16();
  m.leader = in.U16();
  switch (in.Byte() % 10) {
    case 0:
      m.body = Hello{};
      break;
    case 1: {
      GetRequest get;
      get.mid = in.String();
      get.key = in.String();
      m.body = std::move(get);
      break;
    }
    case 2: {
      PutRequest put;
      put.mid = in.String();
      put.key = in.String();
      put.value = in.String();
      m.body = std::move(put);
      break;
    }
    case 3:
    case 4:
    case 5: {
      ClientReply reply;
      reply.kind = static_cast<ReplyKind>(in.Byte() % 3);
      reply.mid = in.String();
      if (in.Bool()) reply.value = in.String();
      m.body = std::move(reply);
      break;
    }
    case 6:
      m.body = VoteRequest{in.U64(), in.U64(), in.U64(), in.Bool()};
      break;
    case 7:
      m.body = VoteReply{in.U64(), in.Bool(), in.Bool()};
      break;
    case 8: {
      AppendEntries append;
      append.term = in.U64();
      append.prev_index = in.U64();
      append.prev_term = in.U64();
      for (int n = in.Byte() % 5; n > 0; --n) {
        append.entries.push_back(BuildEntry(in));
      }
      append.commit = in.U64();
      append.sent_at = static_cast<Micros>(in.U64());
      // Answerers: none known, or one slot per entry (messages.h).
      if (in.Bool()) append.answerers = in.Nodes(append.entries.size());
      append.relay = in.Nodes(in.Byte() % 4);
      append.via = in.Nodes(in.Byte() % 4);
      append.stored_by = in.U32();
      append.confirmed = in.U64();
      append.ack_delay = static_cast<Micros>(in.U64());
      append.quiet_for = static_cast<Micros>(in.U64());
      m.body = std::move(append);
      break;
    }
    default: {
      AppendReply reply;
      reply.term = in.U64();
      reply.success = in.Bool();
      reply.match_index = in.U64();
      reply.conflict_term = in.U64();
      reply.conflict_index = in.U64();
      reply.sent_at = static_cast<Micros>(in.U64());
      reply.via = in.Nodes(in.Byte() % 4);
      reply.via_match = in.U64();
      reply.commit = in.U64();
      reply.via_commit = in.U64();
      m.body = std::move(reply);
      break;
    }
  }
  return m;
}

// What any DecodeMessage result must look like, whatever the input.
void CheckClassification(std::string_view input, const DecodeResult& r) {
  int code = static_cast<int>(r.error);
  if (code < 0 || code >= kNumDecodeErrors ||
      std::string_view(DecodeErrorName(r.error)) == "unknown_error") {
    Violated(kTarget, "error is one of the DecodeError values",
             std::to_string(code));
  }
  if (r.ok() != r.detail.empty()) {
    Violated(kTarget, "detail is set exactly when decoding fails",
             std::string(DecodeErrorName(r.error)) + ": " + r.detail);
  }
  if (input.empty() != (r.error == DecodeError::kEmpty)) {
    Violated(kTarget, "kEmpty exactly for zero bytes", r.detail);
  }
  if ((input.size() > kMaxDatagramBytes) !=
      (r.error == DecodeError::kTooLarge)) {
    Violated(kTarget, "kTooLarge exactly above kMaxDatagramBytes", r.detail);
  }
  // JSON allows no NUL byte and nothing but UTF-8: such input must never
  // decode, whatever the parser does with it.
  if (r.ok() && input.find('\0') != std::string_view::npos) {
    Violated(kTarget, "input with a NUL byte never decodes", Printable(input));
  }
  if (r.ok() && !IsValidUtf8(input)) {
    Violated(kTarget, "input that is not UTF-8 never decodes",
             Printable(input));
  }
}

// Decoding `encoded` must give `expected` exactly, unless it is too large
// to be a datagram at all.
void CheckDecodesTo(const std::string& encoded, const Message& expected,
                    const char* property) {
  DecodeResult back = DecodeMessage(encoded);
  CheckClassification(encoded, back);
  if (encoded.size() > kMaxDatagramBytes) return;  // kTooLarge, checked above
  if (!back.ok()) {
    Violated(kTarget, property,
             "re-decode failed: " + back.detail + " in " + Printable(encoded));
  }
  if (!SameMessage(back.message, expected)) {
    Violated(kTarget, property,
             Printable(encoded) + " decodes to " +
                 Printable(EncodeMessage(back.message)));
  }
  if (EncodeMessage(back.message) != encoded) {
    Violated(
        kTarget, "encoding a decoded encoding is stable",
        Printable(encoded) + " then " + Printable(EncodeMessage(back.message)));
  }
}

void FuzzDecode(std::string_view input) {
  DecodeResult first = DecodeMessage(input);
  CheckClassification(input, first);
  if (!first.ok()) return;
  CheckDecodesTo(EncodeMessage(first.message), first.message,
                 "decode(encode(decode(x))) == decode(x)");
}

void FuzzEncode(std::string_view input) {
  ByteReader in(input);
  Message built = BuildMessage(in);
  std::string encoded = EncodeMessage(built);

  // Only a get's ok carries a value on the wire (codec.h); strings that are
  // not UTF-8 are replaced by the encoder, so take those from the decoded
  // copy and insist only that they came back valid.
  Message expected = built;
  if (auto* reply = std::get_if<ClientReply>(&expected.body);
      reply != nullptr && reply->kind != ReplyKind::kOk) {
    reply->value.reset();
  }
  // Answerers that are all unknown travel as none at all.
  if (auto* append = std::get_if<AppendEntries>(&expected.body);
      append != nullptr &&
      std::all_of(append->answerers.begin(), append->answerers.end(),
                  [](NodeId id) { return id == kNoNode; })) {
    append->answerers.clear();
  }
  DecodeResult back = DecodeMessage(encoded);
  if (back.ok() && back.message.body.index() == expected.body.index()) {
    std::vector<std::string*> got;
    ForEachString(back.message, [&got](std::string& s) { got.push_back(&s); });
    size_t i = 0;
    ForEachString(expected, [&](std::string& s) {
      if (i >= got.size()) return;
      if (!IsValidUtf8(s)) {
        if (!IsValidUtf8(*got[i])) {
          Violated(kTarget, "encoder output is UTF-8", Printable(encoded));
        }
        s = *got[i];
      }
      ++i;
    });
  }
  CheckDecodesTo(encoded, expected, "decode(encode(m)) == m");
}

}  // namespace

int FuzzCodec(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzDecode(input);
  FuzzEncode(input);
  return 0;
}

}  // namespace stepwise::fuzzing

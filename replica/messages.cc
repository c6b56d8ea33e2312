#include "replica/messages.h"

namespace stepwise {
namespace {

struct TypeNameVisitor {
  const char* operator()(const Hello&) const { return "hello"; }
  const char* operator()(const GetRequest&) const { return "get"; }
  const char* operator()(const PutRequest&) const { return "put"; }
  const char* operator()(const ClientReply& r) const {
    switch (r.kind) {
      case ReplyKind::kOk:
        return "ok";
      case ReplyKind::kRedirect:
        return "redirect";
      case ReplyKind::kFail:
        return "fail";
    }
    return "ok";
  }
  const char* operator()(const VoteRequest&) const { return "vote"; }
  const char* operator()(const VoteReply&) const { return "vote_reply"; }
  const char* operator()(const AppendEntries&) const { return "append"; }
  const char* operator()(const AppendReply&) const { return "append_reply"; }
};

}  // namespace

const char* TypeName(const MessageBody& body) {
  return std::visit(TypeNameVisitor{}, body);
}

size_t EntryWireBound(const LogEntry& entry) {
  // Braces, quotes, commas, the field names, a 20-digit term and two
  // 4-digit ids, with room to spare.
  constexpr size_t kFixed = 128;
  size_t bytes = kFixed;
  for (const std::string* text : {&entry.key, &entry.value, &entry.mid}) {
    for (unsigned char c : *text) {
      // A byte of invalid UTF-8 is written as U+FFFD, three bytes.
      bytes += c < 0x20 ? 6 : (c == '"' || c == '\\') ? 2 : c >= 0x80 ? 3 : 1;
    }
  }
  return bytes;
}

}  // namespace stepwise

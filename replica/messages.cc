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

}  // namespace stepwise

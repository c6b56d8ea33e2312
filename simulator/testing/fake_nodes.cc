#include "simulator/testing/fake_nodes.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace stepwise::sim::testing {
namespace {

class FakeNode : public SimNode {
 public:
  FakeNode(FakeOptions o, const NodeSpec& spec, Micros now)
      : o_(o), spec_(spec) {
    if (o_.say_hello) Send(kNoNode, Hello{});
    if (o_.broadcast_every > 0 && spec_.id == o_.leader) {
      next_broadcast_ = now + o_.broadcast_every;
    }
    if (o_.unicast_every > 0 && !spec_.peers.empty()) {
      next_unicast_ = now + o_.unicast_every;
    }
  }

  void Step(const Message& m, Micros) override {
    if (const auto* get = std::get_if<GetRequest>(&m.body)) {
      OnRequest(m.src, get->mid, true, get->key, "");
    } else if (const auto* put = std::get_if<PutRequest>(&m.body)) {
      OnRequest(m.src, put->mid, false, put->key, put->value);
    } else if (const auto* append = std::get_if<AppendEntries>(&m.body)) {
      if (m.dst != kNoNode && append->term > 0) {
        AppendReply r;
        r.term = append->term;  // echoes the token
        r.success = true;
        Send(m.src, r);
      }
    } else if (const auto* reply = std::get_if<AppendReply>(&m.body)) {
      auto it = waiting_.find(reply->term);
      if (it != waiting_.end() && --it->second.acks_left == 0) {
        Pending p = std::move(it->second);
        waiting_.erase(it);
        Answer(p);
      }
    }
  }

  void Tick(Micros now) override {
    if (now >= next_broadcast_) {
      Message m{spec_.id, kNoNode, o_.leader, AppendEntries{}};
      out_.push_back(m);
      next_broadcast_ = now + o_.broadcast_every;
    }
    if (now >= next_unicast_) {
      NodeId to = spec_.peers[0];
      Send(to, AppendEntries{});
      next_unicast_ = now + o_.unicast_every;
    }
  }

  Micros NextDeadline() const override {
    return std::min(next_broadcast_, next_unicast_);
  }

  std::vector<Message> TakeMessages() override {
    std::vector<Message> out = std::move(out_);
    out_.clear();
    return out;
  }

  NodeView View() const override {
    return NodeView{spec_.id == o_.leader ? "leader" : "follower", 1, o_.leader,
                    0};
  }

 private:
  struct Pending {
    NodeId client;
    std::string mid;
    bool is_get;
    std::string key, value;
    int acks_left = 0;
  };

  void Send(NodeId dst, MessageBody body) {
    out_.push_back(Message{spec_.id, dst, o_.leader, std::move(body)});
  }

  void Reply(NodeId client, const std::string& mid, ReplyKind kind,
             std::optional<std::string> value = std::nullopt) {
    Send(client, ClientReply{kind, mid, std::move(value)});
  }

  void OnRequest(NodeId client, const std::string& mid, bool is_get,
                 const std::string& key, const std::string& value) {
    if (o_.ignore_requests) return;
    if (spec_.id != o_.leader) {
      Reply(client, mid, ReplyKind::kRedirect);
      if (o_.ok_after_redirect) Reply(client, mid, ReplyKind::kOk, value);
      return;
    }
    Pending p{client, mid, is_get, key, value, o_.peers_to_wait};
    if (is_get || o_.peers_to_wait == 0) {
      Answer(p);
      return;
    }
    const Term token = ++next_token_;
    for (int i = 0; i < o_.peers_to_wait; ++i) {
      AppendEntries a;
      a.term = token;
      Send(spec_.peers[i], a);
    }
    waiting_.emplace(token, std::move(p));
  }

  void Answer(const Pending& p) {
    std::optional<std::string> value;
    if (p.is_get) {
      value = kv_[p.key];
      if (o_.corrupt_gets) *value += "X";
    } else {
      kv_[p.key] = p.value;
    }
    Reply(p.client, p.mid, ReplyKind::kOk, value);
    if (o_.duplicate_ok) Reply(p.client, p.mid, ReplyKind::kOk, value);
  }

  FakeOptions o_;
  NodeSpec spec_;
  std::vector<Message> out_;
  std::map<std::string, std::string> kv_;
  std::map<Term, Pending> waiting_;
  Term next_token_ = 0;
  Micros next_broadcast_ = kNever;
  Micros next_unicast_ = kNever;
};

}  // namespace

NodeFactory FakeFactory(FakeOptions options) {
  return [options](const NodeSpec& spec, Micros now) {
    return std::unique_ptr<SimNode>(new FakeNode(options, spec, now));
  };
}

}  // namespace stepwise::sim::testing

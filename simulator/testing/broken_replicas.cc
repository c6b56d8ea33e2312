#include "simulator/testing/broken_replicas.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "replica/replica.h"
#include "simulator/replica_node.h"

namespace stepwise::sim::testing {
namespace {

// A real Replica between a filter on what reaches it and a rewrite of what
// it sends. Each variant overrides one or both to break a single rule.
class WrappedReplica : public SimNode {
 public:
  WrappedReplica(const NodeSpec& spec, Micros now)
      : replica_(SimReplicaConfig(spec), now) {
    // As in replica_node.cc: the shim says hello, unless the core does.
    std::vector<Message> first = Drain();
    if (first.empty() || !std::holds_alternative<Hello>(first.front().body)) {
      pending_.push_back(
          Message{spec.id, kNoNode, kNoNode, MessageBody{Hello{}}});
    }
    for (Message& m : first) pending_.push_back(std::move(m));
  }

  void Step(const Message& message, Micros now) final {
    std::optional<Message> in = Filter(message, now);
    if (in) replica_.Step(*in, now);
    Collect(&message, now);
  }

  void Tick(Micros now) final {
    replica_.Tick(now);
    Collect(nullptr, now);
  }

  Micros NextDeadline() const final { return replica_.NextDeadline(); }

  std::vector<Message> TakeMessages() final {
    std::vector<Message> out = std::move(pending_);
    pending_.clear();
    return out;
  }

  NodeView View() const final {
    return NodeView{RoleName(replica_.role()), replica_.term(),
                    replica_.leader(), replica_.commit_index()};
  }

  const Replica* core() const final { return &replica_; }

 protected:
  // What the replica is given in place of `in`; nullopt swallows it.
  virtual std::optional<Message> Filter(const Message& in, Micros now) {
    (void)now;
    return in;
  }
  // Edits what the replica sent after a step; `in` is null for a tick.
  virtual void Rewrite(const Message* in, Micros now,
                       std::vector<Message>* out) {
    (void)in;
    (void)now;
    (void)out;
  }

  const Replica& replica() const { return replica_; }

  // A message in the replica's name, sent before whatever it sends itself
  // in this step.
  void Send(NodeId dst, MessageBody body) {
    pending_.push_back(
        Message{replica_.id(), dst, replica_.leader(), std::move(body)});
  }
  Message MakeMessage(NodeId dst, MessageBody body) const {
    return Message{replica_.id(), dst, replica_.leader(), std::move(body)};
  }
  void ReplyOk(const Message& request, const std::string& mid,
               std::optional<std::string> value = std::nullopt) {
    Send(request.src, ClientReply{ReplyKind::kOk, mid, std::move(value)});
  }

 private:
  std::vector<Message> Drain() {
    if (!replica_.HasReady()) return {};
    return std::move(replica_.TakeReady().messages);
  }

  void Collect(const Message* in, Micros now) {
    std::vector<Message> out = Drain();
    Rewrite(in, now, &out);
    for (Message& m : out) pending_.push_back(std::move(m));
  }

  Replica replica_;
  std::vector<Message> pending_;
};

class AckBeforeCommit : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  std::optional<Message> Filter(const Message& in, Micros now) override {
    (void)now;
    const auto* put = std::get_if<PutRequest>(&in.body);
    if (put != nullptr && replica().role() == Role::kLeader) {
      ReplyOk(in, put->mid);
      answered_.insert(put->mid);
    }
    return in;
  }

  void Rewrite(const Message* in, Micros now,
               std::vector<Message>* out) override {
    (void)in;
    (void)now;
    std::erase_if(*out, [this](const Message& m) {
      const auto* reply = std::get_if<ClientReply>(&m.body);
      return reply != nullptr && answered_.count(reply->mid) > 0;
    });
  }

  std::set<std::string> answered_;
};

// Answers gets at once from the replica's applied state, without asking
// anyone: at a non-leader (FollowerReads) or at a replica that believes it
// leads (LeaseIgnored).
template <bool kAtLeader>
class LocalReads : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  std::optional<Message> Filter(const Message& in, Micros now) override {
    (void)now;
    const auto* get = std::get_if<GetRequest>(&in.body);
    const bool leads = replica().role() == Role::kLeader;
    if (get == nullptr || leads != kAtLeader) return in;
    ReplyOk(in, get->mid, replica().kv().Get(get->key));
    return std::nullopt;
  }
};
using FollowerReads = LocalReads<false>;
using LeaseIgnored = LocalReads<true>;

class DoubleVote : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  void Rewrite(const Message* in, Micros now,
               std::vector<Message>* out) override {
    (void)now;
    if (in == nullptr) return;
    const auto* request = std::get_if<VoteRequest>(&in->body);
    if (request == nullptr || request->pre_vote) return;
    auto is_reply_to_candidate = [in](const Message& m) {
      const auto* reply = std::get_if<VoteReply>(&m.body);
      return m.dst == in->src && reply != nullptr && !reply->pre_vote;
    };
    for (const Message& m : *out) {
      if (is_reply_to_candidate(m) && std::get<VoteReply>(m.body).granted) {
        return;
      }
    }
    // Stale requests and out-of-date logs are still refused: the only rule
    // broken is one vote per term (and the lease that guards it).
    if (request->term < replica().term() ||
        !replica().log().IsUpToDate(request->last_log_index,
                                    request->last_log_term)) {
      return;
    }
    std::erase_if(*out, is_reply_to_candidate);
    out->push_back(MakeMessage(in->src, VoteReply{request->term, true, false}));
  }
};

class NoTruncate : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  std::optional<Message> Filter(const Message& in, Micros now) override {
    (void)now;
    const auto* append = std::get_if<AppendEntries>(&in.body);
    if (append == nullptr) return in;
    claim_.reset();
    fresh_ = false;
    if (append->term < replica().term()) return in;
    const RaftLog& log = replica().log();
    if (!log.Matches(append->prev_index, append->prev_term)) return in;
    const LogIndex last = log.last_index();
    bool conflict = false;
    for (size_t i = 0; i < append->entries.size(); ++i) {
      const LogIndex index = append->prev_index + 1 + i;
      if (index > last) break;
      if (log.term_at(index) != append->entries[i].term) {
        conflict = true;
        break;
      }
    }
    if (!conflict) return in;
    // Keep our entries; take only the leader's entries past our end, as if
    // our log had matched it all along.
    Message kept = in;
    AppendEntries& ours = std::get<AppendEntries>(kept.body);
    const LogIndex batch_end = append->prev_index + append->entries.size();
    ours.prev_index = last;
    ours.prev_term = log.last_term();
    ours.entries.clear();
    ours.answerers.clear();
    for (LogIndex index = last + 1; index <= batch_end; ++index) {
      const size_t i = index - append->prev_index - 1;
      ours.entries.push_back(append->entries[i]);
      if (i < append->answerers.size()) {
        ours.answerers.resize(ours.entries.size(), kNoNode);
        ours.answerers.back() = append->answerers[i];
      }
    }
    // A relayed append names its leader in the leader field.
    const NodeId leader = append->via.empty() ? in.src : in.leader;
    claim_ = Claim{leader, batch_end, *append};
    fresh_ = true;
    return kept;
  }

  void Rewrite(const Message* in, Micros now,
               std::vector<Message>* out) override {
    (void)in;
    (void)now;
    if (!claim_) return;
    for (Message& m : *out) {
      if (auto* relay = std::get_if<AppendEntries>(&m.body);
          relay != nullptr && fresh_ && !relay->via.empty() &&
          relay->via.back() == replica().id()) {
        // Down the chain goes what the leader sent, not what we stored.
        relay->prev_index = claim_->original.prev_index;
        relay->prev_term = claim_->original.prev_term;
        relay->entries = claim_->original.entries;
        relay->answerers = claim_->original.answerers;
      }
      auto* reply = std::get_if<AppendReply>(&m.body);
      if (m.dst == claim_->leader && reply != nullptr && reply->success) {
        reply->match_index = claim_->match_index;
        reply->via_match = claim_->match_index;
      }
    }
    // The acknowledgement may be deferred to a later tick: the claim holds
    // until the next append.
    fresh_ = false;
  }

  struct Claim {
    NodeId leader = kNoNode;
    LogIndex match_index = 0;
    AppendEntries original;
  };
  std::optional<Claim> claim_;
  bool fresh_ = false;  // the claim was made in the current step
};

// Both places where our core commits by counting replicas, without the
// rule that only an entry of the current term commits that way: the leader
// counting acknowledgements, and the tail of a replication chain counting
// the relayers (replica/replication.cc).
class CommitByCounting : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  std::optional<Message> Filter(const Message& in, Micros now) override {
    (void)now;
    Sync();
    if (const auto* reply = std::get_if<AppendReply>(&in.body);
        reply != nullptr && leading_ && reply->term == term_) {
      const LogIndex last = replica().log().last_index();
      for (NodeId relayer : reply->via) {
        Raise(relayer, std::min(reply->via_match, last));
      }
      if (reply->success) Raise(in.src, std::min(reply->match_index, last));
      return in;
    }
    const auto* append = std::get_if<AppendEntries>(&in.body);
    if (append == nullptr || append->entries.empty()) return in;
    const LogIndex last_new = append->prev_index + append->entries.size();
    if (append->stored_by + 1 < static_cast<uint32_t>(Quorum()) ||
        append->entries.back().term == append->term ||
        append->commit >= last_new) {
      return in;
    }
    Message counted = in;
    std::get<AppendEntries>(counted.body).commit = last_new;
    return counted;
  }

  void Rewrite(const Message* in, Micros now,
               std::vector<Message>* out) override {
    (void)in;
    (void)now;
    Sync();
    if (!leading_) return;
    std::vector<LogIndex> matches{replica().log().last_index()};
    for (NodeId peer : replica().config().peers) {
      auto it = match_.find(peer);
      matches.push_back(it == match_.end() ? 0 : it->second);
    }
    std::sort(matches.begin(), matches.end(), std::greater<LogIndex>());
    const LogIndex counted = matches[Quorum() - 1];
    for (Message& m : *out) {
      auto* append = std::get_if<AppendEntries>(&m.body);
      if (append != nullptr && counted > append->commit) {
        append->commit = counted;
      }
    }
  }

  int Quorum() const {
    return static_cast<int>(replica().config().peers.size() + 1) / 2 + 1;
  }

  void Raise(NodeId peer, LogIndex match) {
    LogIndex& m = match_[peer];
    m = std::max(m, match);
  }

  // Match indices count only within one term of leadership.
  void Sync() {
    const bool leading = replica().role() == Role::kLeader;
    if (leading != leading_ || replica().term() != term_) match_.clear();
    leading_ = leading;
    term_ = replica().term();
  }

  bool leading_ = false;
  Term term_ = 0;
  std::map<NodeId, LogIndex> match_;
};

class DirtyReads : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  std::optional<Message> Filter(const Message& in, Micros now) override {
    (void)now;
    const auto* get = std::get_if<GetRequest>(&in.body);
    if (get == nullptr || replica().role() != Role::kLeader) return in;
    const RaftLog& log = replica().log();
    for (LogIndex i = log.last_index(); i > replica().applied_index(); --i) {
      const LogEntry& entry = log.at(i);
      if (!entry.is_noop() && entry.key == get->key) {
        ReplyOk(in, get->mid, entry.value);
        return std::nullopt;
      }
    }
    return in;  // nothing newer than the applied state: the real path
  }
};

class CommitOnSend : public WrappedReplica {
 public:
  using WrappedReplica::WrappedReplica;

 private:
  void Rewrite(const Message* in, Micros now,
               std::vector<Message>* out) override {
    (void)in;
    (void)now;
    const bool leading = replica().role() == Role::kLeader;
    if (!leading || replica().term() != term_) sent_.clear();
    term_ = replica().term();
    if (!leading) return;
    // What we have sent each follower (directly or down a replication
    // chain) counts as stored there, acknowledged or not.
    for (const Message& m : *out) {
      const auto* append = std::get_if<AppendEntries>(&m.body);
      if (append == nullptr) continue;
      const LogIndex end = append->prev_index + append->entries.size();
      std::vector<NodeId> receivers = append->relay;
      receivers.push_back(m.dst);
      for (NodeId peer : receivers) {
        LogIndex& sent = sent_[peer];
        sent = std::max(sent, end);
      }
    }
    std::vector<LogIndex> counts{replica().log().last_index()};
    for (NodeId peer : replica().config().peers) {
      auto it = sent_.find(peer);
      counts.push_back(it == sent_.end() ? 0 : it->second);
    }
    std::sort(counts.begin(), counts.end(), std::greater<LogIndex>());
    LogIndex counted = counts[counts.size() / 2];
    // Still only entries of our own term commit by counting.
    if (replica().log().term_at(counted) != term_) return;
    for (Message& m : *out) {
      auto* append = std::get_if<AppendEntries>(&m.body);
      if (append != nullptr && counted > append->commit) {
        append->commit = counted;
      }
    }
  }

  Term term_ = 0;
  std::map<NodeId, LogIndex> sent_;
};

template <typename T>
std::unique_ptr<SimNode> Make(const NodeSpec& spec, Micros now) {
  return std::make_unique<T>(spec, now);
}

// One row per variant: everything the header's functions look up.
struct Variant {
  Broken kind;
  const char* name;
  const char* description;
  std::unique_ptr<SimNode> (*make)(const NodeSpec& spec, Micros now);
};

constexpr Variant kVariants[] = {
    {Broken::kAckBeforeCommit, "ack_before_commit",
     "a leader answers a put ok on receipt, before it commits",
     &Make<AckBeforeCommit>},
    {Broken::kFollowerReads, "follower_reads",
     "a non-leader answers gets from its own applied state",
     &Make<FollowerReads>},
    {Broken::kLeaseIgnored, "lease_ignored",
     "a replica that believes it leads answers gets at once, without a "
     "lease or quorum",
     &Make<LeaseIgnored>},
    {Broken::kDoubleVote, "double_vote",
     "grants a second vote in a term, and votes despite the lease",
     &Make<DoubleVote>},
    {Broken::kNoTruncate, "no_truncate",
     "a follower keeps entries that conflict with the leader's and "
     "acknowledges the leader's batch",
     &Make<NoTruncate>},
    {Broken::kCommitByCounting, "commit_by_counting",
     "a leader advertises the majority-acknowledged index as committed, "
     "whatever its term (Figure 8)",
     &Make<CommitByCounting>},
    {Broken::kDirtyReads, "dirty_reads",
     "a leader answers gets with the last put in its log, committed or not",
     &Make<DirtyReads>},
    {Broken::kCommitOnSend, "commit_on_send",
     "a leader counts an entry as replicated once sent, and advertises the "
     "commit index that gives",
     &Make<CommitOnSend>},
};

// Every enumerator has its row (kCommitOnSend is the last one declared).
static_assert(std::size(kVariants) ==
              static_cast<size_t>(Broken::kCommitOnSend) + 1);

const Variant& VariantOf(Broken kind) {
  for (const Variant& v : kVariants) {
    if (v.kind == kind) return v;
  }
  return kVariants[0];  // unreachable: every enumerator is listed
}

}  // namespace

std::vector<Broken> AllBroken() {
  std::vector<Broken> all;
  for (const Variant& v : kVariants) all.push_back(v.kind);
  return all;
}

const char* BrokenName(Broken kind) { return VariantOf(kind).name; }

const char* BrokenDescription(Broken kind) {
  return VariantOf(kind).description;
}

std::optional<Broken> ParseBroken(std::string_view name) {
  for (const Variant& v : kVariants) {
    if (name == v.name) return v.kind;
  }
  return std::nullopt;
}

NodeFactory BrokenReplicaFactory(Broken kind) { return VariantOf(kind).make; }

}  // namespace stepwise::sim::testing

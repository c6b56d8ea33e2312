// Log replication at a follower: the consistency check and merge (Raft
// §5.3), the relay of chain replication, acknowledgements, and commit and
// apply (§5.4.2). The leader's side is in leader.cc.
//
// Chain replication. The leader sends a new entry to one follower, which
// relays it to the next, and so on through quorum() - 1 followers (the
// chain, leader.cc). Each relayer has matched the leader's log through the
// append's last entry before it relays, so the last follower, the tail,
// knows that the leader, every relayer and itself hold it: a majority. If
// the entry is of the current term the tail commits it right away (the same
// rule the leader applies when it counts acknowledgements), applies it,
// answers its client (answers.cc), and acknowledges to the leader for the
// relayers too. A put then costs quorum() - 1 relays and one ack instead of
// an append and an ack per follower, and the client hears from the tail one
// relay earlier than it would from the leader.

#include <algorithm>
#include <utility>
#include <vector>

#include "replica/replica.h"

namespace stepwise {
namespace {

// A quiet_for beyond this is nonsense from a buggy or hostile sender; it
// must not push the election deadline towards overflow.
constexpr Micros kMaxQuietFor = 60 * kSeconds;

}  // namespace

void Replica::HandleAppendEntries(NodeId from, NodeId leader_field,
                                  const AppendEntries& append, Micros now) {
  // A relayed append comes from a follower; the leader is the one the
  // relayer names, and the relayer is the last one in `via`.
  const bool relayed = !append.via.empty();
  const NodeId origin = relayed ? leader_field : from;
  if (!IsPeer(origin) || (relayed && append.via.back() != from)) {
    ++stats_.ignored_messages;
    return;
  }
  if (append.term < term_) {
    // Tell a deposed leader the news (§5.1).
    ++stats_.stale_messages;
    AppendReply reply;
    reply.term = term_;
    reply.sent_at = append.sent_at;
    Send(origin, reply);
    return;
  }
  if (role_ == Role::kLeader && append.term == term_) {
    // Two leaders in one term is impossible (§5.2); never act on it.
    ++stats_.ignored_messages;
    return;
  }
  leader_quiet_for_ = std::clamp<Micros>(append.quiet_for, 0, kMaxQuietFor);
  leader_idle_ = append.idle;
  if (append.term > term_ || role_ != Role::kFollower || leader_ != origin) {
    BecomeFollower(append.term, origin, now);
  } else {
    HoldToLease(origin, now);
    failed_campaigns_ = 0;
    ResetElectionTimer(now);
    ReleaseHeldRequests(now);  // held while the leader was quiet
  }

  AppendReply reply;
  reply.term = term_;
  reply.sent_at = append.sent_at;
  reply.via = append.via;
  if (relayed && append.relay.empty()) {
    // We are the tail: the leader learns from our count how much of what
    // it sends down the chain gets here (ChainDelivery).
    if (chain_received_term_ != term_) {
      chain_received_term_ = term_;
      chain_received_ = 0;
    }
    reply.chain_received = ++chain_received_;
  }
  const LogIndex last_new = append.prev_index + append.entries.size();
  reply.via_match = last_new;
  if (!append.via.empty()) reply.via_commit = append.commit;
  if (!log_.Matches(append.prev_index, append.prev_term)) {
    // Consistency check failed (§5.3). Hint where our log stops agreeing so
    // the leader skips a whole term per round trip instead of one entry.
    if (!log_.has(append.prev_index)) {
      reply.conflict_term = 0;
      reply.conflict_index = log_.last_index() + 1;
    } else {
      reply.conflict_term = log_.term_at(append.prev_index);
      reply.conflict_index = log_.FirstIndexOfTerm(append.prev_index);
    }
    reply.commit = commit_index_;
    Send(origin, reply);
    // Though we cannot take the append, it tells us that the leader's
    // entry at prev_index, of prev_term, is committed: a deposed leader's
    // put there or beyond may be dead already (the refusal may be lost,
    // and an idle leader repairs us only at its next keepalive, seconds
    // away).
    if (append.prev_index > 0 && append.prev_index <= append.commit) {
      ResolveDeadEntries(append.prev_index, append.prev_term, now);
    }
    return;
  }
  LogIndex changed = log_.MergeAfter(append.prev_index, append.entries);
  if (changed != 0) {
    // Those entries were replaced: so are the answerers we knew for them,
    // and what a leader vouched for about them. A leader on a partition's
    // minority side confirms its own no-op at an index where the majority
    // later puts a put that nobody has answered; kept, that confirmation
    // let us, leading later, take the put for answered, and a get after it
    // returned its value to a client never told it was stored (fuzz seed
    // 3336210).
    answerer_.erase(answerer_.lower_bound(changed), answerer_.end());
    confirmed_ = std::min(confirmed_, changed - 1);
  }
  NoteLogChange(changed);
  NoteAnswerers(append.prev_index + 1, append.answerers, append.entries.size());
  // What the leader vouches for holds only up to the last entry this append
  // matched: beyond it our log may still differ from the leader's.
  confirmed_ = std::max(confirmed_, std::min(append.confirmed, last_new));
  LogIndex commit = std::min(append.commit, last_new);
  if (append.stored_by + 1 >= static_cast<uint32_t>(quorum()) && last_new > 0 &&
      log_.term_at(last_new) == term_) {
    // With us, a majority holds the leader's log through last_new, which
    // ends in its term: committed (§5.4.2), as the leader would count it.
    commit = std::max(commit, last_new);
  }
  if (commit > commit_index_) SetCommitIndex(commit, now);
  reply.success = true;
  reply.match_index = last_new;
  reply.commit = commit_index_;

  if (!append.relay.empty()) {
    const NodeId next = append.relay.front();
    const bool loops = next == origin || next == config_.id ||
                       std::find(append.via.begin(), append.via.end(), next) !=
                           append.via.end();
    if (IsPeer(next) && !loops) {
      AppendEntries relay = append;
      relay.relay.erase(relay.relay.begin());
      relay.via.push_back(config_.id);
      relay.stored_by = append.stored_by + 1;
      // A busy leader's leave to wait longer (quiet_for) was for us, off
      // the chain, who hear from it only now and then: not for the tail of
      // a detour, which must campaign soon should the leader die.
      if (!relay.idle) relay.quiet_for = 0;
      Send(next, std::move(relay));
      return;  // the tail acknowledges for us
    }
  }
  AcknowledgeAppend(origin, append, std::move(reply), now);
}

void Replica::AcknowledgeAppend(NodeId leader, const AppendEntries& append,
                                AppendReply reply, Micros now) {
  if (append.ack_delay < 0) {  // kNoAck
    // Not wanted. A reply already owed keeps its own content: mixing in this
    // append's sent_at would credit relayers with hearing from the leader
    // later than they did.
    return;
  }
  const bool direct = reply.via.empty();
  Message message{config_.id, leader, leader_, std::move(reply)};
  if (append.ack_delay == 0) {
    // An answer owed for appends relayed to us goes too, not replaced by
    // this one if it came straight from the leader (a star round's ask): it
    // alone tells the leader that the followers that relayed them hear it.
    // A stalled leader asks every 200 ms or so, sooner than ack_delay; were
    // each ask to replace it, it would never go, and a head whose own
    // answers are lost would never be heard from (CheckQuorum).
    const bool owed_for_relays =
        direct && deferred_ack_ &&
        !std::get<AppendReply>(deferred_ack_->body).via.empty();
    if (owed_for_relays) {
      SendDeferredAck();
    } else {
      deferred_ack_.reset();
      ack_due_ = kNever;
    }
    ready_.messages.push_back(std::move(message));
    return;
  }
  // One reply covers every append until it goes: the latest says the most.
  // But not a detour's (SendLazyBatch) that came after the chain's with
  // nothing more: it would say nothing new of our log, and hide that the
  // chain's relayers hold it, which the leader waits to hear
  // (CheckChainStall).
  if (deferred_ack_) {
    const auto& owed = std::get<AppendReply>(deferred_ack_->body);
    const auto& next = std::get<AppendReply>(message.body);
    const bool adds_nothing = owed.success && next.success &&
                              owed.via_match >= next.via_match &&
                              !owed.via.empty() && owed.via != next.via;
    if (adds_nothing) return;
  }
  deferred_ack_ = std::move(message);
  Micros delay = std::min(append.ack_delay, config_.election_timeout_min / 2);
  ack_due_ = std::min(ack_due_, now + delay);
}

void Replica::SendDeferredAck() {
  ack_due_ = kNever;
  if (!deferred_ack_) return;
  Message message = std::move(*deferred_ack_);
  deferred_ack_.reset();
  // Everything up to our commit index is applied (and answered) by now.
  std::get<AppendReply>(message.body).commit = commit_index_;
  ready_.messages.push_back(std::move(message));
}

void Replica::SetCommitIndex(LogIndex commit, Micros now) {
  if (commit <= commit_index_) return;  // never goes backwards
  commit_index_ = std::min(commit, log_.last_index());
  ApplyCommitted(now);
}

void Replica::ApplyCommitted(Micros now) {
  while (applied_index_ < commit_index_) {
    ++applied_index_;
    const LogEntry& entry = log_.at(applied_index_);
    kv_.Apply(entry);
    AnswerOnApply(applied_index_, entry, now);
    ResolveOwnEntry(applied_index_, entry, now);
  }
  ResolveDeadEntries(commit_index_, log_.term_at(commit_index_), now);
  if (role_ == Role::kLeader) ServeWaitingGets(now);
}

}  // namespace stepwise

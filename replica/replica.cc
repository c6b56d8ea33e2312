// Step dispatch, terms, role changes and timers: the parts of Raft that
// every role shares. The role-specific rules are in election.cc,
// replication.cc, reads.cc and client_requests.cc.

#include "replica/replica.h"

#include <algorithm>
#include <utility>

namespace stepwise {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "precandidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "follower";
}

Replica::Replica(ReplicaConfig config, Micros now)
    : config_(std::move(config)), rng_(config_.seed) {
  std::sort(config_.peers.begin(), config_.peers.end());
  ResetElectionTimer(now);
}

Ready Replica::TakeReady() {
  // Numbered as they leave, in the order they leave: a deferred
  // acknowledgement is counted when it goes, not when it was made.
  for (Message& message : ready_.messages) {
    if (!IsPeer(message.dst)) continue;
    message.seq = ++sent_to_[message.dst];
    if (auto* reply = std::get_if<AppendReply>(&message.body)) {
      reply->link_arrived = link_loss_.counts().arrived;
      reply->link_lost = link_loss_.counts().lost;
    }
  }
  Ready out = std::move(ready_);
  ready_ = Ready();
  return out;
}

bool Replica::IsPeer(NodeId id) const {
  return std::binary_search(config_.peers.begin(), config_.peers.end(), id);
}

void Replica::Send(NodeId dst, MessageBody body) {
  ready_.messages.push_back(Message{config_.id, dst, leader_, std::move(body)});
}

void Replica::SetTerm(Term term) {
  if (term == term_) return;
  term_ = term;
  voted_for_ = kNoNode;
  ready_.hard_state = HardState{term_, voted_for_};
}

void Replica::SetVote(NodeId vote) {
  voted_for_ = vote;
  ready_.hard_state = HardState{term_, voted_for_};
}

void Replica::NoteLogChange(LogIndex first_changed) {
  if (first_changed == 0) return;
  // Merge with an unconsumed change: everything from the lower index on is
  // what must be rewritten.
  LogIndex from = ready_.first_new_index == 0
                      ? first_changed
                      : std::min(ready_.first_new_index, first_changed);
  ready_.first_new_index = from;
  ready_.new_entries = log_.Slice(from, log_.last_index() - from + 1);
}

void Replica::ResetElectionTimer(Micros now) {
  Micros timeout =
      rng_.Uniform(config_.election_timeout_min, config_.election_timeout_max);
  if (role_ == Role::kFollower && leader_ != kNoNode) {
    // A follower whose leader announced a quiet spell waits it out too.
    timeout += leader_quiet_for_;
  } else if (role_ != Role::kFollower) {
    // Campaigns that keep failing back off (StartPreVote).
    timeout <<= std::min(failed_campaigns_, config_.max_campaign_backoff);
  }
  election_deadline_ = now + timeout;
}

void Replica::BecomeFollower(Term term, NodeId leader, Micros now) {
  bool was_leader = role_ == Role::kLeader;
  if (was_leader) {
    // What we knew was answered stays known, should we lead again.
    confirmed_ = std::max(confirmed_, ConfirmedThrough());
  }
  if (term != term_) {
    deferred_ack_.reset();  // owed to a leader of an older term
    ack_due_ = kNever;
  }
  SetTerm(term);
  role_ = Role::kFollower;
  leader_ = leader;
  votes_.clear();
  vote_answers_.clear();
  next_vote_resend_ = kNever;
  round_won_at_ = kNever;
  progress_.clear();
  chain_.clear();
  chain_wait_ = ChainWait();
  lazy_batch_due_ = kNever;
  put_batch_due_ = kNever;
  ack_wanted_since_ = kNever;
  unconfirmed_.clear();
  if (leader != kNoNode) {
    HoldToLease(leader, now);
    failed_campaigns_ = 0;
  }
  ResetElectionTimer(now);
  if (was_leader) {
    // It led until now: its lease quorum counted it at this time, so it must
    // not vote for E_min from here (see HeardFromLeaderRecently).
    HoldToLease(config_.id, now);
    RequeueOwedRequests(now);
  }
  if (leader_ != kNoNode) ReleaseHeldRequests(now);
}

void Replica::Step(const Message& message, Micros now) {
  if (message.dst != config_.id) {
    ++stats_.ignored_messages;
    return;
  }
  const NodeId from = message.src;
  // Client requests come from anyone; Raft messages only from known peers.
  if (auto* get = std::get_if<GetRequest>(&message.body)) {
    HandleGet(from, *get, now);
    return;
  }
  if (auto* put = std::get_if<PutRequest>(&message.body)) {
    HandlePut(from, *put, now);
    return;
  }
  if (!IsPeer(from)) {
    ++stats_.ignored_messages;
    return;
  }
  heard_from_[from] = now;
  unanswered_asks_.erase(from);
  link_loss_.Received(from, message.seq);
  ReleaseLeaseOfDeposedLeader(message);
  if (auto* request = std::get_if<VoteRequest>(&message.body)) {
    HandleVoteRequest(from, *request, now);
  } else if (auto* reply = std::get_if<VoteReply>(&message.body)) {
    HandleVoteReply(from, *reply, now);
  } else if (auto* append = std::get_if<AppendEntries>(&message.body)) {
    HandleAppendEntries(from, message.leader, *append, now);
  } else if (auto* ack = std::get_if<AppendReply>(&message.body)) {
    HandleAppendReply(from, *ack, now);
  } else {
    ++stats_.ignored_messages;  // hello or a client reply: not for us
  }
}

void Replica::Tick(Micros now) {
  if (role_ == Role::kLeader) {
    CheckQuorum(now);
    if (role_ == Role::kLeader) ProbeForQuorum(now);
  } else {
    if (now >= ack_due_) SendDeferredAck();
    if (now >= round_won_at_) {
      MaybeWinRound(now);  // its linger is shorter than any timeout
    } else if (now >= election_deadline_) {
      if (!ExtendRound(now)) StartPreVote(now);
    } else if (now >= next_vote_resend_) {
      SendVoteRequests(now);
    }
  }
  if (role_ == Role::kLeader) {
    CheckChainStall(now);
    TakeOverSilentAnswerers(now);
    SendHeldPuts(now);
    SendLazyBatch(now);
    SendKeepalives(now);
  }
  // Held requests that waited too long go back to the client.
  while (!held_.empty() &&
         now >= held_.front().arrived + config_.request_hold_timeout) {
    PendingRequest request = std::move(held_.front());
    held_.pop_front();
    ++stats_.redirects;
    // No leader to name: the client picks another replica at random.
    Send(request.client, ClientReply{ReplyKind::kRedirect, request.mid, {}});
  }
}

Micros Replica::NextDeadline() const {
  Micros deadline = kNever;
  if (role_ == Role::kLeader) {
    if (ack_wanted_since_ != kNever) deadline = quorum_deadline_;
    deadline = std::min(deadline, NextQuorumProbe());
    deadline = std::min(deadline, chain_wait_.deadline);
    deadline = std::min(deadline, NextTakeover());
    deadline = std::min(deadline, lazy_batch_due_);
    deadline = std::min(deadline, put_batch_due_);
    for (const auto& [peer, progress] : progress_) {
      deadline = std::min(deadline, progress.next_keepalive);
    }
  } else {
    deadline = std::min(
        {election_deadline_, next_vote_resend_, ack_due_, round_won_at_});
  }
  if (!held_.empty()) {
    deadline = std::min(deadline,
                        held_.front().arrived + config_.request_hold_timeout);
  }
  return deadline;
}

}  // namespace stepwise

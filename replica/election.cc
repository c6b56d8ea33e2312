// Leader election: PreVote, RequestVote and CheckQuorum (Raft §5.2, §5.4.1
// and the thesis §9.6).

#include <algorithm>

#include "replica/replica.h"

namespace stepwise {

// The lease rule. A replica that heard from a leader within
// election_timeout_min refuses to help elect anybody else. This is what lets
// a replica that was cut off come back without deposing a healthy leader,
// and what makes the leader lease of reads.cc safe: a new leader needs a
// vote from some replica of the old leader's lease quorum, and that replica
// will not vote until election_timeout_min after it last heard from the old
// leader. It is deliberately not tied to leader_: a term bump from a stray
// message forgets the leader but must not shorten the promise.
bool Replica::HeardFromLeaderRecently(Micros now) const {
  if (role_ == Role::kLeader) return true;
  return last_heard_from_leader_ >= 0 &&
         now - last_heard_from_leader_ < config_.election_timeout_min;
}

void Replica::StartPreVote(Micros now) {
  // PreVote (thesis §9.6): ask first whether we could win, without touching
  // anyone's term, so a replica that cannot win never disrupts the cluster.
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  votes_.assign(1, config_.id);
  ++stats_.elections_started;
  ResetElectionTimer(now);
  if (static_cast<int>(votes_.size()) >= quorum()) {
    StartElection(now);
    return;
  }
  for (NodeId peer : config_.peers) {
    Send(peer, VoteRequest{term_ + 1, log_.last_index(), log_.last_term(),
                           /*pre_vote=*/true});
  }
}

void Replica::StartElection(Micros now) {
  role_ = Role::kCandidate;
  leader_ = kNoNode;
  SetTerm(term_ + 1);
  SetVote(config_.id);
  votes_.assign(1, config_.id);
  ResetElectionTimer(now);
  if (static_cast<int>(votes_.size()) >= quorum()) {
    BecomeLeader(now);
    return;
  }
  for (NodeId peer : config_.peers) {
    Send(peer, VoteRequest{term_, log_.last_index(), log_.last_term(),
                           /*pre_vote=*/false});
  }
}

void Replica::BecomeLeader(Micros now) {
  role_ = Role::kLeader;
  leader_ = config_.id;
  votes_.clear();
  last_heard_from_leader_ = now;
  progress_.clear();
  for (NodeId peer : config_.peers) {
    FollowerProgress& p = progress_[peer];
    p.next_index = log_.last_index() + 1;
  }
  // A no-op of the new term: entries of earlier terms commit only once an
  // entry of this term does (§5.4.2), and reads wait for it (§8).
  term_start_index_ = log_.Append(LogEntry{term_, "", "", kNoNode, ""});
  NoteLogChange(term_start_index_);
  next_quorum_check_ = now + config_.election_timeout_min;
  BroadcastAppend(now, /*heartbeat=*/false);
  MaybeAdvanceCommit(now);  // a single-replica cluster commits at once
  ReleaseHeldRequests(now);
}

void Replica::HandleVoteRequest(NodeId from, const VoteRequest& request,
                                Micros now) {
  if (HeardFromLeaderRecently(now)) {
    // No reply and no term change: the candidate learns nothing it could
    // use to disrupt the leader, and it costs no message.
    ++stats_.ignored_messages;
    return;
  }
  const bool log_ok =
      log_.IsUpToDate(request.last_log_index, request.last_log_term);
  if (request.pre_vote) {
    // Granting a pre-vote changes nothing here: not the term, not the vote.
    bool granted = request.term > term_ && log_ok;
    Send(from, VoteReply{granted ? request.term : term_, granted, true});
    return;
  }
  if (request.term < term_) {
    ++stats_.stale_messages;
    Send(from, VoteReply{term_, false, false});
    return;
  }
  if (request.term > term_) BecomeFollower(request.term, kNoNode, now);
  // One vote per term (§5.2), only for an up-to-date log (§5.4.1).
  bool granted = (voted_for_ == kNoNode || voted_for_ == from) && log_ok;
  if (granted) {
    SetVote(from);
    ResetElectionTimer(now);
  }
  Send(from, VoteReply{term_, granted, false});
}

void Replica::HandleVoteReply(NodeId from, const VoteReply& reply, Micros now) {
  if (reply.term > term_ && !(reply.pre_vote && reply.granted)) {
    // Someone is ahead of us: a rejected pre-vote carries the voter's term.
    BecomeFollower(reply.term, kNoNode, now);
    return;
  }
  Role wanted = reply.pre_vote ? Role::kPreCandidate : Role::kCandidate;
  Term round = reply.pre_vote ? term_ + 1 : term_;
  if (role_ != wanted || reply.term != round) {
    ++stats_.stale_messages;
    return;
  }
  if (!reply.granted) return;
  if (std::find(votes_.begin(), votes_.end(), from) == votes_.end()) {
    votes_.push_back(from);
  }
  if (static_cast<int>(votes_.size()) < quorum()) return;
  if (reply.pre_vote) {
    StartElection(now);
  } else {
    BecomeLeader(now);
  }
}

void Replica::CheckQuorum(Micros now) {
  // A leader that has not heard from a majority within election_timeout_min
  // may have been replaced on the other side of a partition: step down so
  // that clients go elsewhere and no stale read is served.
  int heard = 1;  // ourselves
  for (const auto& [peer, p] : progress_) {
    if (p.acked_sent_at >= now - config_.election_timeout_min) ++heard;
  }
  if (heard >= quorum()) {
    next_quorum_check_ = now + config_.election_timeout_min;
    return;
  }
  StepDown(now);
}

void Replica::StepDown(Micros now) { BecomeFollower(term_, kNoNode, now); }

}  // namespace stepwise

// Log replication: AppendEntries and its reply, fast backtracking of
// nextIndex, the commit rule and applying committed entries (Raft §5.3,
// §5.4.2; backtracking as in the thesis §5.3 / etcd's reject hint).

#include <algorithm>
#include <vector>

#include "replica/replica.h"

namespace stepwise {

void Replica::SendAppend(NodeId to, Micros now, bool allow_empty) {
  FollowerProgress& p = progress_[to];
  AppendEntries append;
  append.entries = log_.Slice(p.next_index, config_.max_entries_per_append);
  if (append.entries.empty() && !allow_empty) return;
  append.term = term_;
  append.prev_index = p.next_index - 1;
  append.prev_term = log_.term_at(append.prev_index);
  append.commit = commit_index_;
  append.sent_at = now;
  if (!append.entries.empty()) {
    // Pipelining: assume it arrives. A loss shows up as a rejection of the
    // next append, or as an unacknowledged entry at the next heartbeat.
    p.next_index += append.entries.size();
    p.in_flight = true;
  }
  p.last_sent = now;
  Send(to, std::move(append));
}

void Replica::BroadcastAppend(Micros now, bool heartbeat) {
  for (NodeId peer : config_.peers) {
    FollowerProgress& p = progress_[peer];
    if (!heartbeat) {
      SendAppend(peer, now, /*allow_empty=*/false);
      continue;
    }
    if (now < p.last_sent + config_.heartbeat_interval) continue;
    if (p.in_flight) {
      // Nothing acknowledged for a heartbeat interval: something was lost.
      // Resend from the first entry the follower is not known to have.
      p.next_index = p.match_index + 1;
    }
    SendAppend(peer, now, /*allow_empty=*/true);
  }
}

void Replica::HandleAppendEntries(NodeId from, const AppendEntries& append,
                                  Micros now) {
  if (append.term < term_) {
    // Tell a deposed leader the news (§5.1).
    ++stats_.stale_messages;
    AppendReply reply;
    reply.term = term_;
    reply.sent_at = append.sent_at;
    Send(from, reply);
    return;
  }
  if (role_ == Role::kLeader && append.term == term_) {
    // Two leaders in one term is impossible (§5.2); never act on it.
    ++stats_.ignored_messages;
    return;
  }
  if (append.term > term_ || role_ != Role::kFollower || leader_ != from) {
    BecomeFollower(append.term, from, now);
  } else {
    last_heard_from_leader_ = now;
    ResetElectionTimer(now);
    ReleaseHeldRequests(now);  // held while the leader was quiet
  }

  AppendReply reply;
  reply.term = term_;
  reply.sent_at = append.sent_at;
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
    Send(from, reply);
    return;
  }
  LogIndex changed = log_.MergeAfter(append.prev_index, append.entries);
  NoteLogChange(changed);
  const LogIndex last_new = append.prev_index + append.entries.size();
  // Only up to the last entry this append vouched for: beyond it our log may
  // still hold entries the leader does not have.
  if (append.commit > commit_index_) {
    SetCommitIndex(std::min(append.commit, last_new), now);
  }
  reply.success = true;
  reply.match_index = last_new;
  Send(from, reply);
}

void Replica::HandleAppendReply(NodeId from, const AppendReply& reply,
                                Micros now) {
  if (reply.term > term_) {
    BecomeFollower(reply.term, kNoNode, now);
    return;
  }
  if (role_ != Role::kLeader || reply.term != term_) {
    ++stats_.stale_messages;
    return;
  }
  FollowerProgress& p = progress_[from];
  p.acked_sent_at = std::max(p.acked_sent_at, reply.sent_at);
  if (reply.success) {
    if (reply.match_index > p.match_index) p.match_index = reply.match_index;
    p.next_index = std::max(p.next_index, p.match_index + 1);
    if (p.match_index >= log_.last_index()) p.in_flight = false;
    // A follower catching up gets its next batch now, not a heartbeat later.
    if (p.next_index <= log_.last_index()) {
      SendAppend(from, now, /*allow_empty=*/false);
    }
    MaybeAdvanceCommit(now);
  } else if (reply.sent_at >= p.rewound_at) {
    LogIndex next = reply.conflict_index;
    if (reply.conflict_term != 0) {
      LogIndex ours = log_.LastIndexOfTerm(reply.conflict_term);
      if (ours != 0) next = ours + 1;
    }
    next = std::clamp<LogIndex>(next, p.match_index + 1, log_.last_index() + 1);
    p.next_index = next;
    p.rewound_at = now;
    SendAppend(from, now, /*allow_empty=*/true);
  }
  ServeReadsIfLeaseValid(now);
}

void Replica::MaybeAdvanceCommit(Micros now) {
  std::vector<LogIndex> matches;
  matches.reserve(progress_.size() + 1);
  matches.push_back(log_.last_index());
  for (const auto& [peer, p] : progress_) matches.push_back(p.match_index);
  std::sort(matches.begin(), matches.end(), std::greater<LogIndex>());
  LogIndex majority = matches[quorum() - 1];
  // Only an entry of our own term commits by counting replicas (§5.4.2,
  // Figure 8); earlier ones commit with it.
  if (majority > commit_index_ && log_.term_at(majority) == term_) {
    SetCommitIndex(majority, now);
  }
}

void Replica::SetCommitIndex(LogIndex commit, Micros now) {
  if (commit <= commit_index_) return;  // never goes backwards
  commit_index_ = commit;
  ApplyCommitted(now);
}

void Replica::ApplyCommitted(Micros now) {
  while (applied_index_ < commit_index_) {
    ++applied_index_;
    const LogEntry& entry = log_.at(applied_index_);
    kv_.Apply(entry);
    AnswerOnApply(applied_index_, entry, now);
  }
  if (role_ == Role::kLeader) ServeReadsIfLeaseValid(now);
}

}  // namespace stepwise

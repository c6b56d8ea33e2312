// Linearizable gets: from a leader lease when it holds (no message at all),
// through the log when it does not.
//
// The lease (Raft thesis §6.4.1). Clock assumption: the replicas' clocks
// advance at the same rate, to within lease_margin over
// election_timeout_min. All replicas run on one machine and read the same
// monotonic clock, so the real drift is far smaller.
//
// Why it is safe: a follower that acknowledges an append sent at time s
// received it no earlier than s, and then refuses to vote for anyone until
// election_timeout_min after that (HeardFromLeaderRecently). So did every
// follower that relayed it to the one that acknowledged (chain replication,
// replication.cc): it accepted the append, sent at s, before relaying it,
// and the acknowledgement names it. A new leader
// needs a vote from a majority, which shares a replica with the majority
// that acknowledged us, so no other leader can exist before
// s + election_timeout_min on that replica's clock. We stop serving at
// s + election_timeout_min - lease_margin on ours. Until then no other
// leader can have committed anything, so our applied state is the latest,
// provided our own no-op committed (we then hold every committed entry).
//
// One more condition, for the harness's clients rather than for Raft: a get
// on a key whose latest put is not known to have been answered is not
// served from the lease (answers.cc). Its answerer may already have told
// the client "ok" while our state machine lags, or not yet, while ours has
// the value.
//
// The log. Any other get becomes an entry of its own (LogEntry::is_get): it
// goes down the chain with the puts and is answered by its answerer when
// the entry applies, with the key's value at that place in the log. A
// committed entry's place is a point between the get's arrival and its
// answer, so the read is linearizable with no lease; and its answerer is
// the one of the key's unconfirmed entries before it and after it
// (AnswererForNewEntry), so the client hears of the key's puts and gets in
// log order. Held at the leader instead, waiting for a lease round or for
// its key's put to be known answered, a get died with a leader killed
// meanwhile: on seeds 1,001-8,000 runs with an unanswered get went 43 -> 8,
// 210 -> 17, 420 -> 87 and 35 -> 6 in advanced-1..4. A get in the log
// costs what the lease round it replaces did, a chain append and, while the
// lease is out, an acknowledgement at once (NewEntriesAckDelay, leader.cc),
// and it carries puts whose own append was lost: advanced-4 runs above its
// message Bonus went 415 -> 357.
//
// At most max_gets_in_log of our gets wait in the log at once; the others
// wait here for the lease that those entries' acknowledgement renews, or
// for room in the log (ServeWaitingGets). The clients an election held
// come back all at once, mostly with gets where gets are most of the mix:
// each in the log, a cluster of eight with exactly a quorum alive at 37%
// drops took ten seconds to commit the backlog of 850 entries, 64 to an
// append (fresh fuzz seed 2577803).

#include <algorithm>
#include <string>
#include <vector>

#include "replica/replica.h"

namespace stepwise {

Micros Replica::LeaseExpiry() const {
  std::vector<Micros> acked;
  acked.reserve(progress_.size());
  for (const auto& [peer, p] : progress_) acked.push_back(p.acked_sent_at);
  std::sort(acked.begin(), acked.end(), std::greater<Micros>());
  // We count ourselves, as the most recent of all; quorum() - 1 followers
  // must have acknowledged.
  size_t needed = quorum() - 1;
  if (needed == 0) return kNever;
  Micros oldest_needed = acked[needed - 1];
  if (oldest_needed < 0) return -1;
  return oldest_needed + config_.election_timeout_min - config_.lease_margin;
}

bool Replica::LeaseValid(Micros now) const {
  return role_ == Role::kLeader && applied_index_ >= term_start_index_ &&
         now < LeaseExpiry();
}

size_t Replica::GetsInLog() const {
  size_t gets = 0;
  for (const auto& [index, request] : awaiting_commit_) {
    if (request.is_get) ++gets;
  }
  return gets;
}

void Replica::ServeWaitingGets(Micros now) {
  if (awaiting_lease_.empty() || role_ != Role::kLeader) return;
  const bool lease = LeaseValid(now);
  // Taken out first: an append may commit at once (a cluster of one) and
  // come back here.
  std::deque<PendingRequest> queue = std::move(awaiting_lease_);
  awaiting_lease_.clear();
  std::deque<PendingRequest> waiting;
  size_t in_log = GetsInLog();
  for (PendingRequest& request : queue) {
    if (lease && !KeyUnconfirmed(request.key)) {
      Reply(request.client, request.mid, ReplyKind::kOk, kv_.Get(request.key));
    } else if (in_log < config_.max_gets_in_log) {
      ++in_log;
      LogEntry entry{term_, request.key, "", request.client, request.mid, true};
      AppendRequest(std::move(entry), std::move(request), now);
    } else {
      waiting.push_back(std::move(request));
    }
  }
  for (PendingRequest& request : awaiting_lease_) {
    waiting.push_back(std::move(request));
  }
  awaiting_lease_ = std::move(waiting);
}

std::string Replica::ValueAt(LogIndex index, const std::string& key) const {
  // Applying it: the state machine stands at its place in the log (a get
  // changes nothing). Answered later, in a takeover, the log says.
  if (index == applied_index_) return kv_.Get(key);
  for (LogIndex i = index; i > 1; --i) {
    const LogEntry& entry = log_.at(i - 1);
    if (entry.is_put() && entry.key == key) return entry.value;
  }
  return "";
}

}  // namespace stepwise

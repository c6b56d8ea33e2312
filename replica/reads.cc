// Linearizable gets from a leader lease (Raft thesis §6.4.1).
//
// Clock assumption: the replicas' clocks advance at the same rate, to within
// lease_margin over election_timeout_min. All replicas run on one machine
// and read the same monotonic clock, so the real drift is far smaller.
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
// on a key whose latest put is not known to have been answered waits until
// it is (answers.cc). Its answerer may already have told the client "ok"
// while our state machine lags, or not yet, while ours has the value.
//
// Acknowledgements come with puts, and while the lease is out a get asks
// for one round down the chain (then, on a chain longer than two, of every
// follower on its own): no timer renews it on its own, so an idle leader
// costs no message for it.

#include <algorithm>
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

void Replica::ServeReadsIfLeaseValid(Micros now) {
  if (awaiting_lease_.empty() || !LeaseValid(now)) return;
  lease_rounds_ = 0;
  std::deque<PendingRequest> waiting;
  for (PendingRequest& request : awaiting_lease_) {
    if (KeyUnconfirmed(request.key)) {
      waiting.push_back(std::move(request));
      continue;
    }
    Reply(request.client, request.mid, ReplyKind::kOk, kv_.Get(request.key));
  }
  awaiting_lease_ = std::move(waiting);
}

void Replica::RenewLease(Micros now) {
  // One round for all the gets that queue while it is out: the tail's
  // acknowledgement counts for the whole chain, a majority with us. Asked
  // again, backing off, while gets wait and the lease stays out.
  lease_round_at_ = now;
  lease_rounds_ = std::min(lease_rounds_ + 1, 6);
  if (lease_rounds_ >= 2 && chain_.size() > 2) {
    // A long chain on a lossy network rarely gets a round through every
    // relay: from the second round, every follower is asked on its own, and
    // acknowledgements add up across rounds until a majority has answered.
    for (NodeId peer : config_.peers) {
      SendAppend(peer, now, SendOptions{true, false, 0});
    }
    return;
  }
  SendChain(now, /*ack_delay=*/0, /*allow_empty=*/true);
}

Micros Replica::NextLeaseRound() const {
  if (role_ != Role::kLeader || awaiting_lease_.empty()) return kNever;
  // A stalled chain is being asked again already, each time for an
  // acknowledgement at once (CheckChainStall): one that comes renews the
  // lease, and a round of our own beside it would only double the traffic
  // of a leader that may be cut off.
  if (chain_wait_.attempts > 0) return kNever;
  Micros retry = std::min(config_.stall_slack << lease_rounds_,
                          config_.election_timeout_min / 4);
  // Not before the lease runs out: gets that wait while it holds wait for
  // their key's put (answers.cc), which no round would hasten.
  return std::max(lease_round_at_ + retry, LeaseExpiry());
}

void Replica::MaybeRenewLease(Micros now) {
  if (now >= NextLeaseRound() && !LeaseValid(now)) RenewLease(now);
}

}  // namespace stepwise

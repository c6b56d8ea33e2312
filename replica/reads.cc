// Linearizable gets from a leader lease (Raft thesis §6.4.1).
//
// Clock assumption: the replicas' clocks advance at the same rate, to within
// lease_margin over election_timeout_min. All replicas run on one machine
// and read the same monotonic clock, so the real drift is far smaller.
//
// Why it is safe: a follower that acknowledges an append sent at time s
// received it no earlier than s, and then refuses to vote for anyone until
// election_timeout_min after that (HeardFromLeaderRecently). A new leader
// needs a vote from a majority, which shares a replica with the majority
// that acknowledged us, so no other leader can exist before
// s + election_timeout_min on that replica's clock. We stop serving at
// s + election_timeout_min - lease_margin on ours. Until then no other
// leader can have committed anything, so our applied state is the latest,
// provided our own no-op committed (we then hold every committed entry).

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
  while (!awaiting_lease_.empty()) {
    PendingRequest request = std::move(awaiting_lease_.front());
    awaiting_lease_.pop_front();
    Reply(request.client, request.mid, ReplyKind::kOk, kv_.Get(request.key));
  }
}

void Replica::RenewLease(Micros now) {
  // One round for all the gets that queue while it is out: each heartbeat
  // ack moves the lease forward, and every waiting get is served at once.
  for (NodeId peer : config_.peers) SendAppend(peer, now, /*allow_empty=*/true);
}

}  // namespace stepwise

// Client gets and puts: answer here, hold, or redirect.
//
// Redirect, not forward. A request at a follower is answered `redirect`
// naming the leader rather than forwarded to it: a redirect costs no
// replica-to-replica message (client traffic is not counted), the client
// learns the leader from it and sends the rest of its requests there
// directly, and no request is ever owned by two replicas, so no MID can be
// answered twice. A replica that knows no leader, or whose leader has gone
// quiet, holds the request until one is known (then redirects there, or
// serves it if it became the leader itself) rather than sending the client
// in circles; only after request_hold_timeout does it let the client try
// another replica. No cycle of redirects is possible: a leader belief is
// always for the believer's current term, and the replica it names either
// leads that term or has moved to a later one.

#include <utility>

#include "replica/replica.h"

namespace stepwise {

void Replica::Reply(NodeId client, const std::string& mid, ReplyKind kind,
                    std::optional<std::string> value) {
  Send(client, ClientReply{kind, mid, std::move(value)});
}

void Replica::HandleGet(NodeId client, const GetRequest& get, Micros now) {
  last_request_at_ = now;
  if (role_ != Role::kLeader) {
    RouteElsewhere(PendingRequest{client, get.mid, true, get.key, "", now},
                   now);
    return;
  }
  if (LeaseValid(now) && !KeyUnconfirmed(get.key)) {
    Reply(client, get.mid, ReplyKind::kOk, kv_.Get(get.key));
    return;
  }
  // The lease is out, or the key's latest put is not known to be answered:
  // through the log instead, or waiting for room there (reads.cc).
  awaiting_lease_.push_back(
      PendingRequest{client, get.mid, true, get.key, "", now});
  ServeWaitingGets(now);
}

void Replica::HandlePut(NodeId client, const PutRequest& put, Micros now) {
  last_request_at_ = now;
  if (role_ != Role::kLeader) {
    RouteElsewhere(
        PendingRequest{client, put.mid, false, put.key, put.value, now}, now);
    return;
  }
  AppendRequest(LogEntry{term_, put.key, put.value, client, put.mid},
                PendingRequest{client, put.mid, false, put.key, put.value, now},
                now);
}

void Replica::AppendRequest(LogEntry entry, PendingRequest request,
                            Micros now) {
  if (EntryWireBound(entry) > config_.max_append_bytes) {
    // No append could carry it: in the log it would stop replication for
    // good, every later entry queued behind it.
    ++stats_.oversized_requests;
    Reply(request.client, request.mid, ReplyKind::kFail);
    return;
  }
  if (entry.is_get) ++stats_.gets_in_log;
  // The chain's tail answers it (answers.cc); with no chain, we do.
  const NodeId answerer = AnswererForNewEntry(entry.key);
  LogIndex index = log_.Append(std::move(entry));
  NoteLogChange(index);
  answerer_[index] = answerer;
  unconfirmed_[index] = now;
  awaiting_commit_.emplace(index, std::move(request));
  Replicate(now);
}

void Replica::RouteElsewhere(PendingRequest request, Micros now) {
  // A leader with no clients speaks less often and says so (quiet_for).
  const Micros window = config_.leader_contact_window + leader_quiet_for_;
  bool leader_fresh =
      leader_ != kNoNode && now - last_heard_from_leader_ < window;
  // A client comes back to a non-leader after our redirect only if the
  // replica we named is dead or no longer leads (the harness's clients
  // re-send to a living named leader). Redirecting it there again would
  // bounce it between followers until an election settles; hold it instead.
  auto last = last_redirect_.find(request.client);
  bool bounced_back = last != last_redirect_.end() &&
                      last->second.leader == leader_ &&
                      now - last->second.at < config_.leader_contact_window;
  if (leader_fresh && !bounced_back) {
    Redirect(request, now);
    return;
  }
  Hold(std::move(request));
}

void Replica::Redirect(const PendingRequest& request, Micros now) {
  ++stats_.redirects;
  last_redirect_[request.client] = LastRedirect{leader_, now};
  Reply(request.client, request.mid, ReplyKind::kRedirect);
}

void Replica::Hold(PendingRequest request) {
  ++stats_.held_requests;
  held_.push_back(std::move(request));
}

void Replica::ReleaseHeldRequests(Micros now) {
  if (held_.empty() || leader_ == kNoNode) return;
  std::deque<PendingRequest> held = std::move(held_);
  held_.clear();
  for (PendingRequest& request : held) {
    if (role_ == Role::kLeader) {
      if (request.is_get) {
        HandleGet(request.client, GetRequest{request.mid, request.key}, now);
      } else {
        HandlePut(request.client,
                  PutRequest{request.mid, request.key, request.value}, now);
      }
    } else {
      Redirect(request, now);
    }
  }
}

void Replica::ResolveOwnEntry(LogIndex index, const LogEntry& entry,
                              Micros now) {
  // A put or get we appended as leader: its answerer answers it
  // (answers.cc).
  awaiting_commit_.erase(index);
  auto unresolved = unresolved_entries_.find(index);
  if (unresolved == unresolved_entries_.end()) return;
  PendingRequest request = std::move(unresolved->second);
  unresolved_entries_.erase(unresolved);
  // Committed as ours: its answerer answers it. Some other entry committed
  // at the index: ours can never commit now, so the client may safely be
  // told to retry.
  if (entry.mid == request.mid) return;
  GiveUpOwnEntry(std::move(request), now);
}

void Replica::GiveUpOwnEntry(PendingRequest request, Micros now) {
  if (leader_ != kNoNode) {
    Redirect(request, now);
  } else {
    request.arrived = now;
    Hold(std::move(request));
  }
}

void Replica::ResolveDeadEntries(LogIndex committed_index, Term committed_term,
                                 Micros now) {
  // An entry committed below our entry's index with a later term than
  // ours: every future leader holds it, and terms never fall along a log,
  // so no leader will ever hold our entry at its index. Nor if the
  // committed entry is at our entry's index with another term. It can never
  // commit, so the client may be told to retry now, rather than once the
  // log has grown to its index, which with few clients may be long.
  for (auto it = unresolved_entries_.begin();
       it != unresolved_entries_.end();) {
    const LogIndex index = it->first;
    const Term term = it->second.entry_term;
    const bool dead = (index > committed_index && committed_term > term) ||
                      (index == committed_index && committed_term != term);
    if (!dead) {
      ++it;
      continue;
    }
    PendingRequest request = std::move(it->second);
    it = unresolved_entries_.erase(it);
    GiveUpOwnEntry(std::move(request), now);
  }
}

void Replica::RequeueOwedRequests(Micros now) {
  // No longer leader. Our uncommitted entries, puts and gets, may still
  // commit under the next leader and be answered by their answerer, so they
  // must not be redirected (a redirect then an ok for one MID is an
  // incorrect reply): they wait until their index commits.
  for (auto& [index, request] : awaiting_commit_) {
    request.entry_term = log_.term_at(index);
    unresolved_entries_.emplace(index, std::move(request));
  }
  awaiting_commit_.clear();
  // Gets not in the log have no effect: they go back to the hold queue, to
  // be redirected once a leader is known.
  for (PendingRequest& request : awaiting_lease_) {
    request.arrived = now;
    held_.push_back(std::move(request));
  }
  awaiting_lease_.clear();
}

}  // namespace stepwise

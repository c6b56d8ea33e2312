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
  if (role_ != Role::kLeader) {
    RouteElsewhere(PendingRequest{client, get.mid, true, get.key, "", now},
                   now);
    return;
  }
  if (LeaseValid(now)) {
    Reply(client, get.mid, ReplyKind::kOk, kv_.Get(get.key));
    return;
  }
  bool start_round = awaiting_lease_.empty();
  awaiting_lease_.push_back(
      PendingRequest{client, get.mid, true, get.key, "", now});
  if (start_round) RenewLease(now);
}

void Replica::HandlePut(NodeId client, const PutRequest& put, Micros now) {
  if (role_ != Role::kLeader) {
    RouteElsewhere(
        PendingRequest{client, put.mid, false, put.key, put.value, now}, now);
    return;
  }
  LogIndex index =
      log_.Append(LogEntry{term_, put.key, put.value, client, put.mid});
  NoteLogChange(index);
  awaiting_commit_.emplace(
      index, PendingRequest{client, put.mid, false, put.key, put.value, now});
  BroadcastAppend(now, /*heartbeat=*/false);
  MaybeAdvanceCommit(now);  // a single-replica cluster commits at once
}

void Replica::RouteElsewhere(PendingRequest request, Micros now) {
  bool leader_fresh = leader_ != kNoNode && now - last_heard_from_leader_ <
                                                config_.leader_contact_window;
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

void Replica::AnswerOnApply(LogIndex index, const LogEntry& entry) {
  if (entry.is_noop()) return;
  auto it = awaiting_commit_.find(index);
  if (it != awaiting_commit_.end() && it->second.mid == entry.mid) {
    Reply(it->second.client, it->second.mid, ReplyKind::kOk);
    awaiting_commit_.erase(it);
    return;
  }
  // A put this replica accepted as leader, then held when it stepped down:
  // its entry survived and committed, so the answer is ok after all.
  for (auto held = held_.begin(); held != held_.end(); ++held) {
    if (!held->is_get && held->mid == entry.mid) {
      Reply(held->client, held->mid, ReplyKind::kOk);
      held_.erase(held);
      return;
    }
  }
}

void Replica::RequeueOwedRequests(Micros now) {
  // No longer leader: what we owe goes back to the hold queue, with a fresh
  // hold time, to be redirected once a leader is known.
  for (auto& [index, request] : awaiting_commit_) {
    request.arrived = now;
    held_.push_back(std::move(request));
  }
  awaiting_commit_.clear();
  for (PendingRequest& request : awaiting_lease_) {
    request.arrived = now;
    held_.push_back(std::move(request));
  }
  awaiting_lease_.clear();
}

}  // namespace stepwise

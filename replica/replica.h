#ifndef STEPWISE_REPLICA_REPLICA_H_
#define STEPWISE_REPLICA_REPLICA_H_

// The Raft replica as a pure step function.
//
// Inputs: Step(message, now) and Tick(now). Outputs, collected by
// TakeReady(): the state to make durable, then the messages to send; and
// NextDeadline(), the time the replica next wants a Tick. The replica never
// reads a clock, does no I/O and draws randomness only from the seed in its
// config, so the same inputs always give the same outputs. This is the
// boundary etcd's RawNode/Ready draws: the driver (the UDP shim or the
// simulator) owns time, sockets and storage.
//
// The rules live in one file per concern:
//   replica.cc          step dispatch, terms, role changes, timers
//   election.cc         PreVote, RequestVote, CheckQuorum
//   replication.cc      AppendEntries, backtracking, commit, apply
//   reads.cc            the leader lease that serves linearizable gets
//   client_requests.cc  get/put from clients: answer, hold or redirect

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "replica/kv_store.h"
#include "replica/messages.h"
#include "replica/raft_log.h"
#include "replica/rng.h"
#include "replica/types.h"

namespace stepwise {

struct ReplicaConfig {
  NodeId id = 0;
  std::vector<NodeId> peers;  // every other replica
  uint64_t seed = 1;          // election timeouts are drawn from it

  // A follower that hears nothing from a leader for a random time in
  // [min, max] campaigns. A replica that heard from a leader within `min`
  // refuses (pre)votes, which is what makes the leader lease safe.
  Micros election_timeout_min = 600 * kMillis;
  Micros election_timeout_max = 1200 * kMillis;
  // A leader speaks to an idle follower at least this often.
  Micros heartbeat_interval = 150 * kMillis;
  // Clock assumption of the lease (reads.cc): in the time a follower
  // measures as election_timeout_min, the leader's clock advances at least
  // election_timeout_min - lease_margin.
  Micros lease_margin = 100 * kMillis;
  // A follower redirects clients to its leader only if it heard from it
  // this recently (the leader speaks every heartbeat_interval); otherwise the
  // leader may be dead and the request is held instead, so that clients are
  // not bounced to a dead leader and back for a whole election timeout.
  Micros leader_contact_window = 320 * kMillis;
  // The longest a request waits at a replica that knows no leader before it
  // is redirected anyway (to no leader: the client then picks another).
  Micros request_hold_timeout = 1500 * kMillis;
  // At most this many entries ride in one AppendEntries.
  size_t max_entries_per_append = 64;
};

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

// The state Raft requires on stable storage before replying (Figure 2).
struct HardState {
  Term term = 0;
  NodeId voted_for = kNoNode;
  bool operator==(const HardState&) const = default;
};

// What the driver must do after a step, in this order: make `hard_state`
// and the log change durable, then send `messages`.
struct Ready {
  std::optional<HardState> hard_state;  // set when term or vote changed
  // Log change: drop every stored entry at index >= first_new_index, then
  // store `new_entries` from that index on. first_new_index == 0: no change.
  LogIndex first_new_index = 0;
  std::vector<LogEntry> new_entries;
  std::vector<Message> messages;

  bool empty() const {
    return !hard_state && first_new_index == 0 && messages.empty();
  }
};

// Counters for what the replica saw and did, for reports and tests.
struct ReplicaStats {
  uint64_t stale_messages = 0;    // from an older term, answered or ignored
  uint64_t ignored_messages = 0;  // not for this replica, or nonsensical
  uint64_t elections_started = 0;
  uint64_t redirects = 0;
  uint64_t held_requests = 0;
};

class Replica {
 public:
  // `now` starts the first election timer. The first timeout is drawn like
  // any other, so it is at least election_timeout_min away: peers have time
  // to say hello before anyone campaigns.
  Replica(ReplicaConfig config, Micros now);

  // A message arrived. Messages with another dst are ignored and counted.
  void Step(const Message& message, Micros now);
  // Time has reached `now`: fire whatever timers are due.
  void Tick(Micros now);
  // The earliest time at which Tick has work to do.
  Micros NextDeadline() const;

  bool HasReady() const { return !ready_.empty(); }
  Ready TakeReady();

  // Observers, for drivers, checkers and tests.
  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId voted_for() const { return voted_for_; }
  NodeId leader() const { return leader_; }
  LogIndex commit_index() const { return commit_index_; }
  LogIndex applied_index() const { return applied_index_; }
  const RaftLog& log() const { return log_; }
  const KvStore& kv() const { return kv_; }
  const ReplicaStats& stats() const { return stats_; }
  const ReplicaConfig& config() const { return config_; }
  // Whether a get arriving now would be answered from the lease.
  bool LeaseValid(Micros now) const;

 private:
  struct FollowerProgress {
    LogIndex next_index = 1;
    LogIndex match_index = 0;
    // Send time of the last AppendEntries this follower acknowledged (any
    // reply of the current term counts: it proves the follower heard us).
    Micros acked_sent_at = -1;
    Micros last_sent = -1;   // when we last sent it anything
    bool in_flight = false;  // an append with entries is unacknowledged
    // When next_index was last moved back after a rejection: rejections of
    // appends sent before then are stale and must not rewind it again.
    Micros rewound_at = -1;
  };

  // A client request this replica owes an answer.
  struct PendingRequest {
    NodeId client = kNoNode;
    std::string mid;
    bool is_get = false;
    std::string key;
    std::string value;
    Micros arrived = 0;
  };

  // replica.cc
  // A strict majority of the cluster (the peers and ourselves).
  int quorum() const {
    return static_cast<int>(config_.peers.size() + 1) / 2 + 1;
  }
  void Send(NodeId dst, MessageBody body);
  void BecomeFollower(Term term, NodeId leader, Micros now);
  void SetTerm(Term term);
  void SetVote(NodeId vote);
  void ResetElectionTimer(Micros now);
  void NoteLogChange(LogIndex first_changed);

  // election.cc
  void StartPreVote(Micros now);
  void StartElection(Micros now);
  void BecomeLeader(Micros now);
  void HandleVoteRequest(NodeId from, const VoteRequest& request, Micros now);
  void HandleVoteReply(NodeId from, const VoteReply& reply, Micros now);
  bool HeardFromLeaderRecently(Micros now) const;
  void StepDown(Micros now);
  void CheckQuorum(Micros now);

  // replication.cc
  void SendAppend(NodeId to, Micros now, bool allow_empty);
  void BroadcastAppend(Micros now, bool heartbeat);
  void HandleAppendEntries(NodeId from, const AppendEntries& append,
                           Micros now);
  void HandleAppendReply(NodeId from, const AppendReply& reply, Micros now);
  void MaybeAdvanceCommit(Micros now);
  void SetCommitIndex(LogIndex commit, Micros now);
  void ApplyCommitted(Micros now);

  // reads.cc
  Micros LeaseExpiry() const;
  void ServeReadsIfLeaseValid(Micros now);
  void RenewLease(Micros now);

  // client_requests.cc
  void HandleGet(NodeId client, const GetRequest& get, Micros now);
  void HandlePut(NodeId client, const PutRequest& put, Micros now);
  void Reply(NodeId client, const std::string& mid, ReplyKind kind,
             std::optional<std::string> value = std::nullopt);
  void RouteElsewhere(PendingRequest request, Micros now);
  void Redirect(const PendingRequest& request, Micros now);
  void Hold(PendingRequest request);
  void ReleaseHeldRequests(Micros now);
  void AnswerOnApply(LogIndex index, const LogEntry& entry, Micros now);
  void RequeueOwedRequests(Micros now);

  ReplicaConfig config_;
  Rng rng_;

  // Persistent state (Figure 2).
  Term term_ = 0;
  NodeId voted_for_ = kNoNode;
  RaftLog log_;

  // Volatile state.
  Role role_ = Role::kFollower;
  NodeId leader_ = kNoNode;
  LogIndex commit_index_ = 0;
  LogIndex applied_index_ = 0;
  KvStore kv_;
  Micros election_deadline_ = kNever;
  Micros last_heard_from_leader_ = -1;  // -1: never

  // Candidate state: who granted this (pre)vote round.
  std::vector<NodeId> votes_;

  // Leader state.
  std::map<NodeId, FollowerProgress> progress_;
  LogIndex term_start_index_ = 0;  // our no-op; reads wait for its commit
  Micros next_quorum_check_ = kNever;

  // Client requests this replica must answer.
  std::map<LogIndex, PendingRequest> awaiting_commit_;  // leader's puts
  std::deque<PendingRequest> awaiting_lease_;           // leader's gets
  std::deque<PendingRequest> held_;                     // no leader known
  // Puts accepted while we led whose entries may still commit under another
  // leader, by index: resolved when that index commits.
  std::map<LogIndex, PendingRequest> unresolved_puts_;
  // The last redirect sent to each client: whom it named, and when.
  struct LastRedirect {
    NodeId leader = kNoNode;
    Micros at = -1;
  };
  std::map<NodeId, LastRedirect> last_redirect_;

  ReplicaStats stats_;
  Ready ready_;
  HardState last_hard_state_;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_REPLICA_H_

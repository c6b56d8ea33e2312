#ifndef STEPWISE_REPLICA_MESSAGES_H_
#define STEPWISE_REPLICA_MESSAGES_H_

// The typed messages the core consumes and produces. JSON exists only at the
// boundary (codec.h); the core and the simulator see these structs.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "replica/types.h"

namespace stepwise {

// The first datagram every replica sends, so the hub learns its port.
struct Hello {};

// Client requests. MIDs are unique per request; a retry has a new MID.
struct GetRequest {
  std::string mid;
  std::string key;
};

struct PutRequest {
  std::string mid;
  std::string key;
  std::string value;
};

enum class ReplyKind { kOk, kRedirect, kFail };

// The one reply a client request gets. `value` is set only on a get's ok.
struct ClientReply {
  ReplyKind kind = ReplyKind::kOk;
  std::string mid;
  std::optional<std::string> value;
};

// A log entry. A no-op (empty mid) is what a new leader appends to commit
// the entries of earlier terms; a put carries the client and MID so that the
// replica holding the request can answer it when the entry applies. A get
// the leader cannot answer at once is an entry too (`is_get`, no value): it
// changes nothing, and its answerer replies with the key's value at the
// entry's place in the log (reads.cc).
struct LogEntry {
  Term term = 0;
  std::string key;
  std::string value;
  NodeId client = kNoNode;
  std::string mid;
  bool is_get = false;

  bool is_noop() const { return mid.empty(); }
  bool is_put() const { return !is_noop() && !is_get; }
  bool operator==(const LogEntry&) const = default;
};

// At most how many bytes `entry` takes inside an encoded AppendEntries,
// answerer included (codec.cc's JSON, where a string byte becomes at most
// six: a control character is written \u00XX, a byte of invalid UTF-8 as
// U+FFFD's three). An append's entries are
// chosen to fit a datagram by this (RaftLog::Slice); codec_test holds the
// codec to it.
size_t EntryWireBound(const LogEntry& entry);

// RequestVote, also used for PreVote (then `term` is the term the sender
// would campaign in, and nobody's term changes).
struct VoteRequest {
  Term term = 0;
  LogIndex last_log_index = 0;
  Term last_log_term = 0;
  bool pre_vote = false;
};

struct VoteReply {
  Term term = 0;
  bool granted = false;
  bool pre_vote = false;
  // Refused because the voter's log is more up-to-date than the
  // candidate's: the candidate may stand aside for it, and a voter that
  // has heard from no leader lately campaigns itself (election.cc).
  bool log_ahead = false;
  // Where the voter's log ends, so that a leader it elects starts its
  // first append to it there instead of learning it from a refusal
  // (BecomeLeader).
  LogIndex last_log_index = 0;
  Term last_log_term = 0;
};

// Sent by a leader (or relayed by a follower, see `relay`). The fields after
// `sent_at` drive chain replication (replication.cc): the defaults make a
// plain Raft AppendEntries, answered at once.
struct AppendEntries {
  Term term = 0;
  LogIndex prev_index = 0;
  Term prev_term = 0;
  std::vector<LogEntry> entries;  // entries[i] has index prev_index + 1 + i
  LogIndex commit = 0;
  // The leader's clock when it sent this, echoed in the reply: an ack proves
  // the follower heard from the leader no earlier than this (leases, reads).
  Micros sent_at = 0;
  // answerers[i]: the replica that answers the client of entries[i] once it
  // applies it (kNoNode: not known). Empty: none known for any entry.
  std::vector<NodeId> answerers;
  // Chain replication: a receiver that accepts the entries forwards this
  // append to relay[0] (with the rest of `relay`, itself added to `via`, and
  // stored_by + 1) instead of replying; the last one replies to the leader.
  std::vector<NodeId> relay;
  // Followers that accepted this append before you and relayed it.
  std::vector<NodeId> via;
  // How many replicas other than the receiver are known to hold the
  // leader's log up to prev_index + entries.size(): with the receiver, a
  // majority commits that prefix (if it ends in the current term).
  uint32_t stored_by = 0;
  // Every put entry up to here is known to have been answered.
  LogIndex confirmed = 0;
  // When the receiver should acknowledge a success: 0 at once, > 0 within
  // that many microseconds (one reply may cover several appends), kNoAck
  // never. A refusal is always answered at once.
  Micros ack_delay = 0;
  // The leader may stay silent this much longer than usual: the receiver
  // waits that much more before campaigning, and before voting for another
  // too if the leader is `idle` (has no clients).
  Micros quiet_for = 0;
  bool idle = false;
};

inline constexpr Micros kNoAck = -1;

struct AppendReply {
  Term term = 0;
  bool success = false;
  // On success: the last index known to match the leader's log.
  LogIndex match_index = 0;
  // On failure, a hint for fast backtracking (Raft thesis 5.3): the term of
  // the follower's entry at prev_index (0 if its log is shorter) and the
  // first index the follower has of that term (or its log length + 1).
  Term conflict_term = 0;
  LogIndex conflict_index = 0;
  Micros sent_at = 0;  // echoed from the AppendEntries
  // The relayers of the append this answers (its `via`): each accepted it,
  // so holds the leader's log up to via_match, and heard the leader no
  // earlier than sent_at.
  std::vector<NodeId> via;
  LogIndex via_match = 0;
  // The replier's commit index: every entry up to it is applied there, and
  // so answered if the replier was its answerer.
  LogIndex commit = 0;
  // The commit index the answered append carried. Each relayer applied it
  // (up to via_match) before relaying, and so answered the puts it is the
  // answerer of up to there: the leader counts those answered too.
  LogIndex via_commit = 0;
  // From a chain's tail: how many appends it has received as the tail in
  // this term, this one included (ChainDelivery). 0 from anyone else.
  uint64_t chain_received = 0;
  // The replier's LinkLoss counts: how many datagrams from its peers
  // arrived, and how many were lost on the way.
  uint64_t link_arrived = 0;
  uint64_t link_lost = 0;
};

using MessageBody =
    std::variant<Hello, GetRequest, PutRequest, ClientReply, VoteRequest,
                 VoteReply, AppendEntries, AppendReply>;

struct Message {
  NodeId src = kNoNode;
  NodeId dst = kNoNode;
  // The sender's belief about the leader (kNoNode if unknown). The harness
  // reads it from every replica message.
  NodeId leader = kNoNode;
  MessageBody body;
  // Between replicas: how many messages the sender has sent to this
  // receiver, this one included (LinkLoss). 0: not numbered.
  uint64_t seq = 0;
};

// The harness's name for a body's type ("get", "ok", ...).
const char* TypeName(const MessageBody& body);

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_MESSAGES_H_

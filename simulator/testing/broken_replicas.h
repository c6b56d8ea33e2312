#ifndef STEPWISE_SIMULATOR_TESTING_BROKEN_REPLICAS_H_
#define STEPWISE_SIMULATOR_TESTING_BROKEN_REPLICAS_H_

// Deliberately broken replicas, to prove that the safety checks bite: a
// checker that never fires proves nothing. Each one is a real
// stepwise::Replica that breaks exactly one rule by acting on its inputs and
// outputs (replica/ itself is never touched). core() returns the real
// Replica, so the Raft invariant checker watches it like any other; what the
// wrapper says on the replica's behalf reaches only the hub, the clients and
// the other replicas. Test code only.

#include <optional>
#include <string_view>
#include <vector>

#include "simulator/node.h"

namespace stepwise::sim::testing {

enum class Broken {
  // A leader answers a put `ok` as soon as it receives it; the replica's
  // own reply for that MID (the real ok, or a later redirect) is dropped.
  kAckBeforeCommit,
  // A non-leader answers gets from its own applied state instead of
  // redirecting or holding them.
  kFollowerReads,
  // A replica that believes it leads answers gets at once from its applied
  // state: no lease, no quorum round, no wait for its term's no-op.
  kLeaseIgnored,
  // Grants a vote that the replica refused or ignored because it already
  // voted in that term or heard from a leader recently (the lease rule),
  // when the candidate's log is up to date.
  kDoubleVote,
  // A follower whose log conflicts with an AppendEntries keeps its own
  // entries, appends only what lies beyond its log, and acknowledges the
  // leader's whole batch (relaying the leader's append unchanged).
  kNoTruncate,
  // Commits by counting replicas whatever the entry's term (Raft's Figure
  // 8): a leader advertises the highest index a majority acknowledged, and
  // the tail of a replication chain commits what the chain stored.
  kCommitByCounting,
  // A leader answers a get with the value of the last put to that key in
  // its log, committed or not.
  kDirtyReads,
  // A leader counts an entry as stored on a follower once it has sent it
  // (optimistic pipelining taken for an acknowledgement) and advertises the
  // commit index that this count gives.
  kCommitOnSend,
};

// Every variant, in declaration order.
std::vector<Broken> AllBroken();
// "ack_before_commit", "follower_reads", ... (snake case of the enum).
const char* BrokenName(Broken kind);
// The inverse of BrokenName; nullopt for an unknown name.
std::optional<Broken> ParseBroken(std::string_view name);
// One line: what the variant does wrong.
const char* BrokenDescription(Broken kind);

// Every replica of the run is built broken this way.
NodeFactory BrokenReplicaFactory(Broken kind);

}  // namespace stepwise::sim::testing

#endif  // STEPWISE_SIMULATOR_TESTING_BROKEN_REPLICAS_H_

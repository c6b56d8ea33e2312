#ifndef STEPWISE_ANALYSIS_RAFT_INVARIANTS_H_
#define STEPWISE_ANALYSIS_RAFT_INVARIANTS_H_

// Raft's safety properties (Figure 3 of the Raft paper, plus a few local
// invariants of our core), checked while a run goes: the driver shows the
// checker every replica after each of its steps.
//
// Every check is incremental. Per replica the checker keeps a compact copy of
// the log's terms, finds what a step changed by walking back from the end of
// that copy (RaftLog only ever rewrites a suffix), and examines only the
// changed entries, the newly committed indices and a few map lookups. An
// Observe costs O(changed entries + newly committed indices + log(terms)),
// never O(log length), so a 100k-step run stays cheap.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "replica/messages.h"
#include "replica/raft_log.h"
#include "replica/replica.h"
#include "replica/types.h"

namespace stepwise {

// Names reported in Violation::property.
inline constexpr char kElectionSafety[] = "election_safety";
inline constexpr char kLogMatching[] = "log_matching";
inline constexpr char kLeaderCompleteness[] = "leader_completeness";
inline constexpr char kStateMachineSafety[] = "state_machine_safety";
inline constexpr char kCommitMonotonic[] = "commit_monotonic";
inline constexpr char kAppliedIndex[] = "applied_index";
inline constexpr char kCommittedOnMajority[] = "committed_on_majority";
inline constexpr char kTermMonotonic[] = "term_monotonic";
inline constexpr char kVoteStable[] = "vote_stable";

struct Violation {
  std::string property;  // one of the k* names above
  Micros time = 0;
  NodeId replica = kNoNode;  // the replica whose step revealed it
  std::string detail;        // names the index, term and replicas involved
};

// What the checker reads of a replica. Tests build these by hand to feed
// states the real core never reaches; drivers use Of(replica).
struct ReplicaView {
  NodeId id = 0;
  Role role = Role::kFollower;
  Term term = 0;
  NodeId voted_for = kNoNode;
  LogIndex commit_index = 0;
  LogIndex applied_index = 0;
  const RaftLog* log = nullptr;  // must outlive the Observe call

  static ReplicaView Of(const Replica& replica);
};

class RaftInvariantChecker {
 public:
  // `replicas`: the cluster size, which fixes the majority.
  explicit RaftInvariantChecker(int replicas);

  // Called after every step (Step or Tick) of a replica, with the virtual
  // time. Returns the first violation this step revealed, if any. The
  // checker's state is fully updated either way, so a driver may go on.
  std::optional<Violation> Observe(const Replica& replica, Micros now);
  std::optional<Violation> Observe(const ReplicaView& view, Micros now);

  // The driver killed this replica: its log is frozen as last observed (it
  // still counts as a holder of the entries it had) and later observations
  // of it are ignored.
  void MarkDead(NodeId id);

  // For reports and tests.
  LogIndex max_committed() const { return committed_.size(); }
  size_t terms_with_leader() const { return leader_of_term_.size(); }
  // Log entries examined so far: shows that checking is incremental.
  uint64_t entries_examined() const { return entries_examined_; }

 private:
  // Per replica, what the previous observation saw.
  struct Seen {
    std::vector<Term> terms;  // terms[i - 1]: term of the entry at index i
    Term term = 0;
    NodeId voted_for = kNoNode;
    LogIndex commit_index = 0;
    bool dead = false;
  };

  // The first entry seen at an (index, term): any later entry at that index
  // and term must equal it and follow the same previous term, which by
  // induction makes the two logs identical up to that index.
  struct FirstSeen {
    LogEntry entry;
    Term prev_term = 0;
    NodeId holder = kNoNode;
  };

  struct Committed {
    LogEntry entry;
    NodeId by = kNoNode;  // the first replica seen committing it
    int holders = 0;      // replicas whose log has this entry at its index
  };

  void Report(std::optional<Violation>* first, const char* property, Micros now,
              NodeId replica, std::string detail);

  // The parts of Observe. Each keeps the first violation in `found` and
  // updates the checker's state whatever it finds.
  void CheckLog(const ReplicaView& view, Seen& seen, Micros now,
                std::optional<Violation>* found);
  void CheckCommit(const ReplicaView& view, Seen& seen, Micros now,
                   std::optional<Violation>* found);
  void CheckTermAndVote(const ReplicaView& view, Seen& seen, Micros now,
                        std::optional<Violation>* found);
  void CheckLeader(const ReplicaView& view, Micros now,
                   std::optional<Violation>* found);

  // Whether the entry is identical to what was first seen at its place.
  bool SameAsFirstSeen(LogIndex index, const LogEntry& entry) const;
  void RecordCommitPoint(Term term, LogIndex index);
  int majority() const { return replicas_ / 2 + 1; }

  int replicas_;
  std::map<NodeId, Seen> seen_;
  std::map<Term, NodeId> leader_of_term_;
  // first_seen_[i - 1]: per term, the first entry seen at index i.
  std::vector<std::map<Term, FirstSeen>> first_seen_;
  // committed_[i - 1]: the entry committed at index i.
  std::vector<Committed> committed_;
  // (term, index): some replica in `term` had committed 1..index, so they
  // were committed in that term or earlier and every leader of a later term
  // must hold them. Only the frontier is kept: both columns increase.
  std::map<Term, LogIndex> commit_points_;
  uint64_t entries_examined_ = 0;
};

}  // namespace stepwise

#endif  // STEPWISE_ANALYSIS_RAFT_INVARIANTS_H_

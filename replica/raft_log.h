#ifndef STEPWISE_REPLICA_RAFT_LOG_H_
#define STEPWISE_REPLICA_RAFT_LOG_H_

#include <cstdint>
#include <vector>

#include "replica/messages.h"
#include "replica/types.h"

namespace stepwise {

// §5.4.1: a log ending at (last_index, last_term) is at least as up to date
// as one ending at (other_index, other_term) if its last term is higher, or
// equal with an index at least as long.
inline bool AtLeastAsUpToDate(LogIndex last_index, Term last_term,
                              LogIndex other_index, Term other_term) {
  if (last_term != other_term) return last_term > other_term;
  return last_index >= other_index;
}

// The replicated log, indexed from 1 (index 0 is the empty prefix, term 0).
// It knows nothing of commit or roles: only the log's own rules live here.
class RaftLog {
 public:
  LogIndex last_index() const { return entries_.size(); }
  Term last_term() const { return term_at(last_index()); }

  // Term of the entry at `index`; 0 for index 0. Requires index <= last.
  Term term_at(LogIndex index) const {
    return index == 0 ? 0 : entries_[index - 1].term;
  }
  bool has(LogIndex index) const { return index <= last_index(); }
  const LogEntry& at(LogIndex index) const { return entries_[index - 1]; }

  // True if the log contains an entry at `index` whose term is `term`
  // (Raft's consistency check; index 0 always matches).
  bool Matches(LogIndex index, Term term) const {
    return has(index) && term_at(index) == term;
  }

  // Whether a candidate's log is at least as up to date as ours (§5.4.1).
  bool IsUpToDate(LogIndex last_index, Term last_term) const {
    return AtLeastAsUpToDate(last_index, last_term, this->last_index(),
                             this->last_term());
  }

  LogIndex Append(LogEntry entry) {
    entries_.push_back(std::move(entry));
    return last_index();
  }

  // Merges entries that follow `prev_index` (already checked to match), as
  // §5.3 says: an existing entry that conflicts (same index, other term) is
  // deleted with all that follow it; entries already present are kept, so a
  // stale or reordered AppendEntries never truncates newer entries. Returns
  // the first index that was rewritten, or 0 if nothing changed.
  LogIndex MergeAfter(LogIndex prev_index, const std::vector<LogEntry>& in);

  // First index holding `term` at or before `index` (walks back while the
  // term stays the same): the follower's backtracking hint.
  LogIndex FirstIndexOfTerm(LogIndex index) const;

  // Last index whose term is `term`, or 0 if the log has none (the leader's
  // side of the backtracking hint). Terms are non-decreasing along the log.
  LogIndex LastIndexOfTerm(Term term) const;

  // Entries from `from` on, clipped to the log: at most max_count, and no
  // more than fit max_bytes by EntryWireBound, except that the first is
  // always taken (HandlePut refuses an entry that cannot fit alone).
  std::vector<LogEntry> Slice(LogIndex from, size_t max_count,
                              size_t max_bytes = SIZE_MAX) const;

 private:
  std::vector<LogEntry> entries_;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_RAFT_LOG_H_

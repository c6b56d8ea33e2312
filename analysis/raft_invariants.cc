#include "analysis/raft_invariants.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"

namespace stepwise {
namespace {

std::string Describe(const LogEntry& entry) {
  if (entry.is_noop()) return absl::StrCat("{term ", entry.term, ", no-op}");
  if (entry.is_get) {
    return absl::StrCat("{term ", entry.term, ", get ", entry.key, ", mid ",
                        entry.mid, " from ", FormatNodeId(entry.client), "}");
  }
  return absl::StrCat("{term ", entry.term, ", put ", entry.key, "=",
                      entry.value, ", mid ", entry.mid, " from ",
                      FormatNodeId(entry.client), "}");
}

const RaftLog& LogOf(const ReplicaView& view) {
  static const RaftLog kEmpty;
  return view.log == nullptr ? kEmpty : *view.log;
}

}  // namespace

ReplicaView ReplicaView::Of(const Replica& replica) {
  ReplicaView view;
  view.id = replica.id();
  view.role = replica.role();
  view.term = replica.term();
  view.voted_for = replica.voted_for();
  view.commit_index = replica.commit_index();
  view.applied_index = replica.applied_index();
  view.log = &replica.log();
  return view;
}

RaftInvariantChecker::RaftInvariantChecker(int replicas)
    : replicas_(std::max(replicas, 1)) {}

std::optional<Violation> RaftInvariantChecker::Observe(const Replica& replica,
                                                       Micros now) {
  return Observe(ReplicaView::Of(replica), now);
}

std::optional<Violation> RaftInvariantChecker::Observe(const ReplicaView& view,
                                                       Micros now) {
  Seen& seen = seen_[view.id];
  if (seen.dead) return std::nullopt;
  std::optional<Violation> found;
  CheckTermAndVote(view, seen, now, &found);
  CheckLog(view, seen, now, &found);
  CheckCommit(view, seen, now, &found);
  if (view.applied_index != view.commit_index) {
    Report(&found, kAppliedIndex, now, view.id,
           absl::StrCat("replica ", FormatNodeId(view.id), " applied index ",
                        view.applied_index,
                        view.applied_index > view.commit_index
                            ? " is beyond its commit index "
                            : " lags its commit index ",
                        view.commit_index, " after a step"));
  }
  CheckLeader(view, now, &found);
  return found;
}

void RaftInvariantChecker::MarkDead(NodeId id) { seen_[id].dead = true; }

void RaftInvariantChecker::Report(std::optional<Violation>* first,
                                  const char* property, Micros now,
                                  NodeId replica, std::string detail) {
  if (first->has_value()) return;
  *first = Violation{property, now, replica, std::move(detail)};
}

bool RaftInvariantChecker::SameAsFirstSeen(LogIndex index,
                                           const LogEntry& entry) const {
  if (index > first_seen_.size()) return false;
  const auto& by_term = first_seen_[index - 1];
  auto it = by_term.find(entry.term);
  return it != by_term.end() && it->second.entry == entry;
}

void RaftInvariantChecker::CheckTermAndVote(const ReplicaView& view, Seen& seen,
                                            Micros now,
                                            std::optional<Violation>* found) {
  const std::string who = FormatNodeId(view.id);
  if (view.term < seen.term) {
    Report(found, kTermMonotonic, now, view.id,
           absl::StrCat("replica ", who, " term went back from ", seen.term,
                        " to ", view.term));
  } else if (view.term == seen.term && seen.voted_for != kNoNode &&
             view.voted_for != seen.voted_for) {
    Report(found, kVoteStable, now, view.id,
           absl::StrCat("replica ", who, " changed its vote in term ",
                        view.term, " from ", FormatNodeId(seen.voted_for),
                        " to ", FormatNodeId(view.voted_for)));
  }
  seen.term = view.term;
  seen.voted_for = view.voted_for;
}

void RaftInvariantChecker::CheckLog(const ReplicaView& view, Seen& seen,
                                    Micros now,
                                    std::optional<Violation>* found) {
  const RaftLog& log = LogOf(view);
  const std::string who = FormatNodeId(view.id);
  const LogIndex old_last = seen.terms.size();
  const LogIndex new_last = log.last_index();

  // RaftLog rewrites only suffixes, so the first changed index is found by
  // walking back from the end of the common length until an entry is the
  // one this replica had (same term, and the entry first seen there, which
  // the old one was checked to equal).
  LogIndex first = std::min(old_last, new_last) + 1;
  while (first > 1) {
    const LogIndex i = first - 1;
    ++entries_examined_;
    if (seen.terms[i - 1] == log.term_at(i) && SameAsFirstSeen(i, log.at(i))) {
      break;
    }
    first = i;
  }
  if (first > old_last && first > new_last) return;  // nothing changed

  if (first <= old_last && first <= seen.commit_index) {
    Report(found, kStateMachineSafety, now, view.id,
           absl::StrCat("replica ", who, " rewrote index ", first, " (term ",
                        seen.terms[first - 1], ") at or below its ",
                        "commit index ", seen.commit_index));
  }

  // Entries leaving this log stop counting as holders of what was committed.
  const LogIndex committed_end = committed_.size();
  const LogIndex removed_end = std::min(old_last, committed_end);
  for (LogIndex i = first; i <= removed_end; ++i) {
    if (seen.terms[i - 1] == committed_[i - 1].entry.term) {
      --committed_[i - 1].holders;
    }
  }

  seen.terms.resize(first - 1);
  if (first_seen_.size() < new_last) first_seen_.resize(new_last);
  for (LogIndex i = first; i <= new_last; ++i) {
    ++entries_examined_;
    const LogEntry& entry = log.at(i);
    const Term prev_term = log.term_at(i - 1);
    auto [it, inserted] = first_seen_[i - 1].try_emplace(
        entry.term, FirstSeen{entry, prev_term, view.id});
    const FirstSeen& before = it->second;
    if (!inserted && before.entry != entry) {
      Report(found, kLogMatching, now, view.id,
             absl::StrCat("index ", i, " term ", entry.term, ": replica ", who,
                          " has ", Describe(entry), " but replica ",
                          FormatNodeId(before.holder), " had ",
                          Describe(before.entry)));
    } else if (!inserted && before.prev_term != prev_term) {
      Report(found, kLogMatching, now, view.id,
             absl::StrCat("index ", i, " term ", entry.term, ": replica ", who,
                          " has it after an entry of term ", prev_term,
                          " but replica ", FormatNodeId(before.holder),
                          " had it after term ", before.prev_term,
                          ", so the logs differ before index ", i));
    }
    seen.terms.push_back(entry.term);
    if (i <= committed_end && entry.term == committed_[i - 1].entry.term) {
      ++committed_[i - 1].holders;
    }
  }

  for (LogIndex i = first; i <= removed_end; ++i) {
    const Committed& c = committed_[i - 1];
    if (c.holders < majority()) {
      Report(found, kCommittedOnMajority, now, view.id,
             absl::StrCat("index ", i, " ", Describe(c.entry),
                          " committed by replica ", FormatNodeId(c.by),
                          " is held by only ", c.holders, " of ", replicas_,
                          " replicas after replica ", who,
                          " rewrote its log from index ", first));
      break;
    }
  }
}

void RaftInvariantChecker::CheckCommit(const ReplicaView& view, Seen& seen,
                                       Micros now,
                                       std::optional<Violation>* found) {
  const RaftLog& log = LogOf(view);
  const std::string who = FormatNodeId(view.id);
  const LogIndex old_commit = seen.commit_index;
  seen.commit_index = view.commit_index;
  if (view.commit_index < old_commit) {
    Report(found, kCommitMonotonic, now, view.id,
           absl::StrCat("replica ", who, " commit index went back from ",
                        old_commit, " to ", view.commit_index));
    return;
  }
  if (view.commit_index == old_commit) return;
  if (view.commit_index > log.last_index()) {
    Report(
        found, kStateMachineSafety, now, view.id,
        absl::StrCat("replica ", who, " commit index ", view.commit_index,
                     " is beyond the end of its log (", log.last_index(), ")"));
  }

  const LogIndex upto = std::min(view.commit_index, log.last_index());
  for (LogIndex i = old_commit + 1; i <= upto; ++i) {
    ++entries_examined_;
    const LogEntry& entry = log.at(i);
    if (i <= committed_.size()) {
      const Committed& c = committed_[i - 1];
      if (c.entry != entry) {
        Report(
            found, kStateMachineSafety, now, view.id,
            absl::StrCat("index ", i, ": replica ", who, " applies ",
                         Describe(entry), " but replica ", FormatNodeId(c.by),
                         " applied ", Describe(c.entry)));
      }
      continue;
    }
    // Only after an earlier violation can this replica's commit have run
    // ahead of its log and left a gap; committed_ stays contiguous.
    if (i > committed_.size() + 1) break;
    Committed c{entry, view.id, 0};
    for (const auto& [id, other] : seen_) {
      if (other.terms.size() >= i && other.terms[i - 1] == entry.term) {
        ++c.holders;
      }
    }
    if (c.holders < majority()) {
      Report(found, kCommittedOnMajority, now, view.id,
             absl::StrCat("index ", i, " ", Describe(entry),
                          " committed by replica ", who, " is held by only ",
                          c.holders, " of ", replicas_, " replicas"));
    }
    committed_.push_back(std::move(c));
  }
  RecordCommitPoint(view.term,
                    std::min<LogIndex>(view.commit_index, committed_.size()));
}

void RaftInvariantChecker::RecordCommitPoint(Term term, LogIndex index) {
  if (index == 0) return;
  auto after = commit_points_.upper_bound(term);
  if (after != commit_points_.begin() && std::prev(after)->second >= index) {
    return;  // an earlier term already had at least this much committed
  }
  auto it = commit_points_.lower_bound(term);
  while (it != commit_points_.end() && it->second <= index) {
    it = commit_points_.erase(it);
  }
  commit_points_[term] = index;
}

void RaftInvariantChecker::CheckLeader(const ReplicaView& view, Micros now,
                                       std::optional<Violation>* found) {
  if (view.role != Role::kLeader) return;
  const std::string who = FormatNodeId(view.id);
  auto [leader, inserted] = leader_of_term_.try_emplace(view.term, view.id);
  if (!inserted && leader->second != view.id) {
    Report(found, kElectionSafety, now, view.id,
           absl::StrCat("term ", view.term, " has two leaders: ",
                        FormatNodeId(leader->second), " and ", who));
  }

  // Everything committed by an earlier term must be in this leader's log.
  // Log matching (checked on every entry) makes holding the last such
  // entry enough to hold them all.
  auto point = commit_points_.lower_bound(view.term);
  if (point == commit_points_.begin()) return;
  --point;
  const auto [by_term, index] = *point;
  const Committed& c = committed_[index - 1];
  const RaftLog& log = LogOf(view);
  if (log.Matches(index, c.entry.term)) return;
  Report(
      found, kLeaderCompleteness, now, view.id,
      absl::StrCat("leader ", who, " of term ", view.term, " lacks index ",
                   index, " ", Describe(c.entry), ", committed by term ",
                   by_term, ": its log ",
                   log.has(index)
                       ? absl::StrCat("has term ", log.term_at(index), " there")
                       : absl::StrCat("ends at ", log.last_index())));
}

}  // namespace stepwise

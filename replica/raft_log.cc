#include "replica/raft_log.h"

#include <algorithm>

namespace stepwise {

LogIndex RaftLog::MergeAfter(LogIndex prev_index,
                             const std::vector<LogEntry>& in) {
  LogIndex first_changed = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    LogIndex index = prev_index + 1 + i;
    if (has(index)) {
      if (term_at(index) == in[i].term) continue;  // already have it
      entries_.resize(index - 1);                  // conflict: cut the tail
    }
    if (first_changed == 0) first_changed = index;
    entries_.push_back(in[i]);
  }
  return first_changed;
}

LogIndex RaftLog::FirstIndexOfTerm(LogIndex index) const {
  Term term = term_at(index);
  while (index > 1 && term_at(index - 1) == term) --index;
  return index;
}

LogIndex RaftLog::LastIndexOfTerm(Term term) const {
  // Binary search: the first entry with a term greater than `term`.
  auto it =
      std::upper_bound(entries_.begin(), entries_.end(), term,
                       [](Term t, const LogEntry& e) { return t < e.term; });
  LogIndex candidate = it - entries_.begin();
  return candidate > 0 && term_at(candidate) == term ? candidate : 0;
}

std::vector<LogEntry> RaftLog::Slice(LogIndex from, size_t max_count,
                                     size_t max_bytes) const {
  std::vector<LogEntry> out;
  size_t bytes = 0;
  for (LogIndex i = from; i <= last_index() && out.size() < max_count; ++i) {
    if (max_bytes != SIZE_MAX) {
      bytes += EntryWireBound(at(i));
      if (!out.empty() && bytes > max_bytes) break;
    }
    out.push_back(at(i));
  }
  return out;
}

}  // namespace stepwise

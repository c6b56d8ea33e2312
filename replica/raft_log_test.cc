#include "replica/raft_log.h"

#include <gtest/gtest.h>

#include <vector>

#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::EntriesWithTerms;
using ::stepwise::testing::TermsOf;

RaftLog LogWithTerms(const std::vector<Term>& terms,
                     const std::string& tag = "e") {
  RaftLog log;
  for (const LogEntry& entry : EntriesWithTerms(terms, tag)) log.Append(entry);
  return log;
}

TEST(RaftLogTest, EmptyLogIsTheEmptyPrefix) {
  RaftLog log;
  EXPECT_EQ(log.last_index(), 0u);
  EXPECT_EQ(log.last_term(), 0u);
  EXPECT_EQ(log.term_at(0), 0u);
  EXPECT_TRUE(log.Matches(0, 0));  // prev_index 0 always matches
  EXPECT_FALSE(log.Matches(1, 1));
  EXPECT_FALSE(log.has(1));
}

TEST(RaftLogTest, TermAtAndMatches) {
  RaftLog log = LogWithTerms({1, 1, 2, 3, 3});
  EXPECT_EQ(log.last_index(), 5u);
  EXPECT_EQ(log.last_term(), 3u);
  EXPECT_EQ(log.term_at(0), 0u);
  EXPECT_EQ(log.term_at(2), 1u);
  EXPECT_EQ(log.term_at(3), 2u);
  EXPECT_EQ(log.term_at(5), 3u);

  EXPECT_TRUE(log.Matches(0, 0));
  EXPECT_TRUE(log.Matches(3, 2));
  EXPECT_FALSE(log.Matches(3, 3)) << "same index, other term";
  EXPECT_FALSE(log.Matches(3, 1)) << "same index, other term";
  EXPECT_TRUE(log.Matches(5, 3));
  EXPECT_FALSE(log.Matches(6, 3)) << "beyond the end never matches";
}

// §5.4.1: compare last terms first; only on equal terms does length decide.
TEST(RaftLogTest, IsUpToDate) {
  RaftLog log = LogWithTerms({1, 1, 2, 3, 3});  // last = (5, term 3)
  EXPECT_TRUE(log.IsUpToDate(1, 4)) << "higher last term wins, even shorter";
  EXPECT_TRUE(log.IsUpToDate(6, 3)) << "same last term, longer";
  EXPECT_TRUE(log.IsUpToDate(5, 3)) << "same last term, same length";
  EXPECT_FALSE(log.IsUpToDate(4, 3)) << "same last term, shorter";
  EXPECT_FALSE(log.IsUpToDate(10, 2)) << "lower last term loses, even longer";
  EXPECT_FALSE(log.IsUpToDate(0, 0)) << "an empty log is behind ours";

  RaftLog empty;
  EXPECT_TRUE(empty.IsUpToDate(0, 0));
  EXPECT_TRUE(empty.IsUpToDate(3, 1));
}

TEST(RaftLogTest, MergeAfterAppendsToTheEnd) {
  RaftLog log;
  EXPECT_EQ(log.MergeAfter(0, EntriesWithTerms({1, 1})), 1u);
  EXPECT_EQ(TermsOf(log), (std::vector<Term>{1, 1}));

  std::vector<LogEntry> more = EntriesWithTerms({1, 1, 2, 2});
  more.erase(more.begin(), more.begin() + 2);  // entries 3 and 4
  EXPECT_EQ(log.MergeAfter(2, more), 3u);
  EXPECT_EQ(TermsOf(log), (std::vector<Term>{1, 1, 2, 2}));
  EXPECT_EQ(log.at(4), more[1]);
}

TEST(RaftLogTest, MergeAfterKeepsEntriesItAlreadyHas) {
  std::vector<LogEntry> entries = EntriesWithTerms({1, 1, 2});
  RaftLog log;
  log.MergeAfter(0, entries);
  EXPECT_EQ(log.MergeAfter(0, entries), 0u) << "nothing changed";
  EXPECT_EQ(log.MergeAfter(1, {entries[1], entries[2]}), 0u);
  EXPECT_EQ(log.MergeAfter(3, {}), 0u);
  EXPECT_EQ(TermsOf(log), (std::vector<Term>{1, 1, 2}));

  // Partly known, partly new: only the new part counts as changed.
  std::vector<LogEntry> longer = EntriesWithTerms({1, 1, 2, 2, 2});
  EXPECT_EQ(log.MergeAfter(1, {longer.begin() + 1, longer.end()}), 4u);
  EXPECT_EQ(TermsOf(log), (std::vector<Term>{1, 1, 2, 2, 2}));
}

TEST(RaftLogTest, MergeAfterTruncatesOnConflict) {
  RaftLog log = LogWithTerms({1, 1, 2, 2}, "old");
  std::vector<LogEntry> leader = EntriesWithTerms({1, 1, 3}, "new");
  // Entry 3 conflicts (term 2 here, 3 at the leader): it and all that
  // follow go, although the append carries nothing for index 4.
  EXPECT_EQ(log.MergeAfter(2, {leader[2]}), 3u);
  EXPECT_EQ(TermsOf(log), (std::vector<Term>{1, 1, 3}));
  EXPECT_EQ(log.at(3), leader[2]);
}

TEST(RaftLogTest, MergeAfterTruncatesAtTheFirstConflictInsideABatch) {
  RaftLog log = LogWithTerms({1, 1, 1, 1});
  std::vector<LogEntry> leader = EntriesWithTerms({1, 1, 2});
  EXPECT_EQ(log.MergeAfter(0, leader), 3u);
  EXPECT_EQ(TermsOf(log), (std::vector<Term>{1, 1, 2}));
}

// A stale or reordered AppendEntries (a prefix of what we already have) must
// not cut off the newer entries that arrived before it (§5.3: "if an
// existing entry conflicts ... delete"; no conflict, no deletion).
TEST(RaftLogTest, StaleAppendDoesNotTruncate) {
  std::vector<LogEntry> entries = EntriesWithTerms({1, 1, 1, 1});
  RaftLog log;
  log.MergeAfter(0, entries);
  EXPECT_EQ(log.MergeAfter(1, {entries[1]}), 0u);
  EXPECT_EQ(log.MergeAfter(0, {entries[0], entries[1], entries[2]}), 0u);
  EXPECT_EQ(log.last_index(), 4u);
  EXPECT_EQ(log.at(4), entries[3]);
}

TEST(RaftLogTest, FirstIndexOfTerm) {
  RaftLog log = LogWithTerms({1, 1, 2, 2, 2, 3});
  EXPECT_EQ(log.FirstIndexOfTerm(1), 1u);
  EXPECT_EQ(log.FirstIndexOfTerm(2), 1u);
  EXPECT_EQ(log.FirstIndexOfTerm(3), 3u);
  EXPECT_EQ(log.FirstIndexOfTerm(5), 3u);
  EXPECT_EQ(log.FirstIndexOfTerm(6), 6u);
}

TEST(RaftLogTest, LastIndexOfTerm) {
  RaftLog log = LogWithTerms({1, 1, 2, 2, 2, 4, 4});
  EXPECT_EQ(log.LastIndexOfTerm(1), 2u);
  EXPECT_EQ(log.LastIndexOfTerm(2), 5u);
  EXPECT_EQ(log.LastIndexOfTerm(3), 0u) << "a term the log skips";
  EXPECT_EQ(log.LastIndexOfTerm(4), 7u);
  EXPECT_EQ(log.LastIndexOfTerm(5), 0u) << "a term beyond the log";
  EXPECT_EQ(log.LastIndexOfTerm(0), 0u);
  EXPECT_EQ(RaftLog().LastIndexOfTerm(1), 0u);
}

TEST(RaftLogTest, SliceIsClippedToTheLog) {
  RaftLog log = LogWithTerms({1, 2, 3});
  EXPECT_EQ(log.Slice(2, 10).size(), 2u);
  EXPECT_EQ(log.Slice(2, 1).size(), 1u);
  EXPECT_EQ(log.Slice(2, 1)[0], log.at(2));
  EXPECT_TRUE(log.Slice(4, 10).empty());
}

// An append's entries must fit a datagram: Slice stops before the entry
// that would pass max_bytes, but always takes the first.
TEST(RaftLogTest, SliceStopsAtTheByteBudget) {
  RaftLog log;
  for (int i = 0; i < 5; ++i) {
    log.Append(LogEntry{1, "key", std::string(1000, 'v'), 0x15, "mid"});
  }
  const size_t one = EntryWireBound(log.at(1));
  EXPECT_EQ(log.Slice(1, 10, 3 * one).size(), 3u);
  EXPECT_EQ(log.Slice(1, 10, 3 * one + one - 1).size(), 3u);
  EXPECT_EQ(log.Slice(1, 10, 4 * one).size(), 4u);
  EXPECT_EQ(log.Slice(1, 2, 4 * one).size(), 2u) << "max_count still holds";
  EXPECT_EQ(log.Slice(1, 10, 1).size(), 1u) << "the first always goes";
  EXPECT_EQ(log.Slice(1, 10).size(), 5u) << "no budget by default";
}

TEST(RaftLogTest, EntryWireBoundCountsEscapes) {
  const size_t plain = EntryWireBound(LogEntry{1, "", "", 0x15, ""});
  EXPECT_EQ(EntryWireBound(LogEntry{1, "ab", "c", 0x15, "d"}), plain + 4);
  EXPECT_EQ(EntryWireBound(LogEntry{1, "\"\\", "", 0x15, ""}), plain + 4);
  EXPECT_EQ(EntryWireBound(LogEntry{1, "\x01", "", 0x15, ""}), plain + 6);
  EXPECT_EQ(EntryWireBound(LogEntry{1, "\xff", "", 0x15, ""}), plain + 3);
}

}  // namespace
}  // namespace stepwise

#include "analysis/linearizability.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/history.h"
#include "analysis/random_history.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replica/rng.h"

namespace stepwise {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Verdict = CheckResult::Verdict;

class Builder {
 public:
  uint64_t Put(const std::string& key, const std::string& value, Micros invoke,
               Micros complete) {
    return Add(Operation::Kind::kPut, key, value, invoke, complete,
               Operation::Outcome::kOk);
  }
  // A put answered fail/redirect (complete = its time) or never answered.
  uint64_t UnknownPut(const std::string& key, const std::string& value,
                      Micros invoke, Micros complete = kNever) {
    return Add(Operation::Kind::kPut, key, value, invoke, complete,
               Operation::Outcome::kUnknown);
  }
  uint64_t Get(const std::string& key, const std::string& value, Micros invoke,
               Micros complete) {
    return Add(Operation::Kind::kGet, key, value, invoke, complete,
               Operation::Outcome::kOk);
  }
  uint64_t UnknownGet(const std::string& key, Micros invoke) {
    return Add(Operation::Kind::kGet, key, "garbage", invoke, kNever,
               Operation::Outcome::kUnknown);
  }
  const History& history() const { return history_; }
  CheckResult Check(const CheckOptions& options = {}) const {
    return CheckLinearizable(history_, options);
  }

 private:
  uint64_t Add(Operation::Kind kind, const std::string& key,
               const std::string& value, Micros invoke, Micros complete,
               Operation::Outcome outcome) {
    Operation op;
    op.id = history_.operations.size() + 1;
    op.client = 0x0015;
    op.kind = kind;
    op.key = key;
    op.value = value;
    op.invoke = invoke;
    op.complete = complete;
    op.outcome = outcome;
    history_.operations.push_back(op);
    return op.id;
  }
  History history_;
};

TEST(Linearizability, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(Builder().Check().verdict, Verdict::kLinearizable);
}

TEST(Linearizability, SequentialReadsOfLatestWrite) {
  Builder b;
  b.Get("k", "", 0, 5);  // Absent at first.
  b.Put("k", "a", 10, 20);
  b.Get("k", "a", 30, 40);
  b.Put("k", "b", 50, 60);
  b.Get("k", "b", 70, 80);
  CheckResult result = b.Check();
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.violations, IsEmpty());
}

TEST(Linearizability, StaleReadAfterCompletedPut) {
  Builder b;
  uint64_t put_a = b.Put("k", "a", 0, 10);
  uint64_t put_b = b.Put("k", "b", 20, 30);
  uint64_t get = b.Get("k", "a", 40, 50);
  CheckResult result = b.Check();
  EXPECT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.violations.size(), 1u);
  const KeyViolation& v = result.violations[0];
  EXPECT_EQ(v.key, "k");
  ASSERT_EQ(v.operations.size(), 3u);
  EXPECT_EQ(v.operations[2].id, get);
  // The longest partial linearization: both puts; the get cannot follow.
  EXPECT_THAT(v.linearized, ElementsAre(put_a, put_b));
  EXPECT_THAT(v.skipped, IsEmpty());
}

TEST(Linearizability, AbsentReadAfterCompletedPut) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.Get("k", "", 20, 30);
  EXPECT_EQ(b.Check().verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, ReadOfValueNeverWritten) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.Get("k", "z", 20, 30);
  EXPECT_EQ(b.Check().verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, ConcurrentPutAndGetEitherOrder) {
  for (const char* seen : {"a", "b"}) {
    Builder b;
    b.Put("k", "a", 0, 10);
    b.Put("k", "b", 20, 40);
    b.Get("k", seen, 25, 35);
    EXPECT_TRUE(b.Check().ok()) << "get saw " << seen;
  }
}

TEST(Linearizability, ConcurrentGetsMustAgreeOnOneOrder) {
  // Both reads overlap the put, but once one has seen the new value a
  // later read (after it completed) cannot see the old one.
  Builder b;
  b.Put("k", "a", 0, 10);
  b.Put("k", "b", 20, 100);
  b.Get("k", "b", 30, 40);
  b.Get("k", "a", 50, 60);
  EXPECT_EQ(b.Check().verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, GetSeesPutConcurrentWithIt) {
  Builder b;
  b.Get("k", "x", 0, 10);
  b.Put("k", "x", 5, 20);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, GetSeesPutTouchingIt) {
  // The put is invoked at the instant the get completes: concurrent.
  Builder b;
  b.Get("k", "x", 0, 10);
  b.Put("k", "x", 10, 20);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, GetCannotSeePutInvokedAfterItCompleted) {
  Builder b;
  b.Get("k", "x", 0, 10);
  b.Put("k", "x", 11, 20);
  EXPECT_EQ(b.Check().verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownPutTakesEffectLater) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.UnknownPut("k", "b", 20);  // Never answered.
  b.Get("k", "a", 30, 40);
  b.Get("k", "b", 50, 60);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, UnknownPutTakesEffectAfterItsFailReply) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.UnknownPut("k", "b", 20, 25);  // Answered fail at 25.
  b.Get("k", "a", 30, 40);
  b.Get("k", "b", 50, 60);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, UnknownPutNeverTakesEffect) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.UnknownPut("k", "b", 20);
  b.Get("k", "a", 30, 40);
  b.Get("k", "a", 50, 60);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, UnknownPutNotBeforeItsInvoke) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.Get("k", "b", 20, 30);
  b.UnknownPut("k", "b", 40);
  EXPECT_EQ(b.Check().verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownPutTakesEffectAtMostOnce) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.UnknownPut("k", "b", 20);
  b.Get("k", "b", 30, 40);
  b.Put("k", "c", 50, 60);
  b.Get("k", "b", 70, 80);  // b already took effect before c.
  EXPECT_EQ(b.Check().verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownPutMayTakeEffectAfterALaterPut) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.UnknownPut("k", "b", 20);
  b.Get("k", "a", 30, 40);
  b.Put("k", "c", 50, 60);
  b.Get("k", "c", 70, 80);
  b.Get("k", "b", 90, 100);  // b overtook c.
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, LongestPrefixGoesUpToTheFailingRead) {
  Builder b;
  uint64_t put_a = b.Put("k", "a", 0, 10);
  uint64_t put_b = b.UnknownPut("k", "b", 20);
  uint64_t get_b = b.Get("k", "b", 30, 40);
  b.Get("k", "a", 50, 60);  // a cannot come back: the violation.
  CheckResult result = b.Check();
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_THAT(result.violations[0].linearized,
              ElementsAre(put_a, put_b, get_b));
  EXPECT_THAT(result.violations[0].skipped, IsEmpty());
}

TEST(Linearizability, LongestPrefixListsSkippedUnknownPuts) {
  Builder b;
  uint64_t put_a = b.Put("k", "a", 0, 10);
  uint64_t first = b.UnknownPut("k", "b", 20);
  uint64_t retry = b.UnknownPut("k", "b", 21);  // Same value: one suffices.
  uint64_t get_b = b.Get("k", "b", 30, 40);
  b.Get("k", "z", 70, 80);  // Never written.
  CheckResult result = b.Check();
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_THAT(result.violations[0].linearized,
              ElementsAre(put_a, first, get_b));
  EXPECT_THAT(result.violations[0].skipped, ElementsAre(retry));
}

TEST(Linearizability, UnknownGetIsIgnored) {
  Builder b;
  b.Put("k", "a", 0, 10);
  b.UnknownGet("k", 20);
  b.Get("k", "a", 30, 40);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, KeysAreIndependentRegisters) {
  Builder b;
  b.Put("x", "1", 0, 10);
  b.Get("y", "", 20, 30);  // Wrong if x and y were one register.
  b.Put("y", "2", 40, 50);
  b.Get("x", "1", 60, 70);
  EXPECT_TRUE(b.Check().ok());
}

TEST(Linearizability, ViolationIsReportedForItsKeyOnly) {
  Builder b;
  b.Put("x", "1", 0, 10);
  b.Get("x", "1", 20, 30);
  b.Put("y", "2", 0, 10);
  b.Get("y", "3", 20, 30);
  b.Put("z", "4", 0, 10);
  b.Get("z", "", 20, 30);
  CheckResult result = b.Check();
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.violations.size(), 2u);
  EXPECT_EQ(result.violations[0].key, "y");
  EXPECT_EQ(result.violations[1].key, "z");
  EXPECT_EQ(result.violations[0].operations.size(), 2u);
}

TEST(Linearizability, InvalidHistoryIsRejected) {
  Builder b;
  b.Put("k", "a", 10, 5);
  CheckResult result = b.Check();
  EXPECT_EQ(result.verdict, Verdict::kInvalidHistory);
  EXPECT_FALSE(result.error.empty());
}

// One key with about 2 * max_jitter / 10 operations in flight at once.
History HighlyConcurrentHistory(uint64_t seed, Micros max_jitter = 60) {
  RandomHistoryOptions options;
  options.seed = seed;
  options.operations = 400;
  options.keys = 1;
  options.spacing = 10;
  options.max_jitter = max_jitter;
  return RandomLinearizableHistory(options);
}

TEST(Linearizability, StepLimitGivesUnknown) {
  History history = HighlyConcurrentHistory(7);
  ASSERT_TRUE(CheckLinearizable(history).ok());
  CheckOptions options;
  options.max_steps_per_key = 50;
  CheckResult result = CheckLinearizable(history, options);
  EXPECT_EQ(result.verdict, Verdict::kUnknown);
  EXPECT_THAT(result.unknown_keys, ElementsAre("key0"));
  EXPECT_FALSE(result.ok());
}

// Replaces one ok get's value by one never written; returns its key.
std::string CorruptOneGet(History* history, uint64_t seed) {
  std::vector<size_t> gets;
  for (size_t i = 0; i < history->operations.size(); ++i) {
    const Operation& op = history->operations[i];
    if (op.kind == Operation::Kind::kGet &&
        op.outcome == Operation::Outcome::kOk) {
      gets.push_back(i);
    }
  }
  Rng rng(seed);
  Operation& victim = history->operations[gets[rng.Uniform(
      0, static_cast<int64_t>(gets.size()) - 1)]];
  victim.value = "corrupt";
  return victim.key;
}

TEST(Linearizability, RandomLinearizableHistoriesPassAndCorruptionFails) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    RandomHistoryOptions options;
    options.seed = seed;
    options.operations = 1000;
    options.keys = 20;
    options.unknown_put_fraction = 0.2;
    History history = RandomLinearizableHistory(options);
    CheckResult result = CheckLinearizable(history);
    ASSERT_TRUE(result.ok()) << "seed " << seed;

    std::string key = CorruptOneGet(&history, seed);
    result = CheckLinearizable(history);
    ASSERT_EQ(result.verdict, Verdict::kNotLinearizable) << "seed " << seed;
    ASSERT_EQ(result.violations.size(), 1u);
    EXPECT_EQ(result.violations[0].key, key);
  }
}

TEST(Linearizability, HighConcurrencyStaysTractable) {
  // Without the memo, refuting a corrupted history with a dozen operations
  // in flight at once means trying their orders one by one.
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    History history = HighlyConcurrentHistory(seed);
    CheckOptions options;
    options.max_steps_per_key = 2'000'000;
    ASSERT_TRUE(CheckLinearizable(history, options).ok()) << "seed " << seed;
    CorruptOneGet(&history, seed);
    EXPECT_EQ(CheckLinearizable(history, options).verdict,
              Verdict::kNotLinearizable)
        << "seed " << seed;
  }
}

// An independent reference for small single-key histories: tries every
// order (and every choice of unknown puts taking effect or not), remembering
// only the (decided set, value) pairs that failed.
class BruteForce {
 public:
  explicit BruteForce(const History& history) {
    for (const Operation& op : history.operations) {
      bool ok = op.outcome == Operation::Outcome::kOk;
      if (op.kind == Operation::Kind::kGet && !ok) continue;
      ops_.push_back(op);
      // An unknown put's reply does not bound when it takes effect.
      if (!ok) ops_.back().complete = kNever;
    }
  }

  bool Linearizable() { return Search(0, ""); }

 private:
  bool Search(uint32_t done, const std::string& state) {
    bool all_ok_done = true;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!(done >> i & 1) && ops_[i].outcome == Operation::Outcome::kOk) {
        all_ok_done = false;
      }
    }
    if (all_ok_done) return true;
    if (failed_.count({done, state})) return false;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (done >> i & 1) continue;
      bool eligible = true;
      for (size_t j = 0; j < ops_.size(); ++j) {
        if (j != i && !(done >> j & 1) && ops_[j].complete < ops_[i].invoke) {
          eligible = false;
        }
      }
      if (!eligible) continue;
      const Operation& op = ops_[i];
      uint32_t next = done | (1u << i);
      if (op.kind == Operation::Kind::kGet) {
        if (op.value == state && Search(next, state)) return true;
      } else {
        if (Search(next, op.value)) return true;
        if (op.outcome == Operation::Outcome::kUnknown && Search(next, state)) {
          return true;
        }
      }
    }
    failed_.insert({done, state});
    return false;
  }

  std::vector<Operation> ops_;
  std::set<std::pair<uint32_t, std::string>> failed_;
};

History SmallRandomHistory(Rng& rng) {
  static const char* const kValues[] = {"", "a", "b", "c"};
  Builder b;
  int n = static_cast<int>(rng.Uniform(1, 9));
  for (int i = 0; i < n; ++i) {
    Micros invoke = rng.Uniform(0, 40);
    Micros complete = invoke + rng.Uniform(0, 15);
    if (rng.Chance(0.5)) {
      b.Get("k", kValues[rng.Uniform(0, 3)], invoke, complete);
      if (rng.Chance(0.1)) b.UnknownGet("k", invoke);
    } else {
      // Puts of "" are rare (the harness never writes it) but legal.
      std::string value = kValues[rng.Uniform(rng.Chance(0.1) ? 0 : 1, 3)];
      if (rng.Chance(0.3)) {
        b.UnknownPut("k", value, invoke, rng.Chance(0.5) ? complete : kNever);
      } else {
        b.Put("k", value, invoke, complete);
      }
    }
  }
  return b.history();
}

// The reported prefix must be a partial linearization: each operation
// legal on the register in that order, no operation before one that
// completed before it was invoked, and every ok operation that completed
// before a reported one was invoked reported too.
void ExpectValidPrefix(const KeyViolation& v) {
  std::map<uint64_t, const Operation*> by_id;
  for (const Operation& op : v.operations) by_id[op.id] = &op;
  std::set<uint64_t> decided(v.linearized.begin(), v.linearized.end());
  decided.insert(v.skipped.begin(), v.skipped.end());
  std::string state;
  for (size_t i = 0; i < v.linearized.size(); ++i) {
    const Operation& op = *by_id.at(v.linearized[i]);
    if (op.kind == Operation::Kind::kGet) {
      EXPECT_EQ(op.value, state) << "get " << op.id;
    } else {
      state = op.value;
    }
    for (size_t j = i + 1; j < v.linearized.size(); ++j) {
      const Operation& later = *by_id.at(v.linearized[j]);
      if (later.outcome == Operation::Outcome::kOk) {
        EXPECT_FALSE(later.complete < op.invoke)
            << later.id << " is after " << op.id;
      }
    }
  }
  for (uint64_t id : decided) {
    for (const Operation& other : v.operations) {
      if (other.outcome == Operation::Outcome::kOk &&
          other.complete < by_id.at(id)->invoke) {
        EXPECT_TRUE(decided.count(other.id))
            << other.id << " precedes " << id << " but is missing";
      }
    }
  }
}

TEST(Linearizability, TwentyInFlightOnOneKeyStaysTractable) {
  // The memo alone is not enough here (over 10^8 steps for 100,000
  // operations like these): the register rules keep it near linear.
  CheckOptions options;
  options.max_steps_per_key = 200'000;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    History history = HighlyConcurrentHistory(seed, /*max_jitter=*/100);
    CheckResult result = CheckLinearizable(history, options);
    ASSERT_TRUE(result.ok()) << "seed " << seed;
    EXPECT_LT(result.steps, 2 * history.operations.size());
    CorruptOneGet(&history, seed);
    EXPECT_EQ(CheckLinearizable(history, options).verdict,
              Verdict::kNotLinearizable)
        << "seed " << seed;
  }
}

TEST(Linearizability, AgreesWithBruteForceOnSmallHistories) {
  Rng rng(2024);
  int linearizable = 0, violations = 0;
  for (int i = 0; i < 20000; ++i) {
    History history = SmallRandomHistory(rng);
    bool expected = BruteForce(history).Linearizable();
    CheckResult result = CheckLinearizable(history);
    ASSERT_EQ(result.ok(), expected) << "case " << i << ":\n"
                                     << FormatHistory(history);
    if (expected) {
      ++linearizable;
    } else {
      ++violations;
      ASSERT_EQ(result.violations.size(), 1u);
      ExpectValidPrefix(result.violations[0]);
    }
  }
  // Both answers must be common for the comparison to mean anything.
  EXPECT_GT(linearizable, 4000);
  EXPECT_GT(violations, 4000);
}

TEST(Linearizability, LongestPrefixIsAPartialLinearization) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    History history = HighlyConcurrentHistory(seed);
    CorruptOneGet(&history, seed);
    CheckResult result = CheckLinearizable(history);
    ASSERT_EQ(result.violations.size(), 1u);
    const KeyViolation& v = result.violations[0];
    ExpectValidPrefix(v);
    // The corrupted read is the only thing wrong: everything that completed
    // before it was invoked fits.
    const Operation* victim = nullptr;
    for (const Operation& op : history.operations) {
      if (op.value == "corrupt") victim = &op;
    }
    ASSERT_NE(victim, nullptr);
    std::set<uint64_t> linearized(v.linearized.begin(), v.linearized.end());
    size_t before_victim = 0;
    for (const Operation& op : history.operations) {
      if (op.outcome == Operation::Outcome::kOk &&
          op.complete < victim->invoke) {
        ++before_victim;
        EXPECT_TRUE(linearized.count(op.id))
            << "seed " << seed << " op " << op.id;
      }
    }
    EXPECT_GE(linearized.size(), before_victim);
  }
}

}  // namespace
}  // namespace stepwise

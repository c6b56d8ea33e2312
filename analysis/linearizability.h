#ifndef STEPWISE_ANALYSIS_LINEARIZABILITY_H_
#define STEPWISE_ANALYSIS_LINEARIZABILITY_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/history.h"

namespace stepwise {

// Checks a history of gets and puts against a linearizable key-value store:
// every key is an independent register (initially "", i.e. absent), so each
// key's operations are checked on their own (linearizability is
// compositional). Per key, the search is Wing & Gong's with Lowe's
// memoization, as in Porcupine: depth-first over the operations that could
// take effect next, never revisiting a (set of operations done, register
// value) pair, plus register-specific rules that keep keys with many
// operations in flight tractable (see register_search.h).
//
// Operations with outcome kUnknown: a put may take effect at any time after
// its invoke, or never; its reply time is ignored. A get with kUnknown is
// ignored. Operations touching at one instant (one completes at t, the other
// is invoked at t) count as concurrent.

struct CheckOptions {
  // Search steps allowed per key; 0 = unlimited. A key that runs out is
  // reported in `unknown_keys`, and the other keys are still checked. (The
  // second search for a violation's longest prefix gets as many again.)
  uint64_t max_steps_per_key = 0;
  // Wall-clock budget for the whole check; zero = unlimited. Keys not
  // decided in time are reported in `unknown_keys`.
  std::chrono::milliseconds time_budget{0};
};

// One key with no valid linearization.
struct KeyViolation {
  std::string key;
  // Every operation on the key, sorted by (invoke, id).
  std::vector<Operation> operations;
  // The partial linearization with the most ok operations that the search
  // found: ids of the operations taking effect, in linearization order.
  // Unknown-outcome puts taken as never happening in it are in `skipped`;
  // ones whose value no get returned are in neither (they cannot matter).
  // Every ok operation that completed before one of these was invoked is
  // in `linearized`.
  std::vector<uint64_t> linearized;
  std::vector<uint64_t> skipped;
};

struct CheckResult {
  enum class Verdict {
    kLinearizable,
    kNotLinearizable,  // At least one key has no linearization.
    kUnknown,          // No violation found, but some key ran out of budget.
    kInvalidHistory,   // See `error`.
  };
  Verdict verdict = Verdict::kLinearizable;
  bool ok() const { return verdict == Verdict::kLinearizable; }

  std::vector<KeyViolation> violations;   // Sorted by key.
  std::vector<std::string> unknown_keys;  // Sorted.
  std::string error;                      // For kInvalidHistory.
  uint64_t steps = 0;                     // Search steps over all keys.
};

CheckResult CheckLinearizable(const History& history,
                              const CheckOptions& options = {});

}  // namespace stepwise

#endif  // STEPWISE_ANALYSIS_LINEARIZABILITY_H_

#ifndef STEPWISE_ANALYSIS_REGISTER_SEARCH_H_
#define STEPWISE_ANALYSIS_REGISTER_SEARCH_H_

#include <chrono>
#include <cstdint>
#include <vector>

#include "replica/types.h"

// The search behind CheckLinearizable for one key (one register). Internal
// to the linearizability library.

namespace stepwise {
namespace register_search {

// An operation as the search sees it. Values are interned per key, so the
// register state is a small integer; 0 is "", the initial (absent) value.
struct Op {
  uint32_t value = 0;
  bool is_get = false;
  // Ok operations must take effect; optional ones (unknown-outcome puts)
  // may instead be skipped, i.e. never happen.
  bool required = true;
  Micros call = 0;
  Micros ret = 0;
  uint64_t id = 0;  // The history's id, for reports.
};

// Limits shared by the searches of one check.
struct Budget {
  uint64_t max_steps_per_search = 0;  // 0 = unlimited.
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;
  uint64_t total_steps = 0;  // Steps of all searches so far.

  bool Expired() const {
    return has_deadline && std::chrono::steady_clock::now() >= deadline;
  }
};

enum class Outcome { kLinearizable, kViolation, kUnknown };

struct Result {
  Outcome outcome = Outcome::kLinearizable;
  // For kViolation: a partial linearization with the most required
  // operations found. Ids of the operations that took effect, in order, and
  // of optional ones skipped on the way.
  std::vector<uint64_t> linearized;
  std::vector<uint64_t> skipped;
};

// Wing & Gong's search with Lowe's memo, as in Porcupine. The operations'
// call and return events form a doubly linked list in time order. A move
// lets an operation whose call precedes every pending return take effect
// (or, if optional, be skipped) and lifts its two events out of the list;
// backtracking puts them back. A (set of operations decided, register
// value) pair is never explored twice. The search succeeds once every
// required operation is decided: optional ones left are skipped.
//
// On top of that, register-specific rules that never lose a linearization
// keep a key with many operations in flight from exploring every order:
// - A get that reads the current value and could go next goes next, with
//   no alternative: it changes nothing, so any linearization can be
//   rearranged to have it first.
// - An optional put whose value no remaining get reads is skipped.
// - When no remaining get reads the current value, a required put whose
//   value no remaining get reads goes next: whatever came first in a
//   linearization began with a put, which overwrites it anyway.
// - A move is refused if it leaves a get that cannot be satisfied any more:
//   its value is not the current one, and no remaining put writes it (and
//   some put did, or it is "").
// After a violation, the search runs again without that last rule, which
// can cut partial linearizations short, to report a longer prefix.
// `ops` are in invoke order; their values are below `num_values`.
Result Check(const std::vector<Op>& ops, uint32_t num_values, Budget* budget);

}  // namespace register_search
}  // namespace stepwise

#endif  // STEPWISE_ANALYSIS_REGISTER_SEARCH_H_

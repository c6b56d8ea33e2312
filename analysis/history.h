#ifndef STEPWISE_ANALYSIS_HISTORY_H_
#define STEPWISE_ANALYSIS_HISTORY_H_

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "replica/types.h"

namespace stepwise {

// One client request as the client saw it: when it was sent, when (if ever)
// its answer came, and what the answer said. Independent of how it was
// produced (the simulator, or a log of a real run).
//
// What a recorder must store:
// - A put answered `ok`: kind kPut, outcome kOk, `complete` = the ok's time.
// - A put answered `fail` or `redirect`, or never answered: outcome kUnknown.
//   It may or may not have taken effect (a leader may have appended it before
//   losing leadership), at any time after `invoke`, or never. `complete` is
//   the time of the fail/redirect, or kNever; the checker ignores it either
//   way, since such a put can still take effect after its reply.
// - A get answered `ok`: kind kGet, outcome kOk, `value` = the value returned
//   ("" when the key was absent).
// - A get that got no ok (fail, redirect, no reply) carries no information:
//   the recorder leaves it out. (The checker also ignores any kUnknown get.)
// A client's retry after a redirect or fail is a new Operation with a new id.
struct Operation {
  enum class Kind { kGet, kPut };
  enum class Outcome { kOk, kUnknown };

  uint64_t id = 0;  // Unique within a history.
  NodeId client = kNoNode;
  Kind kind = Kind::kGet;
  std::string key;
  // Put: the value written. Get: the value returned (if ok).
  std::string value;
  Micros invoke = 0;
  Micros complete = kNever;  // kNever when no reply ever came.
  Outcome outcome = Outcome::kOk;
};

struct History {
  std::vector<Operation> operations;
};

// "" when `history` is well formed, else what is wrong, naming the operation:
// ids must be unique, and an ok operation must have invoke <= complete <
// kNever.
std::string ValidateHistory(const History& history);

// JSON lines: one operation per line, in the order given, e.g.
//   {"id":7,"client":"0015","kind":"put","key":"k","value":"v",
//    "invoke":100,"complete":350,"outcome":"ok"}
// "complete" is null for kNever; "client" is the 4-hex-digit address.
// Strings that are not valid UTF-8 are written with U+FFFD in place of the
// bad bytes (JSON cannot carry them), so they do not read back identically.
std::string FormatHistory(const History& history);
void WriteHistory(const History& history, std::ostream& out);

// Parses JSON lines into `history` (replacing its content). Blank lines are
// skipped; unknown fields are ignored. Returns "" on success, else an error
// naming the 1-based line and the field, e.g.
//   line 3: field "invoke": expected an integer
// The parsed history is also checked with ValidateHistory. Never throws.
std::string ParseHistory(std::string_view text, History* history);
std::string ReadHistory(std::istream& in, History* history);

}  // namespace stepwise

#endif  // STEPWISE_ANALYSIS_HISTORY_H_

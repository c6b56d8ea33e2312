#include "analysis/random_history.h"

#include <string>
#include <utility>
#include <vector>

#include "replica/rng.h"

namespace stepwise {

History RandomLinearizableHistory(const RandomHistoryOptions& options) {
  Rng rng(options.seed);
  std::vector<std::string> registers(options.keys);
  History history;
  history.operations.reserve(options.operations);
  for (size_t i = 0; i < options.operations; ++i) {
    Operation op;
    op.id = i + 1;
    op.client = static_cast<NodeId>(
        0x15 + rng.Uniform(0, static_cast<int64_t>(options.clients) - 1));
    size_t key = static_cast<size_t>(
        rng.Uniform(0, static_cast<int64_t>(options.keys) - 1));
    op.key = "key" + std::to_string(key);
    Micros point =
        static_cast<Micros>(i + 1) * options.spacing + options.max_jitter;
    op.invoke = point - rng.Uniform(0, options.max_jitter);
    op.complete = point + rng.Uniform(0, options.max_jitter);
    if (rng.Chance(options.get_fraction)) {
      op.kind = Operation::Kind::kGet;
      op.value = registers[key];
    } else {
      op.kind = Operation::Kind::kPut;
      op.value = "v" + std::to_string(op.id);
      bool applied = true;
      if (rng.Chance(options.unknown_put_fraction)) {
        op.outcome = Operation::Outcome::kUnknown;
        applied = rng.Chance(0.5);
        if (rng.Chance(0.5)) op.complete = kNever;
      }
      if (applied) registers[key] = op.value;
    }
    history.operations.push_back(std::move(op));
  }
  return history;
}

}  // namespace stepwise

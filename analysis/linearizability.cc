#include "analysis/linearizability.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "analysis/register_search.h"

namespace stepwise {
namespace {

struct KeyInput {
  std::vector<register_search::Op> ops;
  uint32_t num_values = 0;
};

// The search input for one key's operations (indices into `all`, in invoke
// order). Gets without an ok carry no information and are left out.
// Unknown-outcome puts are optional, and bounded: if one takes effect after
// every get that returned its value, nothing observes it, and the same
// linearization without it is valid. So it may as well return when the last
// such get completes, and is left out when there is none (or none completes
// after its invoke), which keeps pending puts from being concurrent with
// everything that follows them.
KeyInput BuildKeyInput(const std::vector<Operation>& all,
                       const std::vector<size_t>& indices) {
  absl::flat_hash_map<std::string, uint32_t> intern;
  intern.emplace("", 0);
  auto value_id = [&intern](const std::string& value) {
    return intern.emplace(value, static_cast<uint32_t>(intern.size()))
        .first->second;
  };
  // Latest completion of an ok get, per value read.
  absl::flat_hash_map<uint32_t, Micros> last_read;
  for (size_t i : indices) {
    const Operation& op = all[i];
    if (op.kind != Operation::Kind::kGet ||
        op.outcome != Operation::Outcome::kOk) {
      continue;
    }
    Micros& t =
        last_read.try_emplace(value_id(op.value), op.complete).first->second;
    t = std::max(t, op.complete);
  }

  KeyInput input;
  for (size_t i : indices) {
    const Operation& op = all[i];
    const bool ok = op.outcome == Operation::Outcome::kOk;
    if (op.kind == Operation::Kind::kGet && !ok) continue;
    register_search::Op s;
    s.value = value_id(op.value);
    s.is_get = op.kind == Operation::Kind::kGet;
    s.required = ok;
    s.call = op.invoke;
    s.ret = op.complete;
    s.id = op.id;
    if (!ok) {
      auto it = last_read.find(s.value);
      if (it == last_read.end() || it->second < op.invoke) continue;
      s.ret = it->second;
    }
    input.ops.push_back(s);
  }
  input.num_values = static_cast<uint32_t>(intern.size());
  return input;
}

}  // namespace

CheckResult CheckLinearizable(const History& history,
                              const CheckOptions& options) {
  CheckResult result;
  result.error = ValidateHistory(history);
  if (!result.error.empty()) {
    result.verdict = CheckResult::Verdict::kInvalidHistory;
    return result;
  }

  register_search::Budget budget;
  budget.max_steps_per_search = options.max_steps_per_key;
  if (options.time_budget.count() > 0) {
    budget.has_deadline = true;
    budget.deadline = std::chrono::steady_clock::now() + options.time_budget;
  }

  // Keys in order, each key's operations by (invoke, id): the search
  // numbers operations in invoke order, and reports come out sorted.
  const std::vector<Operation>& all = history.operations;
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&all](size_t a, size_t b) {
    const Operation& x = all[a];
    const Operation& y = all[b];
    if (x.key != y.key) return x.key < y.key;
    if (x.invoke != y.invoke) return x.invoke < y.invoke;
    return x.id < y.id;
  });

  std::vector<size_t> indices;
  for (size_t begin = 0; begin < order.size();) {
    const std::string& key = all[order[begin]].key;
    size_t end = begin;
    while (end < order.size() && all[order[end]].key == key) ++end;
    indices.assign(order.begin() + begin, order.begin() + end);
    begin = end;

    if (budget.Expired()) {
      result.unknown_keys.push_back(key);
      continue;
    }
    KeyInput input = BuildKeyInput(all, indices);
    register_search::Result search =
        register_search::Check(input.ops, input.num_values, &budget);
    switch (search.outcome) {
      case register_search::Outcome::kLinearizable:
        break;
      case register_search::Outcome::kUnknown:
        result.unknown_keys.push_back(key);
        break;
      case register_search::Outcome::kViolation: {
        KeyViolation& violation = result.violations.emplace_back();
        violation.key = key;
        for (size_t i : indices) violation.operations.push_back(all[i]);
        violation.linearized = std::move(search.linearized);
        violation.skipped = std::move(search.skipped);
        break;
      }
    }
  }

  result.steps = budget.total_steps;
  if (!result.violations.empty()) {
    result.verdict = CheckResult::Verdict::kNotLinearizable;
  } else if (!result.unknown_keys.empty()) {
    result.verdict = CheckResult::Verdict::kUnknown;
  }
  return result;
}

}  // namespace stepwise

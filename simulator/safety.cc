#include "simulator/safety.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <streambuf>
#include <utility>

#include "analysis/linearizability.h"
#include "replica/replica.h"
#include "simulator/liveness.h"
#include "simulator/simulation.h"

namespace stepwise::sim {
namespace {

std::string Seconds(Micros t) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", t / 1e6);
  return buf;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// One line per operation of a violating key, marked with its place in the
// longest linearizable prefix the search found.
std::string DescribeOperation(const Operation& op,
                              const std::map<uint64_t, size_t>& order,
                              const std::set<uint64_t>& skipped) {
  std::string line = Seconds(op.invoke) + " .. " +
                     (op.complete == kNever ? "never" : Seconds(op.complete)) +
                     "  op " + std::to_string(op.id) + " client " +
                     FormatNodeId(op.client) + "  ";
  line += op.kind == Operation::Kind::kPut ? "put(" + Quoted(op.value) + ")"
                                           : "get -> " + Quoted(op.value);
  line += op.outcome == Operation::Outcome::kOk ? "  ok" : "  unknown outcome";
  if (auto it = order.find(op.id); it != order.end()) {
    line += "  [linearized #" + std::to_string(it->second + 1) + "]";
  } else if (skipped.count(op.id) > 0) {
    line += "  [taken as never done]";
  } else if (op.outcome == Operation::Outcome::kOk) {
    line += "  [cannot be placed]";
  }
  return line;
}

SafetyFinding FindingOf(const KeyViolation& v) {
  std::map<uint64_t, size_t> order;
  for (size_t i = 0; i < v.linearized.size(); ++i) order[v.linearized[i]] = i;
  std::set<uint64_t> skipped(v.skipped.begin(), v.skipped.end());
  SafetyFinding f;
  f.property = kLinearizability;
  // The first ok operation, by reply time, that no linearization of the
  // prefix can take: when the violation became visible to a client.
  const Operation* culprit = nullptr;
  for (const Operation& op : v.operations) {
    if (op.outcome != Operation::Outcome::kOk || order.count(op.id) > 0) {
      continue;
    }
    if (culprit == nullptr || op.complete < culprit->complete) culprit = &op;
  }
  f.time = culprit != nullptr ? culprit->complete : 0;
  f.replica = kNoNode;
  f.detail = "key " + v.key + ": no linearization of its " +
             std::to_string(v.operations.size()) +
             " operations; the longest linearizable prefix has " +
             std::to_string(v.linearized.size());
  if (culprit != nullptr) {
    f.detail += "; op " + std::to_string(culprit->id) + " (" +
                (culprit->kind == Operation::Kind::kGet
                     ? "get -> " + Quoted(culprit->value)
                     : "put(" + Quoted(culprit->value) + ")") +
                ", client " + FormatNodeId(culprit->client) +
                ") cannot follow it";
  }
  for (const Operation& op : v.operations) {
    if (f.events.size() == kMaxOperationsShown) {
      f.events.push_back(
          "... " + std::to_string(v.operations.size() - kMaxOperationsShown) +
          " more");
      break;
    }
    f.events.push_back(DescribeOperation(op, order, skipped));
  }
  return f;
}

// Keeps only the last lines written to it.
class TailBuffer : public std::streambuf {
 public:
  explicit TailBuffer(size_t lines) : max_(lines) {}

  std::vector<std::string> Lines() {
    if (!partial_.empty()) Push(std::move(partial_));
    return {lines_.begin(), lines_.end()};
  }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) Put(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) Put(s[i]);
    return n;
  }

 private:
  void Put(char c) {
    if (c == '\n') {
      Push(std::move(partial_));
      partial_.clear();
    } else {
      partial_.push_back(c);
    }
  }
  void Push(std::string line) {
    lines_.push_back(std::move(line));
    if (lines_.size() > max_) lines_.pop_front();
  }

  size_t max_;
  std::deque<std::string> lines_;
  std::string partial_;
};

}  // namespace

std::optional<SafetyFinding> RaftSafetyObserver::AfterStep(NodeId id,
                                                           const SimNode& node,
                                                           Micros now) {
  (void)id;
  const Replica* core = node.core();
  if (core == nullptr) return std::nullopt;
  std::optional<Violation> v = checker_.Observe(*core, now);
  if (!v) return std::nullopt;
  SafetyFinding f;
  f.property = v->property;
  f.time = v->time;
  f.replica = v->replica;
  f.detail = v->detail;
  return f;
}

void CheckHistory(RunResult* run) {
  CheckOptions options;
  options.max_steps_per_key = kHistoryStepsPerKey;
  CheckResult result = CheckLinearizable(run->history, options);
  switch (result.verdict) {
    case CheckResult::Verdict::kLinearizable:
      run->history_verdict = kLinearizableVerdict;
      break;
    case CheckResult::Verdict::kNotLinearizable:
      run->history_verdict = "not linearizable";
      for (const KeyViolation& v : result.violations) {
        run->safety.push_back(FindingOf(v));
      }
      break;
    case CheckResult::Verdict::kUnknown:
      run->history_verdict = "unknown: the search ran out of steps on " +
                             std::to_string(result.unknown_keys.size()) +
                             " key(s)";
      break;
    case CheckResult::Verdict::kInvalidHistory:
      run->history_verdict = "invalid history: " + result.error;
      break;
  }
}

void CheckFinishedRun(const Scenario& scenario, RunResult* run) {
  CheckHistory(run);
  if (std::optional<SafetyFinding> f = CheckLiveness(scenario, *run)) {
    run->safety.push_back(std::move(*f));
  }
}

RunResult SimulateChecked(const Scenario& scenario, uint64_t seed,
                          const NodeFactory& factory, std::ostream* trace,
                          uint64_t* events_run) {
  RaftSafetyObserver observer(scenario.replicas);
  Simulation sim(scenario, seed, factory, trace, &observer);
  RunResult run = sim.Run();
  if (events_run != nullptr) *events_run = sim.events_run();
  for (SafetyFinding& f : run.safety) {
    f.events = TraceTail(scenario, seed, factory, kTraceTailLines);
  }
  CheckFinishedRun(scenario, &run);
  return run;
}

std::vector<std::string> TraceTail(const Scenario& scenario, uint64_t seed,
                                   const NodeFactory& factory, size_t lines) {
  TailBuffer buffer(lines);
  {
    std::ostream out(&buffer);
    RaftSafetyObserver observer(scenario.replicas);
    Simulate(scenario, seed, factory, &out, &observer);
  }
  return buffer.Lines();
}

}  // namespace stepwise::sim

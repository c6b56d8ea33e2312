#include "analysis/register_search.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"

namespace stepwise {
namespace register_search {
namespace {

// The set of operations decided, with the window [low_, high_) of words
// that are neither all ones (below) nor all zeros (above). Operations are
// numbered in invoke order and the search advances roughly in that order,
// so the window stays a few words long even on a key with a long history:
// the memo stores windows, not whole bitsets.
class DoneSet {
 public:
  explicit DoneSet(size_t n) : words_((n + 63) / 64, 0) {}

  void Set(uint32_t i) {
    size_t w = i / 64;
    words_[w] |= uint64_t{1} << (i % 64);
    high_ = std::max(high_, w + 1);
    while (low_ < words_.size() && words_[low_] == ~uint64_t{0}) ++low_;
  }

  void Clear(uint32_t i) {
    size_t w = i / 64;
    words_[w] &= ~(uint64_t{1} << (i % 64));
    low_ = std::min(low_, w);
    while (high_ > 0 && words_[high_ - 1] == 0) --high_;
  }

  size_t low() const { return low_; }
  const uint64_t* window_begin() const { return words_.data() + low_; }
  const uint64_t* window_end() const {
    return words_.data() + std::max(low_, high_);
  }

 private:
  std::vector<uint64_t> words_;
  size_t low_ = 0;   // First word that is not all ones.
  size_t high_ = 0;  // One past the last nonzero word.
};

// Equal sets give equal (low, window) pairs.
struct MemoKey {
  uint32_t low = 0;
  uint32_t state = 0;
  absl::InlinedVector<uint64_t, 4> window;

  MemoKey(const DoneSet& done, uint32_t register_state)
      : low(static_cast<uint32_t>(done.low())),
        state(register_state),
        window(done.window_begin(), done.window_end()) {}

  friend bool operator==(const MemoKey& a, const MemoKey& b) {
    return a.low == b.low && a.state == b.state && a.window == b.window;
  }
  template <typename H>
  friend H AbslHashValue(H h, const MemoKey& key) {
    return H::combine(std::move(h), key.low, key.state, key.window);
  }
};

class Searcher {
 public:
  // Without `prune_dead` the search only uses the rules that keep every
  // partial linearization's length reachable (see Check).
  Searcher(const std::vector<Op>& ops, uint32_t num_values, bool prune_dead);
  // Gives up (kUnknown) after `max_steps` steps, if not 0.
  Outcome Run(Budget* budget, uint64_t max_steps);
  uint64_t steps() const { return steps_; }
  size_t best_required() const { return best_required_; }
  void LongestPrefix(Result* result) const;

 private:
  struct Node {
    int32_t prev = -1;
    int32_t next = -1;
    int32_t op = -1;
    int32_t match = -1;  // A call's return node; -1 on a return node.
  };
  // One decision: the call node lifted, whether the operation was skipped,
  // whether it was forced (then no alternative at that point is worth
  // trying), and the register value before it.
  struct Frame {
    int32_t node;
    bool skipped;
    bool forced;
    uint32_t state_before;
  };
  enum class MoveResult { kMade, kRefused };

  void BuildList();
  void Lift(int32_t call);
  void Unlift(int32_t call);
  bool IsDead(uint32_t value) const;
  void Push(int32_t node, bool skip, bool forced);
  Frame Pop();
  MoveResult TryMove(int32_t node, bool skip, bool forced);
  bool FindForced(int32_t* node, bool* skip) const;
  void NextAlternative(int32_t node, bool skipped, int32_t* next,
                       bool* skip) const;
  bool Backtrack(int32_t* node, bool* skip);
  void RecordLongest();

  const std::vector<Op>& ops_;
  const bool prune_dead_;
  uint64_t steps_ = 0;
  std::vector<Node> nodes_;  // Call and return nodes, then the head.
  int32_t head_ = -1;
  DoneSet done_;
  absl::flat_hash_set<MemoKey> seen_;
  uint32_t state_ = 0;

  // Per value: gets not yet decided that read it, puts not yet decided that
  // write it, and whether it can run out of writers at all (written by some
  // put, or the initial ""). `dead_` counts values IsDead() holds for.
  std::vector<uint32_t> gets_left_;
  std::vector<uint32_t> writers_left_;
  std::vector<bool> written_;
  size_t dead_ = 0;

  size_t required_left_ = 0;
  size_t required_depth_ = 0;  // Required operations on the stack.
  std::vector<Frame> stack_;
  // The partial linearization with the most required operations so far.
  // best_[0, synced_) equals stack_[0, synced_), so recording copies only
  // what changed since the last time: linear in the moves made overall.
  std::vector<Frame> best_;
  size_t best_required_ = 0;
  bool recorded_ = false;
  size_t synced_ = 0;
};

Searcher::Searcher(const std::vector<Op>& ops, uint32_t num_values,
                   bool prune_dead)
    : ops_(ops),
      prune_dead_(prune_dead),
      done_(ops.size()),
      gets_left_(num_values, 0),
      writers_left_(num_values, 0),
      written_(num_values, false) {
  BuildList();
  written_[0] = true;
  for (const Op& op : ops_) {
    required_left_ += op.required ? 1 : 0;
    if (op.is_get) {
      ++gets_left_[op.value];
    } else {
      ++writers_left_[op.value];
      written_[op.value] = true;
    }
  }
  for (uint32_t v = 0; v < num_values; ++v) dead_ += IsDead(v) ? 1 : 0;
}

void Searcher::BuildList() {
  const int32_t n = static_cast<int32_t>(ops_.size());
  // Event e < n is op e's call, e >= n op (e - n)'s return. At equal times
  // calls come first (touching operations are concurrent), then by op.
  std::vector<int32_t> events(2 * n);
  for (int32_t e = 0; e < 2 * n; ++e) events[e] = e;
  auto time_of = [&](int32_t e) {
    return e < n ? ops_[e].call : ops_[e - n].ret;
  };
  std::sort(events.begin(), events.end(), [&](int32_t a, int32_t b) {
    Micros ta = time_of(a), tb = time_of(b);
    if (ta != tb) return ta < tb;
    bool call_a = a < n, call_b = b < n;
    if (call_a != call_b) return call_a;
    return a < b;
  });
  nodes_.resize(2 * n + 1);
  head_ = 2 * n;
  for (int32_t e = 0; e < 2 * n; ++e) {
    nodes_[e].op = e < n ? e : e - n;
    nodes_[e].match = e < n ? e + n : -1;
  }
  int32_t prev = head_;
  for (int32_t e : events) {
    nodes_[prev].next = e;
    nodes_[e].prev = prev;
    prev = e;
  }
  nodes_[prev].next = -1;
}

// A call's return comes after it, so a call's `next` is never -1.
void Searcher::Lift(int32_t call) {
  Node& c = nodes_[call];
  nodes_[c.prev].next = c.next;
  nodes_[c.next].prev = c.prev;
  Node& r = nodes_[c.match];
  nodes_[r.prev].next = r.next;
  if (r.next != -1) nodes_[r.next].prev = r.prev;
}

// Undoes the matching Lift (they nest like the stack).
void Searcher::Unlift(int32_t call) {
  Node& c = nodes_[call];
  Node& r = nodes_[c.match];
  nodes_[r.prev].next = c.match;
  if (r.next != -1) nodes_[r.next].prev = c.match;
  nodes_[c.prev].next = call;
  nodes_[c.next].prev = call;
}

// A value some remaining get reads, that is not the current one and that no
// remaining put can write: this branch has no linearization. Values no put
// writes at all are left to the plain search, which then reports how far
// the history gets before the bad read.
bool Searcher::IsDead(uint32_t value) const {
  return value != state_ && gets_left_[value] > 0 &&
         writers_left_[value] == 0 && written_[value];
}

void Searcher::Push(int32_t node, bool skip, bool forced) {
  const uint32_t op_index = static_cast<uint32_t>(nodes_[node].op);
  const Op& op = ops_[op_index];
  const uint32_t before = state_;
  stack_.push_back(Frame{node, skip, forced, before});
  // Only the old value and the operation's value can change deadness.
  dead_ -= IsDead(before) ? 1 : 0;
  if (op.value != before) dead_ -= IsDead(op.value) ? 1 : 0;
  if (op.is_get) {
    --gets_left_[op.value];
  } else {
    --writers_left_[op.value];
    if (!skip) state_ = op.value;
  }
  dead_ += IsDead(before) ? 1 : 0;
  if (op.value != before) dead_ += IsDead(op.value) ? 1 : 0;

  done_.Set(op_index);
  if (op.required) {
    --required_left_;
    ++required_depth_;
  }
  Lift(node);
}

Searcher::Frame Searcher::Pop() {
  Frame frame = stack_.back();
  stack_.pop_back();
  synced_ = std::min(synced_, stack_.size());
  const uint32_t op_index = static_cast<uint32_t>(nodes_[frame.node].op);
  const Op& op = ops_[op_index];
  // The state goes back from op.value (or itself) to state_before.
  const uint32_t before = frame.state_before;
  dead_ -= IsDead(before) ? 1 : 0;
  if (op.value != before) dead_ -= IsDead(op.value) ? 1 : 0;
  if (op.is_get) {
    ++gets_left_[op.value];
  } else {
    ++writers_left_[op.value];
  }
  state_ = before;
  dead_ += IsDead(before) ? 1 : 0;
  if (op.value != before) dead_ += IsDead(op.value) ? 1 : 0;

  Unlift(frame.node);
  done_.Clear(op_index);
  if (op.required) {
    ++required_left_;
    --required_depth_;
  }
  return frame;
}

Searcher::MoveResult Searcher::TryMove(int32_t node, bool skip, bool forced) {
  const Op& op = ops_[nodes_[node].op];
  if (!skip && op.is_get && op.value != state_) return MoveResult::kRefused;
  Push(node, skip, forced);
  if (prune_dead_ && dead_ > 0) {
    // Still a partial linearization: worth reporting if it is the longest.
    RecordLongest();
    Pop();
    return MoveResult::kRefused;
  }
  if (!seen_.emplace(done_, state_).second) {
    Pop();
    return MoveResult::kRefused;
  }
  return MoveResult::kMade;
}

// The operations that may go next are the calls before the first return.
bool Searcher::FindForced(int32_t* node, bool* skip) const {
  const bool state_unread = gets_left_[state_] == 0;
  for (int32_t n = nodes_[head_].next; n != -1 && nodes_[n].match >= 0;
       n = nodes_[n].next) {
    const Op& op = ops_[nodes_[n].op];
    if (op.is_get) {
      if (op.value == state_) {
        *node = n;
        *skip = false;
        return true;
      }
    } else if (gets_left_[op.value] == 0) {
      if (!op.required) {
        *node = n;
        *skip = true;
        return true;
      }
      if (state_unread) {
        *node = n;
        *skip = false;
        return true;
      }
    }
  }
  return false;
}

void Searcher::NextAlternative(int32_t node, bool skipped, int32_t* next,
                               bool* skip) const {
  if (!skipped && !ops_[nodes_[node].op].required) {
    *next = node;
    *skip = true;
  } else {
    *next = nodes_[node].next;
    *skip = false;
  }
}

// Undoes decisions up to the latest one with an alternative left; false if
// there is none.
bool Searcher::Backtrack(int32_t* node, bool* skip) {
  RecordLongest();
  while (!stack_.empty()) {
    Frame frame = Pop();
    if (!frame.forced) {
      NextAlternative(frame.node, frame.skipped, node, skip);
      return true;
    }
  }
  return false;
}

void Searcher::RecordLongest() {
  if (recorded_ && required_depth_ <= best_required_) return;
  recorded_ = true;
  best_.resize(stack_.size());
  std::copy(stack_.begin() + synced_, stack_.end(), best_.begin() + synced_);
  synced_ = stack_.size();
  best_required_ = required_depth_;
}

Outcome Searcher::Run(Budget* budget, uint64_t max_steps) {
  bool fresh = true;  // At a configuration not yet looked at.
  int32_t node = -1;
  bool skip = false;
  while (required_left_ > 0) {
    ++steps_;
    ++budget->total_steps;
    if ((max_steps != 0 && steps_ > max_steps) ||
        (steps_ % 1024 == 0 && budget->Expired())) {
      RecordLongest();
      return Outcome::kUnknown;
    }

    if (fresh) {
      fresh = false;
      int32_t forced_node;
      bool forced_skip;
      if (FindForced(&forced_node, &forced_skip)) {
        if (TryMove(forced_node, forced_skip, /*forced=*/true) ==
            MoveResult::kMade) {
          fresh = true;
        } else if (!Backtrack(&node, &skip)) {
          // Seen before, so no alternative here can succeed either.
          return Outcome::kViolation;
        }
        continue;
      }
      node = nodes_[head_].next;
      skip = false;
    }
    if (nodes_[node].match < 0) {
      // A pending return: every operation that could go first was tried.
      if (!Backtrack(&node, &skip)) return Outcome::kViolation;
      continue;
    }
    if (TryMove(node, skip, /*forced=*/false) == MoveResult::kMade) {
      fresh = true;
    } else {
      NextAlternative(node, skip, &node, &skip);
    }
  }
  return Outcome::kLinearizable;
}

void Searcher::LongestPrefix(Result* result) const {
  for (const Frame& frame : best_) {
    uint64_t id = ops_[nodes_[frame.node].op].id;
    (frame.skipped ? result->skipped : result->linearized).push_back(id);
  }
}

}  // namespace

Result Check(const std::vector<Op>& ops, uint32_t num_values, Budget* budget) {
  Searcher searcher(ops, num_values, /*prune_dead=*/true);
  Result result;
  result.outcome = searcher.Run(budget, budget->max_steps_per_search);
  if (result.outcome != Outcome::kViolation) return result;

  // Pruning dead branches cuts partial linearizations short: it refuses a
  // put as soon as an earlier value can no longer be read, where the report
  // is clearer going on to the read that fails. So search again without it
  // for a longer prefix, spending at most about ten times the first search
  // (the unpruned search can take exponential time); whatever it found by
  // then is a valid partial linearization too.
  Searcher unpruned(ops, num_values, /*prune_dead=*/false);
  uint64_t max_steps = 10 * searcher.steps() + 10'000;
  if (budget->max_steps_per_search != 0) {
    max_steps = std::min(max_steps, budget->max_steps_per_search);
  }
  unpruned.Run(budget, max_steps);
  if (unpruned.best_required() > searcher.best_required()) {
    unpruned.LongestPrefix(&result);
  } else {
    searcher.LongestPrefix(&result);
  }
  return result;
}

}  // namespace register_search
}  // namespace stepwise

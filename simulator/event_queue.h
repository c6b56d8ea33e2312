#ifndef STEPWISE_SIMULATOR_EVENT_QUEUE_H_
#define STEPWISE_SIMULATOR_EVENT_QUEUE_H_

// The virtual clock and the one event queue of the simulator.
//
// Events are ordered by (time, sequence number): two events scheduled for
// the same microsecond run in the order they were scheduled. That tie-break
// is what makes a run a pure function of its inputs; nothing here reads a
// wall clock or depends on addresses.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "replica/types.h"

namespace stepwise::sim {

class EventQueue {
 public:
  using Action = std::function<void()>;

  Micros now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  uint64_t events_run() const { return events_run_; }

  // Schedules `action` at `time`; a time in the past runs at now() (the
  // clock never goes backwards).
  void At(Micros time, Action action) {
    heap_.push_back(
        Entry{std::max(time, now_), next_seq_++, std::move(action)});
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }
  void After(Micros delay, Action action) {
    At(now_ + delay, std::move(action));
  }

  // Runs events in order while the next one is due no later than `end`,
  // then leaves the clock at `end` (unless Stop() was called).
  void RunUntil(Micros end) {
    stopped_ = false;
    while (!stopped_ && !heap_.empty() && heap_.front().time <= end) {
      std::pop_heap(heap_.begin(), heap_.end(), Later);
      Entry entry = std::move(heap_.back());
      heap_.pop_back();
      now_ = entry.time;
      ++events_run_;
      entry.action();
    }
    if (!stopped_) now_ = std::max(now_, end);
  }

  // Makes RunUntil return after the current event; pending events stay.
  void Stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  struct Entry {
    Micros time;
    uint64_t seq;
    Action action;
  };
  // std::*_heap keeps the "largest" first; the largest here is the earliest.
  static bool Later(const Entry& a, const Entry& b) {
    if (a.time != b.time) return a.time > b.time;
    return a.seq > b.seq;
  }

  std::vector<Entry> heap_;
  Micros now_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  bool stopped_ = false;
};

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_EVENT_QUEUE_H_

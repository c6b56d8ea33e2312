#include "simulator/event_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace stepwise::sim {
namespace {

TEST(EventQueueTest, RunsInTimeOrderThenSchedulingOrder) {
  EventQueue q;
  std::string order;
  q.At(20, [&] { order += 'c'; });
  q.At(10, [&] { order += 'a'; });
  q.At(10, [&] { order += 'b'; });  // same time: after 'a', scheduled later
  q.At(20, [&] { order += 'd'; });
  q.RunUntil(100);
  EXPECT_EQ(order, "abcd");
  EXPECT_EQ(q.now(), 100);
}

TEST(EventQueueTest, EventsScheduledDuringARunAtTheSameTimeRunAfter) {
  EventQueue q;
  std::string order;
  q.At(5, [&] {
    order += 'a';
    q.At(5, [&] { order += 'c'; });
  });
  q.At(5, [&] { order += 'b'; });
  q.RunUntil(5);
  EXPECT_EQ(order, "abc");
}

TEST(EventQueueTest, PastTimesRunNowAndTheClockNeverGoesBack) {
  EventQueue q;
  Micros seen = -1;
  q.At(50, [&] { q.At(10, [&] { seen = q.now(); }); });
  q.RunUntil(60);
  EXPECT_EQ(seen, 50);
}

TEST(EventQueueTest, StopsAtTheEndAndOnStop) {
  EventQueue q;
  int runs = 0;
  q.At(10, [&] { ++runs; });
  q.At(30, [&] { ++runs; });
  q.RunUntil(20);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(q.size(), 1u);
  q.At(25, [&] {
    ++runs;
    q.Stop();
  });
  q.RunUntil(100);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(q.now(), 25);
}

}  // namespace
}  // namespace stepwise::sim

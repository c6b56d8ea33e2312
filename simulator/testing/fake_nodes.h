#ifndef STEPWISE_SIMULATOR_TESTING_FAKE_NODES_H_
#define STEPWISE_SIMULATOR_TESTING_FAKE_NODES_H_

// Test-only stand-ins for a replica: a trivial responder with knobs, so a
// hub or client rule can be tested without Raft in the way. One replica
// (`leader`) answers every request from its own map; the others redirect
// to it. Every message carries leader = `leader`.

#include "replica/types.h"
#include "simulator/node.h"

namespace stepwise::sim::testing {

struct FakeOptions {
  NodeId leader = 0;
  // Before answering a put, round-trip a message with this many peers
  // (the harness doc's calibration experiment).
  int peers_to_wait = 0;
  bool say_hello = true;
  bool ignore_requests = false;    // never answer: every request unanswered
  bool duplicate_ok = false;       // answer every request ok twice
  bool ok_after_redirect = false;  // followers redirect, then also answer ok
  bool corrupt_gets = false;       // gets return a wrong value
  Micros broadcast_every = 0;      // the leader sends dst FFFF this often
  Micros unicast_every = 0;        // every replica sends to its next peer
};

NodeFactory FakeFactory(FakeOptions options);

}  // namespace stepwise::sim::testing

#endif  // STEPWISE_SIMULATOR_TESTING_FAKE_NODES_H_

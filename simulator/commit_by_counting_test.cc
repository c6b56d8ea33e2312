// Raft's Figure 8, played by hand, so that the one broken variant the
// scenarios never trip (commit_by_counting) is caught by the Raft checker
// all the same. A swarm run needs a leader to commit an earlier term's
// entry while its own term's no-op is on no majority, and then a leader
// elected without that entry: our leader sends its no-op in the same append
// as the entries before it, so this takes a follower more than
// max_entries_per_append behind, a drop at the right moment and three
// leaders in a row. Here the test is the network: it decides who hears
// whom, whose timer fires and which append is lost.
//
// A (0) leads term t1 and stores a hundred puts, the first 64 or more of
// them with B (1) and nobody else. E (4) is elected by C (2) and D (3) and
// keeps its no-op to itself. A comes back, is elected by B and C, and
// repairs C, which is far behind: C stores a first batch of A's
// earlier-term entries, and every append that would bring it A's own no-op
// is lost. A majority (A, B, C) now stores that batch, all of term t1: the
// broken leader counts it as committed and says so to B and C, which apply
// it. Then A and B are cut off and E, whose last term is higher than C's,
// is elected by C and D: a leader without entries that were committed, and
// it overwrites them on a majority. The real replica, on the same script,
// commits nothing of A's until its no-op is stored by a majority, so E's
// overwrite is legal.

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/raft_invariants.h"
#include "replica/replica.h"
#include "simulator/replica_node.h"
#include "simulator/safety.h"
#include "simulator/testing/broken_replicas.h"

namespace stepwise::sim::testing {
namespace {

constexpr int kReplicas = 5;
constexpr NodeId kA = 0, kB = 1, kC = 2, kD = 3, kE = 4;
constexpr NodeId kClient = 0x0100;
constexpr int kPuts = 100;

// Five nodes and a network that delivers only what the script allows,
// one message at a time, with the Raft checker after every step.
class ScriptedNetwork {
 public:
  explicit ScriptedNetwork(const NodeFactory& factory) : observer_(kReplicas) {
    for (NodeId id = 0; id < kReplicas; ++id) {
      NodeSpec spec{id, {}, 1000u + id};
      for (NodeId peer = 0; peer < kReplicas; ++peer) {
        if (peer != id) spec.peers.push_back(peer);
      }
      nodes_.push_back(factory(spec, now_));
    }
    for (NodeId id = 0; id < kReplicas; ++id) Collect(id);
  }

  const Replica& core(NodeId id) const { return *nodes_[id]->core(); }
  Micros now() const { return now_; }
  const std::optional<SafetyFinding>& finding() const { return finding_; }

  // Only replicas in one group hear each other; `drop` loses more.
  void Connect(std::set<NodeId> group,
               std::function<bool(const Message&)> drop = nullptr) {
    group_ = std::move(group);
    drop_ = std::move(drop);
  }

  // Fires `id`'s next timer (and only its: the others are slow), moving
  // time forward to it if it lies ahead.
  void FireTimer(NodeId id) {
    now_ = std::max(now_, nodes_[id]->NextDeadline());
    nodes_[id]->Tick(now_);
    After(id);
  }

  // Lets `span` pass without firing anyone's timer.
  void Wait(Micros span) { now_ += span; }

  void Put(NodeId to, int i) {
    const std::string n = std::to_string(i);
    Deliver(Message{kClient, to, kNoNode,
                    MessageBody{PutRequest{"mid-" + n, "key-" + n, "v" + n}}});
  }

  // Delivers what is in flight, oldest first, until nothing is or `until`
  // holds; what crosses the partition or `drop` picks is lost.
  void Pump(const std::function<bool()>& until = nullptr) {
    for (int budget = 100000; budget > 0 && !in_flight_.empty(); --budget) {
      if (until && until()) return;
      Message m = std::move(in_flight_.front());
      in_flight_.pop_front();
      if (!group_.count(m.src) || !group_.count(m.dst)) continue;
      if (drop_ && drop_(m)) continue;
      Deliver(m);
    }
  }

  // Loses everything in flight.
  void DropInFlight() { in_flight_.clear(); }

  // Fires `id`'s timer and lets the messages flow, until `done` holds.
  bool Drive(NodeId id, const std::function<bool()>& done) {
    for (int round = 0; round < 50; ++round) {
      if (done()) return true;
      FireTimer(id);
      Pump(done);
    }
    return done();
  }

 private:
  void Deliver(const Message& m) {
    nodes_[m.dst]->Step(m, now_);
    After(m.dst);
  }

  void After(NodeId id) {
    if (!finding_) finding_ = observer_.AfterStep(id, *nodes_[id], now_);
    Collect(id);
  }

  void Collect(NodeId id) {
    for (Message& m : nodes_[id]->TakeMessages()) {
      if (std::holds_alternative<Hello>(m.body)) continue;
      if (m.dst == kNoNode) {
        for (NodeId peer = 0; peer < kReplicas; ++peer) {
          if (peer == id) continue;
          Message copy = m;
          copy.dst = peer;
          in_flight_.push_back(std::move(copy));
        }
      } else if (m.dst < kReplicas) {
        in_flight_.push_back(std::move(m));
      }  // else a reply to the client, which the script does not need
    }
  }

  RaftSafetyObserver observer_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::deque<Message> in_flight_;
  std::set<NodeId> group_;
  std::function<bool(const Message&)> drop_;
  Micros now_ = 0;
  std::optional<SafetyFinding> finding_;
};

bool Leads(const ScriptedNetwork& net, NodeId id) {
  return net.core(id).role() == Role::kLeader;
}

// Whether `m` is an append that carries an entry of `term`.
bool CarriesTerm(const Message& m, Term term) {
  const auto* append = std::get_if<AppendEntries>(&m.body);
  if (append == nullptr) return false;
  for (const LogEntry& e : append->entries) {
    if (e.term == term) return true;
  }
  return false;
}

struct Outcome {
  // What B and C had been told was committed when A was cut off, counted
  // from the end of A's first term.
  LogIndex counted = 0;
  std::optional<SafetyFinding> finding;
};

// Plays the script with every replica built by `factory`.
Outcome PlayFigure8(const NodeFactory& factory) {
  ScriptedNetwork net(factory);
  const auto all = std::set<NodeId>{kA, kB, kC, kD, kE};

  // A leads term t1, and everyone has its no-op.
  net.Connect(all);
  EXPECT_TRUE(net.Drive(kA, [&] {
    if (!Leads(net, kA)) return false;
    for (NodeId id : all) {
      if (net.core(id).commit_index() < 1) return false;
    }
    return true;
  }));
  const Term t1 = net.core(kA).term();
  const LogIndex base = net.core(kA).log().last_index();

  // A and B alone: the puts reach B and nobody else, each in its own
  // append (puts closer together would wait for one another, and this
  // network fires no timer unless told to).
  net.Connect({kA, kB});
  for (int i = 0; i < kPuts; ++i) {
    net.Wait(ReplicaConfig().put_batch_window);
    net.Put(kA, i);
    net.Pump();
  }
  EXPECT_EQ(net.core(kA).log().last_index(), base + kPuts);
  // B may hold fewer: A stops shipping what no tail has acknowledged.
  EXPECT_GE(net.core(kB).log().last_index(), base + 64);
  EXPECT_EQ(net.core(kC).log().last_index(), base);

  // E is elected by C and D, and its no-op goes nowhere.
  net.Wait(3 * kSeconds);
  net.Connect({kC, kD, kE});
  EXPECT_TRUE(net.Drive(kE, [&] { return Leads(net, kE); }));
  net.DropInFlight();
  net.Connect({});
  const Term t2 = net.core(kE).term();
  EXPECT_GT(t2, t1);
  EXPECT_EQ(net.core(kE).log().last_index(), base + 1);
  EXPECT_EQ(net.core(kC).log().last_index(), base);

  // A is elected by B and C. Every append that would bring C an entry of
  // A's new term is lost (one C would refuse may pass: the refusal is what
  // makes A repair it), so C stores only earlier-term entries.
  net.Wait(3 * kSeconds);
  Term t3 = 0;
  net.Connect({kA, kB, kC}, [&](const Message& m) {
    const auto* append = std::get_if<AppendEntries>(&m.body);
    return m.dst == kC && t3 != 0 && CarriesTerm(m, t3) &&
           append->prev_index <= net.core(kC).log().last_index();
  });
  EXPECT_TRUE(net.Drive(kA, [&] {
    if (Leads(net, kA)) t3 = net.core(kA).term();
    return t3 != 0 && net.core(kC).log().last_index() > base;
  }));
  // A's heartbeats carry whatever commit index it believes in.
  for (int i = 0; i < 5; ++i) {
    net.FireTimer(kA);
    net.Pump();
  }
  EXPECT_GT(net.core(kC).log().last_index(), base);
  EXPECT_LT(net.core(kC).log().last_index(), net.core(kA).log().last_index());
  EXPECT_EQ(net.core(kC).log().last_term(), t1);

  Outcome outcome;
  outcome.counted =
      std::max(net.core(kB).commit_index(), net.core(kC).commit_index()) - base;

  // A and B are cut off; E, whose last term beats C's, is elected by C and
  // D and brings them its log.
  net.DropInFlight();
  net.Wait(3 * kSeconds);
  net.Connect({kC, kD, kE});
  EXPECT_TRUE(net.Drive(kE, [&] {
    return net.finding().has_value() ||
           (Leads(net, kE) && net.core(kC).commit_index() > base &&
            net.core(kD).commit_index() > base);
  }));
  outcome.finding = net.finding();
  return outcome;
}

TEST(CommitByCountingTest, Figure8IsCaughtByTheRaftChecker) {
  const Outcome broken =
      PlayFigure8(BrokenReplicaFactory(Broken::kCommitByCounting));
  // The broken leader told B and C that A's earlier-term entries were
  // committed, and the checker saw the next leader without them.
  EXPECT_GT(broken.counted, 0u);
  ASSERT_TRUE(broken.finding.has_value());
  // E is elected without index 2..; which property is reported first
  // depends on the step that shows it: E's election (leader completeness)
  // or the overwrite at C (committed on a majority, state machine safety).
  const std::set<std::string> expected = {
      kLeaderCompleteness, kCommittedOnMajority, kStateMachineSafety};
  EXPECT_TRUE(expected.count(broken.finding->property))
      << broken.finding->property << ": " << broken.finding->detail;
}

TEST(CommitByCountingTest, TheRealReplicaPlaysTheSameScriptSafely) {
  const Outcome real = PlayFigure8(ReplicaNodeFactory());
  EXPECT_EQ(real.counted, 0u);
  EXPECT_FALSE(real.finding.has_value())
      << real.finding->property << ": " << real.finding->detail;
}

}  // namespace
}  // namespace stepwise::sim::testing

// Microbenchmarks of the core's hot paths: a leader taking puts and acks,
// and a follower taking appends. Run with
//   ./bazelw run -c opt //replica/bench:core_bench

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "replica/replica.h"

namespace stepwise {
namespace {

ReplicaConfig Config(NodeId id, int replicas) {
  ReplicaConfig config;
  config.id = id;
  for (int i = 0; i < replicas; ++i) {
    if (i != id) config.peers.push_back(static_cast<NodeId>(i));
  }
  config.election_timeout_min = config.election_timeout_max = 1000 * kMillis;
  return config;
}

// Makes replica 0 of a 5-replica cluster leader of term 1 by stepping the
// votes it asks for.
Replica MakeLeader(Micros* now) {
  Replica leader(Config(0, 5), 0);
  *now = 1000 * kMillis;
  leader.Tick(*now);
  for (int round = 0; round < 2; ++round) {
    Ready ready = leader.TakeReady();
    for (const Message& m : ready.messages) {
      const auto& request = std::get<VoteRequest>(m.body);
      leader.Step(Message{m.dst, 0, kNoNode,
                          VoteReply{request.term, true, request.pre_vote}},
                  *now);
    }
  }
  leader.TakeReady();
  return leader;
}

// One put in, its chain append out (leader -> head -> tail), the tail's ack
// back for both, and whatever else the leader sends answered at once: the
// leader's work per client write. Each put is to a new key, as half of the
// harness's are; the rest of the chain's work is the followers' (see
// BM_FollowerAppend).
void BM_LeaderPutRoundTrip(benchmark::State& state) {
  Micros now;
  Replica leader = MakeLeader(&now);
  uint64_t n = 0;
  const std::string value(32, 'v');
  for (auto _ : state) {
    // Puts closer together than this share a chain append (leader.cc);
    // this measures one put with one append of its own.
    now += leader.config().put_batch_window;
    const std::string mid = "MID" + std::to_string(n++);
    leader.Step(Message{0x15, 0, 0, PutRequest{mid, "key" + mid, value}}, now);
    Ready ready = leader.TakeReady();
    for (const Message& m : ready.messages) {
      const auto* append = std::get_if<AppendEntries>(&m.body);
      if (append == nullptr) continue;
      AppendReply ack;
      ack.term = append->term;
      ack.success = true;
      ack.match_index = append->prev_index + append->entries.size();
      ack.sent_at = append->sent_at;
      ack.commit = ack.match_index;
      NodeId replier = m.dst;
      if (!append->relay.empty()) {
        // The chain: every member but the last relayed it.
        ack.via = {m.dst};
        ack.via.insert(ack.via.end(), append->relay.begin(),
                       append->relay.end() - 1);
        ack.via_match = ack.match_index;
        replier = append->relay.back();
      }
      leader.Step(Message{replier, 0, 0, ack}, now);
    }
    benchmark::DoNotOptimize(leader.TakeReady());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeaderPutRoundTrip);

// A follower taking one append with one new entry and answering it.
void BM_FollowerAppend(benchmark::State& state) {
  Replica follower(Config(1, 5), 0);
  Micros now = 0;
  LogIndex last = 0;
  const std::string key(32, 'k');
  const std::string value(32, 'v');
  for (auto _ : state) {
    now += 10;
    AppendEntries append;
    append.term = 1;
    append.prev_index = last;
    append.prev_term = last == 0 ? 0 : 1;
    append.entries.push_back(LogEntry{1, key, value, 0x15, "MID"});
    append.commit = last;
    append.sent_at = now;
    follower.Step(Message{0, 1, 0, std::move(append)}, now);
    ++last;
    benchmark::DoNotOptimize(follower.TakeReady());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FollowerAppend);

// A get served from the lease: the common read path.
void BM_LeaderLeaseGet(benchmark::State& state) {
  Micros now;
  Replica leader = MakeLeader(&now);
  // Acks from everyone for the no-op make the lease valid and commit it.
  Ready ready = leader.TakeReady();
  leader.Tick(now);
  ready = leader.TakeReady();
  (void)ready;
  for (NodeId peer = 1; peer < 5; ++peer) {
    AppendReply ack;
    ack.term = leader.term();
    ack.success = true;
    ack.match_index = leader.log().last_index();
    ack.sent_at = now;
    leader.Step(Message{peer, 0, 0, ack}, now);
  }
  leader.TakeReady();
  const std::string key(32, 'k');
  for (auto _ : state) {
    leader.Step(Message{0x15, 0, 0, GetRequest{"MID", key}}, now);
    benchmark::DoNotOptimize(leader.TakeReady());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeaderLeaseGet);

}  // namespace
}  // namespace stepwise

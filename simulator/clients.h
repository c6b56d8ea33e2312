#ifndef STEPWISE_SIMULATOR_CLIENTS_H_
#define STEPWISE_SIMULATOR_CLIENTS_H_

// The harness's eight clients: the request schedule, what each request is,
// where it goes, how replies are checked and how redirects and fails are
// re-sent. Time is the caller's (virtual or real microseconds), so the live
// mode uses this very class.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/history.h"
#include "replica/messages.h"
#include "replica/rng.h"
#include "replica/types.h"
#include "simulator/hub.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

struct ClientStats {
  int64_t gets_generated = 0;
  int64_t puts_generated = 0;
  int64_t get_generation_failures = 0;  // gets drawn with no key to read
  int64_t gets_ok = 0;
  int64_t puts_ok = 0;
  int64_t redirects = 0;
  int64_t get_fails = 0;  // `fail` replies
  int64_t put_fails = 0;
  int64_t retries = 0;  // requests re-sent after a redirect or fail
  int64_t duplicates = 0;
  int64_t incorrect = 0;
  int64_t wrong_get_values = 0;  // the part of `incorrect` that is a bad get
  int64_t unanswered_gets = 0;   // set by Finish()
  int64_t unanswered_puts = 0;
  std::vector<std::string> incorrect_details;  // the first few
  std::vector<Micros> latencies;  // first reply to each MID, in order
};

// One scheduled request, from its first send to its first ok (through any
// re-sends), for the liveness check.
struct RequestTiming {
  bool is_get = false;
  Micros first_sent = kNever;
  Micros ok_at = kNever;  // kNever: never answered ok
};

// What became of one reply.
enum class Verdict { kOk, kRedirect, kFail, kDuplicate, kIncorrect };
const char* VerdictName(Verdict verdict);

struct ReplyOutcome {
  Verdict verdict = Verdict::kIncorrect;
  Micros latency = -1;            // set for a first reply
  std::optional<Message> resend;  // after a redirect or fail
};

class Clients {
 public:
  Clients(const Scenario& scenario, uint64_t seed);

  NodeId client_id(int index) const;
  int num_requests() const { return static_cast<int>(schedule_.size()); }
  // When request k is due, in microseconds from the start of the run.
  Micros due(int k) const { return schedule_[k].due; }
  bool is_get(int k) const { return schedule_[k].is_get; }

  // Makes request k at `now`. nullopt: a get that could not be generated
  // (no client has an acknowledged key yet). The message's dst is the
  // chosen replica, or kNoNode when none is alive.
  std::optional<Message> Generate(int k, Micros now, const Hub& hub);

  // A datagram addressed to a client arrived at `now`.
  ReplyOutcome OnReply(const Message& reply, Micros now, const Hub& hub);
  // A datagram for a client that could not even be decoded (live mode).
  void OnUndecodable(const std::string& why);

  // kill_leader and part_hard: every client forgets its leader.
  void ForgetLeader();
  NodeId leader_of(int index) const { return clients_[index].leader; }

  // The end of the run: whatever is still unanswered is counted.
  void Finish();
  const ClientStats& stats() const { return stats_; }

  // Every request sent so far, as the linearizability checker reads it
  // (analysis/history.h): one operation per MID, a re-send being a new one.
  History history() const;
  // Every request generated so far, in schedule order.
  std::vector<RequestTiming> request_timings() const;

 private:
  struct Planned {
    Micros due = 0;
    bool is_get = false;
    uint64_t draw = 0;  // picks the client
  };
  struct Client {
    NodeId id = kNoNode;
    NodeId leader = kNoNode;
    // Keys this client created whose put was answered ok, in the order
    // they were first acknowledged, and their last acknowledged values.
    std::vector<std::string> keys;
    std::map<std::string, std::string> acked;
  };
  struct Request {
    int client = 0;
    bool is_get = false;
    std::string key;
    std::string value;
    Micros first_sent = kNever;
    Micros ok_at = kNever;
  };
  enum class MidState { kOutstanding, kOk, kRedirected, kFailed };
  struct Mid {
    int request = 0;
    Micros sent = 0;
    MidState state = MidState::kOutstanding;
    size_t op = 0;  // index into ops_
  };

  std::string RandomHex(size_t n);
  std::string NewMid();
  NodeId PickTarget(NodeId preferred, const Hub& hub);
  Message Send(int request, NodeId target, Micros now);
  void Incorrect(const std::string& why);

  int replicas_;
  std::vector<Planned> schedule_;
  std::vector<Client> clients_;
  std::vector<Request> requests_;
  std::map<std::string, Mid> mids_;
  std::vector<Operation> ops_;  // in the order sent
  Rng keys_rng_;
  Rng target_rng_;
  ClientStats stats_;
};

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_CLIENTS_H_

#ifndef STEPWISE_REPLICA_TESTING_KV_CLIENT_H_
#define STEPWISE_REPLICA_TESTING_KV_CLIENT_H_

// Clients that behave like the harness's: one request at a time each, sent
// to the believed leader (else a random living replica), re-sent with a new
// MID after a redirect or fail, and every reply checked the way the harness
// checks it (answered at most once, gets see the last acknowledged put).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "replica/rng.h"
#include "replica/testing/process_hub.h"
#include "replica/types.h"

namespace stepwise::hub {

struct ClientTotals {
  uint64_t requests_sent = 0;  // every attempt, each with its own MID
  uint64_t oks = 0;
  uint64_t redirects = 0;
  uint64_t fails = 0;
  // Send to reply, for every reply (as the harness's latency metric).
  std::vector<int64_t> reply_micros;
  // First send to the ok, for every finished operation.
  std::vector<int64_t> operation_micros;
};

class KvClients {
 public:
  KvClients(Hub* hub, std::vector<NodeId> clients, uint64_t seed);

  // Starts a put (or get) for an idle client. The first attempt goes to
  // `target` if given, else where the client would send it; retries go
  // where the replies point.
  void StartPut(NodeId client, const std::string& key, const std::string& value,
                NodeId target = kNoNode);
  void StartGet(NodeId client, const std::string& key, NodeId target = kNoNode);
  bool Idle(NodeId client) const;
  bool AllIdle() const;

  // Handles every reply the hub has collected for our clients.
  void ProcessReplies();
  // Pumps the hub (handling replies) until every client is idle or the
  // deadline passes. Returns whether all are idle.
  bool RunUntilIdle(Clock::time_point deadline);
  // Pumps for a while, still checking replies (late duplicates show up).
  void Linger(milliseconds duration);

  // As the harness after kill_leader: clients forget the leader.
  void ForgetLeader();

  // 32-character keys (unique per client) and 32-hex-digit values.
  std::string NewKey(NodeId client);
  std::string NewValue();

  // Keys the client has had a put acknowledged for, with that value.
  const std::map<std::string, std::string>& acknowledged(NodeId client) const;
  // The value of the client's last finished get.
  const std::optional<std::string>& last_get_value(NodeId client) const;
  // The leader the client last learned from a reply.
  NodeId believed_leader(NodeId client) const;

  // Every breach of the client rules, in words. Empty if all was well.
  const std::vector<std::string>& errors() const { return errors_; }
  // Second ok replies to one MID: scored by the harness, not incorrect.
  int duplicates() const { return duplicates_; }
  const ClientTotals& totals() const { return totals_; }

 private:
  struct Operation {
    bool is_get = false;
    std::string key;
    std::string value;
    Clock::time_point started;
  };
  struct Client {
    NodeId id = kNoNode;
    NodeId leader = kNoNode;
    std::optional<Operation> operation;
    std::string mid;  // of the attempt in flight
    Clock::time_point sent;
    uint64_t next_mid = 0;
    uint64_t next_key = 0;
    std::map<std::string, std::string> acknowledged;
    std::optional<std::string> last_get_value;
  };
  struct MidRecord {
    NodeId client = kNoNode;
    bool answered = false;
    bool answered_ok = false;
  };

  void SendAttempt(Client& client, NodeId target = kNoNode);
  void HandleReply(const ClientBound& reply);
  Client& Find(NodeId client);
  const Client& Find(NodeId client) const;

  Hub* hub_;
  Rng rng_;
  std::vector<Client> clients_;
  std::map<std::string, MidRecord> mids_;
  std::vector<std::string> errors_;
  int duplicates_ = 0;
  ClientTotals totals_;
};

// Median and maximum of a sample, for reports ("n=.. median=..us max=..us").
std::string Summarize(std::vector<int64_t> micros);

}  // namespace stepwise::hub

#endif  // STEPWISE_REPLICA_TESTING_KV_CLIENT_H_

#include "replica/testing/kv_client.h"

#include <algorithm>
#include <cstdio>

namespace stepwise::hub {
namespace {

using json = nlohmann::json;

int64_t MicrosBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from)
      .count();
}

}  // namespace

KvClients::KvClients(Hub* hub, std::vector<NodeId> clients, uint64_t seed)
    : hub_(hub), rng_(seed) {
  for (NodeId id : clients) {
    Client client;
    client.id = id;
    clients_.push_back(std::move(client));
  }
}

KvClients::Client& KvClients::Find(NodeId id) {
  for (Client& client : clients_) {
    if (client.id == id) return client;
  }
  return clients_.front();  // tests name only their own clients
}

const KvClients::Client& KvClients::Find(NodeId id) const {
  return const_cast<KvClients*>(this)->Find(id);
}

std::string KvClients::NewKey(NodeId id) {
  Client& client = Find(id);
  char key[40];
  snprintf(key, sizeof(key), "key-%s-%023llu", FormatNodeId(id).c_str(),
           static_cast<unsigned long long>(client.next_key++));
  return key;
}

std::string KvClients::NewValue() {
  char value[40];
  snprintf(value, sizeof(value), "%016llX%016llX",
           static_cast<unsigned long long>(rng_.Next()),
           static_cast<unsigned long long>(rng_.Next()));
  return value;
}

void KvClients::StartPut(NodeId id, const std::string& key,
                         const std::string& value, NodeId target) {
  Client& client = Find(id);
  client.operation = Operation{false, key, value, Clock::now()};
  SendAttempt(client, target);
}

void KvClients::StartGet(NodeId id, const std::string& key, NodeId target) {
  Client& client = Find(id);
  client.operation = Operation{true, key, "", Clock::now()};
  SendAttempt(client, target);
}

bool KvClients::Idle(NodeId id) const { return !Find(id).operation; }

bool KvClients::AllIdle() const {
  return std::all_of(clients_.begin(), clients_.end(),
                     [](const Client& c) { return !c.operation; });
}

void KvClients::ForgetLeader() {
  for (Client& client : clients_) client.leader = kNoNode;
}

const std::map<std::string, std::string>& KvClients::acknowledged(
    NodeId id) const {
  return Find(id).acknowledged;
}

const std::optional<std::string>& KvClients::last_get_value(NodeId id) const {
  return Find(id).last_get_value;
}

NodeId KvClients::believed_leader(NodeId id) const { return Find(id).leader; }

void KvClients::SendAttempt(Client& client, NodeId target) {
  if (target == kNoNode) target = client.leader;
  if (!hub_->IsAlive(target)) {
    std::vector<NodeId> living = hub_->LivingReplicas();
    if (living.empty()) {
      errors_.push_back("no living replica to send to");
      client.operation.reset();
      return;
    }
    target = living[rng_.Uniform(0, static_cast<int64_t>(living.size()) - 1)];
  }
  char mid[20];
  snprintf(mid, sizeof(mid), "%s%012llX", FormatNodeId(client.id).c_str(),
           static_cast<unsigned long long>(client.next_mid++));
  client.mid = mid;
  client.sent = Clock::now();
  mids_[client.mid] = MidRecord{client.id, false};

  const Operation& operation = *client.operation;
  json request = {{"src", FormatNodeId(client.id)},
                  {"dst", FormatNodeId(target)},
                  {"leader", FormatNodeId(client.leader)},
                  {"type", operation.is_get ? "get" : "put"},
                  {"MID", client.mid},
                  {"key", operation.key}};
  if (!operation.is_get) request["value"] = operation.value;
  ++totals_.requests_sent;
  if (hub_->SendFromClient(target, request) != 0) {
    errors_.push_back("could not send " + client.mid + " to " +
                      FormatNodeId(target));
  }
}

void KvClients::ProcessReplies() {
  std::deque<ClientBound>& inbox = hub_->client_inbox();
  while (!inbox.empty()) {
    ClientBound reply = std::move(inbox.front());
    inbox.pop_front();
    HandleReply(reply);
  }
}

void KvClients::HandleReply(const ClientBound& reply) {
  const json& message = reply.json;
  std::string text = message.dump();
  if (!message.contains("MID") || !message["MID"].is_string()) {
    errors_.push_back("reply without a MID: " + text);
    return;
  }
  std::string mid = message["MID"].get<std::string>();
  std::string type = message["type"].get<std::string>();
  auto record = mids_.find(mid);
  if (record == mids_.end() || record->second.client != reply.client) {
    errors_.push_back("reply to a MID never sent by that client: " + text);
    return;
  }
  if (record->second.answered) {
    // As the harness scores it: a second ok after an ok is a duplicate (a
    // new leader may answer an entry its killed predecessor had answered);
    // any other second reply is incorrect.
    if (type == "ok" && record->second.answered_ok) {
      ++duplicates_;
    } else {
      errors_.push_back("second reply to " + mid + ": " + text);
    }
    return;
  }
  record->second.answered = true;
  record->second.answered_ok = type == "ok";

  Client& client = Find(reply.client);
  if (mid != client.mid || !client.operation) {
    errors_.push_back("reply to a MID no longer in flight: " + text);
    return;
  }
  totals_.reply_micros.push_back(MicrosBetween(client.sent, reply.received));
  NodeId leader = kNoNode;
  if (message.contains("leader") && IsWireId(message["leader"])) {
    ParseNodeId(message["leader"].get<std::string>(), &leader);
  }
  client.leader = leader;

  Operation& operation = *client.operation;
  if (type == "redirect" || type == "fail") {
    ++(type == "fail" ? totals_.fails : totals_.redirects);
    SendAttempt(client);
    return;
  }
  if (type != "ok") {
    errors_.push_back("reply of unknown type: " + text);
    return;
  }
  ++totals_.oks;
  if (operation.is_get) {
    if (!message.contains("value") || !message["value"].is_string()) {
      errors_.push_back("get ok without a value: " + text);
    } else {
      std::string value = message["value"].get<std::string>();
      auto acked = client.acknowledged.find(operation.key);
      std::string expected =
          acked == client.acknowledged.end() ? "" : acked->second;
      if (value != expected) {
        errors_.push_back("get " + operation.key + " returned \"" + value +
                          "\", the last acknowledged put was \"" + expected +
                          "\"");
      }
      client.last_get_value = value;
    }
  } else {
    client.acknowledged[operation.key] = operation.value;
  }
  totals_.operation_micros.push_back(
      MicrosBetween(operation.started, reply.received));
  client.operation.reset();
}

bool KvClients::RunUntilIdle(Clock::time_point deadline) {
  ProcessReplies();
  return hub_->PumpUntil(deadline, [this] {
    ProcessReplies();
    return AllIdle();
  });
}

void KvClients::Linger(milliseconds duration) {
  hub_->PumpUntil(Clock::now() + duration, [this] {
    ProcessReplies();
    return false;
  });
}

std::string Summarize(std::vector<int64_t> micros) {
  if (micros.empty()) return "n=0";
  std::sort(micros.begin(), micros.end());
  size_t n = micros.size();
  int64_t median =
      n % 2 == 1 ? micros[n / 2] : (micros[n / 2 - 1] + micros[n / 2]) / 2;
  return "n=" + std::to_string(n) + " min=" + std::to_string(micros.front()) +
         "us median=" + std::to_string(median) + "us p90=" +
         std::to_string(micros[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1]) +
         "us max=" + std::to_string(micros.back()) + "us";
}

}  // namespace stepwise::hub

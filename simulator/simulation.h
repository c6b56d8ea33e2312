#ifndef STEPWISE_SIMULATOR_SIMULATION_H_
#define STEPWISE_SIMULATOR_SIMULATION_H_

// The virtual-time run: N replicas stepped directly (no JSON, no sockets),
// the hub as the single serial server it is in the harness, the eight
// clients, the faults, all on one event queue. The same scenario and seed
// always give the same run, event for event.
//
// Timing (README.md, "Latency model"): every datagram takes a hop
// (hop_us + jitter) to the hub, waits for the hub in FIFO order, costs it
// hub_us (client_send_us for a request it makes), then takes a hop to its
// destination. A replica handles one datagram or timer at a time, each
// costing replica_us, and its output leaves when that work ends.

#include <cstdint>
#include <deque>
#include <memory>
#include <ostream>
#include <vector>

#include "replica/rng.h"
#include "simulator/clients.h"
#include "simulator/event_queue.h"
#include "simulator/faults.h"
#include "simulator/hub.h"
#include "simulator/node.h"
#include "simulator/report.h"
#include "simulator/scenario.h"
#include "simulator/trace.h"

namespace stepwise::sim {

class Simulation {
 public:
  // `trace` and `observer` may be null. The observer sees every replica
  // after every step; its first finding stops the run.
  Simulation(const Scenario& scenario, uint64_t seed, NodeFactory factory,
             std::ostream* trace, StepObserver* observer = nullptr);

  RunResult Run();

  uint64_t events_run() const { return queue_.events_run(); }
  const Hub& hub() const { return hub_; }
  const Clients& clients() const { return clients_; }

 private:
  struct Job {
    bool tick = false;
    Message message;
  };
  struct Slot {
    std::unique_ptr<SimNode> node;
    bool running = false;  // started, not killed, not crashed
    bool busy = false;
    std::deque<Job> inbox;
    uint64_t wake_gen = 0;
    Micros wake_at = kNever;
    Micros last_tick = -1;
    Micros last_in = 0;  // FIFO per sender -> hub and hub -> receiver
    Micros last_out = 0;
    NodeView view;
  };
  struct HubJob {
    enum class Kind { kFromReplica, kRequest, kResend } kind;
    NodeId from = kNoNode;
    int request = -1;
    Message message;
  };

  Micros Hop();
  void StartReplica(NodeId id);
  void Emit(NodeId from, std::vector<Message> messages, Micros at);
  void HubArrive(HubJob job);
  void HubStartNext();
  void HubFinish(HubJob job);
  void RouteFromReplica(const HubJob& job);
  void DeliverTo(NodeId dst, const Message& m, Micros extra);
  void ReplicaArrive(NodeId id, Message m);
  void Wake(NodeId id, uint64_t gen);
  void ProcessNext(NodeId id);
  void AfterStep(NodeId id, Micros now);
  void UpdateWake(NodeId id, Micros now);
  void Crash(NodeId id, const char* what);
  void StopReplica(NodeId id);
  void ApplyFault(const FaultEvent& e);

  const Scenario scenario_;
  const uint64_t seed_;
  NodeFactory factory_;
  StepObserver* observer_;
  std::vector<SafetyFinding> findings_;
  Trace trace_;
  EventQueue queue_;
  Hub hub_;
  Clients clients_;
  Faults faults_;
  Rng latency_rng_;
  std::vector<Slot> slots_;
  std::deque<HubJob> hub_queue_;
  bool hub_busy_ = false;
  bool storm_ = false;
  std::vector<std::string> notes_;
};

// One run, start to end.
RunResult Simulate(const Scenario& scenario, uint64_t seed, NodeFactory factory,
                   std::ostream* trace = nullptr,
                   StepObserver* observer = nullptr);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_SIMULATION_H_

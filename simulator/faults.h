#ifndef STEPWISE_SIMULATOR_FAULTS_H_
#define STEPWISE_SIMULATOR_FAULTS_H_

// The scenario's events (kills, partitions, drops, and our extra kinds),
// applied to the hub and the clients. Which replica a kill or a partition
// picks comes from its own named stream. The driver (virtual or live) only
// has to stop the killed replicas.

#include <cstdint>
#include <string>
#include <vector>

#include "replica/rng.h"
#include "replica/types.h"
#include "simulator/clients.h"
#include "simulator/hub.h"
#include "simulator/scenario.h"

namespace stepwise::sim {

struct FaultOutcome {
  std::vector<NodeId> killed;
  std::vector<std::vector<NodeId>> sides;  // a new partition, for the trace
  std::string note;  // set when the event could not do what it names
};

class Faults {
 public:
  Faults(const Scenario& scenario, uint64_t seed);

  // The scenario's events with the end of each timed latency spike added,
  // in time order (ties keep file order; an added end follows).
  const std::vector<FaultEvent>& timeline() const { return timeline_; }

  FaultOutcome Apply(const FaultEvent& event, Hub& hub, Clients& clients);

 private:
  std::vector<NodeId> MajorityWith(NodeId first, int replicas);

  std::vector<FaultEvent> timeline_;
  Rng kill_rng_;
  Rng partition_rng_;
};

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_FAULTS_H_

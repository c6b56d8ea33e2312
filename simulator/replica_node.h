#ifndef STEPWISE_SIMULATOR_REPLICA_NODE_H_
#define STEPWISE_SIMULATOR_REPLICA_NODE_H_

#include "replica/replica.h"
#include "simulator/node.h"

namespace stepwise::sim {

// stepwise::Replica as a SimNode, with the replica's default timing and a
// seed from the scenario. It also plays the UDP shim's part: the hello.
NodeFactory ReplicaNodeFactory();

// The replica's default configuration for the node `spec` describes.
ReplicaConfig SimReplicaConfig(const NodeSpec& spec);

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_REPLICA_NODE_H_

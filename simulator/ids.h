#ifndef STEPWISE_SIMULATOR_IDS_H_
#define STEPWISE_SIMULATOR_IDS_H_

// Who is who in a run, as the harness numbers them: replicas 0000, 0001, ...
// and eight clients from (replica count + 16) upward, e.g. 0015..001C for
// five replicas.

#include "replica/types.h"

namespace stepwise::sim {

inline constexpr int kNumClients = 8;

inline NodeId ClientId(int replicas, int index) {
  return static_cast<NodeId>(replicas + 16 + index);
}
inline bool IsReplicaId(int replicas, NodeId id) { return id < replicas; }
inline bool IsClientId(int replicas, NodeId id) {
  return id >= ClientId(replicas, 0) && id < ClientId(replicas, kNumClients);
}
inline int ClientIndex(int replicas, NodeId id) {
  return id - ClientId(replicas, 0);
}

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_IDS_H_

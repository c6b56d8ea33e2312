#ifndef STEPWISE_REPLICA_LINK_LOSS_H_
#define STEPWISE_REPLICA_LINK_LOSS_H_

// How many of the datagrams peers send us are lost on the way: a measure
// of the network's loss taken from every message, not only from the
// chain's (ChainDelivery).
//
// Every replica message carries `seq`, its sender's count of what it has
// sent to that receiver (Message::seq). A receiver that sees seq jump by
// more than one knows that many were lost in between. A jump longer than
// kMaxGap is an outage (a partition, or the sender cut off and back), not
// loss: at 30% drops four losses in a row come 0.8% of the time, and a
// partition loses every datagram for seconds. A dead sender shows no jump
// at all. So the counts measure random loss only, as the leader's choices
// that depend on it want. A datagram overtaken by a later one was counted
// lost and stays so: the harness's hub relays in order, and reordering
// would only make a network look lossier than it is (a batch more per put,
// never a put less safe).
//
// The counts halve once they reach 2 * kSpan, so that they follow a
// network whose loss changes; each replica reports its counts to the
// leader in its acknowledgements (AppendReply::link_arrived, link_lost),
// and the leader sums them with its own (LostPerMille). Integers only, so
// that traces replay byte for byte.

#include <cstddef>
#include <cstdint>
#include <map>

#include "replica/types.h"

namespace stepwise {

// Enough that a network losing 10% is taken for one losing more than
// 22.5% (a two-hop chain delivering below 60%) well under 0.1% of the time.
inline constexpr uint64_t kMinCounted = 100;

struct LinkCounts {
  uint64_t arrived = 0;
  uint64_t lost = 0;
};

// Whether `counts` could be a LinkLoss's: they halve before 2 * kSpan. A
// report of more is garbage, and summed it could overflow the estimate.
bool Plausible(const LinkCounts& counts);

// Per mille of the datagrams counted in `own` and `reported` together that
// were lost, or -1 if they number fewer than kMinCounted: too few to tell.
int LostPerMille(const LinkCounts& own,
                 const std::map<NodeId, LinkCounts>& reported);

// Whether, with `lost_per_mille` of datagrams lost, fewer than `percent` of
// a chain's appends would reach the end of `hops` hops.
bool DeliveryBelow(int lost_per_mille, size_t hops, int percent);

class LinkLoss {
 public:
  static constexpr uint64_t kMaxGap = 3;
  static constexpr uint64_t kSpan = 256;

  // A message numbered `seq` came from `peer` (0: not numbered, ignored).
  void Received(NodeId peer, uint64_t seq);
  const LinkCounts& counts() const { return counts_; }

 private:
  std::map<NodeId, uint64_t> last_seq_;
  LinkCounts counts_;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_LINK_LOSS_H_

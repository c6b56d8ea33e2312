#include "replica/link_loss.h"

namespace stepwise {

bool Plausible(const LinkCounts& counts) {
  return counts.arrived < 2 * LinkLoss::kSpan &&
         counts.lost < 2 * LinkLoss::kSpan &&
         counts.arrived + counts.lost < 2 * LinkLoss::kSpan;
}

int LostPerMille(const LinkCounts& own,
                 const std::map<NodeId, LinkCounts>& reported) {
  uint64_t arrived = own.arrived;
  uint64_t lost = own.lost;
  for (const auto& [peer, counts] : reported) {
    arrived += counts.arrived;
    lost += counts.lost;
  }
  if (arrived + lost < kMinCounted) return -1;
  return static_cast<int>(lost * 1000 / (arrived + lost));
}

bool DeliveryBelow(int lost_per_mille, size_t hops, int percent) {
  uint64_t delivered = 1000;  // per mille
  for (size_t hop = 0; hop < hops; ++hop) {
    delivered = delivered * static_cast<uint64_t>(1000 - lost_per_mille) / 1000;
  }
  return delivered < static_cast<uint64_t>(percent) * 10;
}

void LinkLoss::Received(NodeId peer, uint64_t seq) {
  if (seq == 0) return;
  uint64_t& last = last_seq_[peer];
  // A late or repeated datagram tells nothing new.
  if (seq <= last) return;
  const uint64_t gap = seq - last - 1;
  // The first we hear of a peer starts its count: what it sent before we
  // listened is no loss of ours.
  const bool first = last == 0;
  last = seq;
  if (first) return;
  if (gap <= kMaxGap) counts_.lost += gap;
  ++counts_.arrived;
  if (counts_.arrived + counts_.lost >= 2 * kSpan) {
    counts_.arrived /= 2;
    counts_.lost /= 2;
  }
}

}  // namespace stepwise

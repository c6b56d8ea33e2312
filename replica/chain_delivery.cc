#include "replica/chain_delivery.h"

#include <algorithm>

namespace stepwise {

void ChainDelivery::Reset() {
  tails_.clear();
  samples_.clear();
  window_sent_ = 0;
  window_received_ = 0;
}

void ChainDelivery::Sent(NodeId tail, Micros sent_at) {
  Tail& t = tails_[tail];
  if (t.sent == 0) {
    // Its count started at 0 with the term, as ours: the first
    // acknowledgement is a sample already.
    t.has_base = true;
    t.base_at = sent_at - 1;
  }
  ++t.sent;
  t.sends.push_back(Send{sent_at, t.sent});
  if (t.sends.size() > kSendsKept) t.sends.pop_front();
}

void ChainDelivery::Acknowledged(NodeId tail, Micros sent_at,
                                 uint64_t received) {
  auto found = tails_.find(tail);
  if (found == tails_.end()) return;
  Tail& t = found->second;
  if (sent_at <= t.base_at) return;  // no later than one taken already
  // The latest send at that time: two at one instant both count as gone.
  auto send =
      std::find_if(t.sends.rbegin(), t.sends.rend(),
                   [sent_at](const Send& s) { return s.at == sent_at; });
  if (send == t.sends.rend()) return;  // not down a chain, or long forgotten
  const uint64_t sent = send->count;
  const bool sample = t.has_base && sent_at - t.base_at <= kMaxSpan &&
                      received >= t.base_received && sent > t.base_sent;
  if (sample) {
    const uint64_t went = sent - t.base_sent;
    // More than went cannot have arrived; a count that says so is from a
    // confused or hostile tail, and is capped rather than trusted.
    const uint64_t came = std::min(received - t.base_received, went);
    const uint64_t cap = 4 * kWindow;  // one sample never swamps the window
    Sample s{static_cast<int>(std::min(went, cap)),
             static_cast<int>(std::min(came, cap))};
    samples_.push_back(s);
    window_sent_ += s.sent;
    window_received_ += s.received;
    while (window_sent_ - samples_.front().sent >= kWindow) {
      window_sent_ -= samples_.front().sent;
      window_received_ -= samples_.front().received;
      samples_.pop_front();
    }
  }
  t.has_base = true;
  t.base_at = sent_at;
  t.base_sent = sent;
  t.base_received = received;
}

void ChainDelivery::Disrupted() {
  // The next base is an acknowledgement of an append sent after this.
  for (auto& [tail, t] : tails_) {
    t.has_base = false;
    if (!t.sends.empty()) t.base_at = std::max(t.base_at, t.sends.back().at);
  }
}

bool ChainDelivery::Below(int numerator, int denominator) const {
  if (window_sent_ < kMinSent) return false;
  return static_cast<int64_t>(window_received_) * denominator <
         static_cast<int64_t>(window_sent_) * numerator;
}

bool ChainDelivery::AtLeast(int numerator, int denominator) const {
  if (window_sent_ < kMinSent) return false;
  return !Below(numerator, denominator);
}

}  // namespace stepwise

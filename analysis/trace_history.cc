#include "analysis/trace_history.h"

#include <utility>

namespace stepwise::analysis {

void TraceHistoryBuilder::Add(const TraceEvent& e) {
  h_.end_t = e.t;
  switch (e.kind) {
    case EventKind::kRequest: {
      Pending p;
      p.op.id = ops_.size();
      p.op.client = static_cast<NodeId>(e.msg.src);
      p.op.kind =
          e.msg.type == "put" ? Operation::Kind::kPut : Operation::Kind::kGet;
      p.op.key = e.msg.key;
      if (p.op.kind == Operation::Kind::kPut) p.op.value = e.msg.value;
      p.op.invoke = e.t;
      p.op.complete = kNever;
      p.op.outcome = Operation::Outcome::kUnknown;
      by_mid_[e.msg.mid] = ops_.size();
      h_.mids.push_back(e.msg.mid);
      ops_.push_back(std::move(p));
      break;
    }
    case EventKind::kRequestLost: {
      auto it = by_mid_.find(e.msg.mid);
      if (it != by_mid_.end()) ops_[it->second].lost = true;
      break;
    }
    case EventKind::kReply: {
      auto it = by_mid_.find(e.msg.mid);
      const std::string& type = e.msg.type;
      if (it == by_mid_.end() ||
          (type != "ok" && type != "redirect" && type != "fail")) {
        break;
      }
      Pending& p = ops_[it->second];
      // Only the first reply counts, and only at the client that asked: a
      // later one is a duplicate or incorrect, and changes nothing.
      if (p.answered || e.msg.dst != p.op.client) break;
      p.answered = true;
      p.op.complete = e.t;
      if (type == "ok") {
        p.op.outcome = Operation::Outcome::kOk;
        // An ok without a value read the key as absent. (The client's own
        // check may have called it incorrect: that is what the checker is
        // for.)
        if (p.op.kind == Operation::Kind::kGet) {
          p.op.value = e.msg.has_value ? e.msg.value : "";
        }
      }
      break;
    }
    default:
      break;
  }
}

TraceHistory TraceHistoryBuilder::Finish() {
  for (Pending& p : ops_) {
    const bool ok = p.op.outcome == Operation::Outcome::kOk;
    if (p.lost && !p.answered) {
      ++h_.lost;
      continue;
    }
    if (p.op.kind == Operation::Kind::kGet) {
      if (!ok) {
        ++h_.gets_left_out;
        continue;
      }
      ++h_.gets_ok;
    } else {
      ++(ok ? h_.puts_ok : h_.puts_unknown);
    }
    h_.history.operations.push_back(std::move(p.op));
  }
  ops_.clear();
  by_mid_.clear();
  return std::move(h_);
}

TraceHistory BuildTraceHistory(const std::vector<TraceEvent>& events) {
  TraceHistoryBuilder builder;
  for (const TraceEvent& e : events) builder.Add(e);
  return builder.Finish();
}

}  // namespace stepwise::analysis

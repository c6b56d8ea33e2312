// Which replica answers a put's client, and knowing that it did. A get put
// in the log (reads.cc) is answered the same way, with its value.
//
// Every put entry has one answerer, chosen by the leader that appended it:
// the tail of its chain (leader.cc), which is the first to know the entry
// committed. The leader sends the answerer of each entry along with it, and
// every replica remembers it. A replica answers exactly the entries it is
// the answerer of, when it applies them: each replica applies each entry
// once, so a put gets one ok, whichever replica applies it first and
// whoever leads by then. A new leader does not answer the entries of an
// earlier term it commits (their answerer does, when the commit reaches
// it), so losing a leader costs no duplicate; an entry with no known
// answerer is answered by the leader that applies it.
//
// The leader must also know when a put was answered. A get must not return
// a value that its client was not yet told is stored (the harness checks
// each get against the last put answered ok), nor miss one it was told
// about; so a get on a key with a put not known to be answered goes
// through the log (reads.cc). A follower's reply carries its commit index:
// every entry it answers up to there is answered. If an answerer stays silent
// for answer_takeover, the leader answers in its place. That is a duplicate if
// the answerer had answered and was then cut off before telling anyone,
// which is why the wait is longer than a partition is expected to last: an
// unanswered put whose value a later get returns would fail the run.
//
// The puts and gets of one key are answered in log order, or a client would
// expect the older value: a new entry goes to the answerer of an earlier
// entry of its key that is not known to be answered yet
// (AnswererForNewEntry).
//
// The leader sends `confirmed` (every put up to there was answered) so that
// the next leader knows which puts it has to watch.

#include <algorithm>
#include <map>
#include <vector>

#include "replica/replica.h"

namespace stepwise {

NodeId Replica::AnswererOf(LogIndex index) const {
  auto it = answerer_.find(index);
  return it == answerer_.end() ? kNoNode : it->second;
}

void Replica::NoteAnswerers(LogIndex first,
                            const std::vector<NodeId>& answerers,
                            size_t count) {
  for (size_t i = 0; i < count && i < answerers.size(); ++i) {
    if (answerers[i] != kNoNode) answerer_[first + i] = answerers[i];
  }
}

void Replica::AnswerOnApply(LogIndex index, const LogEntry& entry, Micros now) {
  (void)now;
  if (entry.is_noop() || entry.client == kNoNode) return;
  NodeId answerer = AnswererOf(index);
  if (answerer == kNoNode && role_ == Role::kLeader) {
    answerer = config_.id;
    answerer_[index] = answerer;
  }
  if (answerer != config_.id) return;
  AnswerEntry(index, entry);
  unconfirmed_.erase(index);
}

void Replica::AnswerEntry(LogIndex index, const LogEntry& entry) {
  if (!entry.is_get) {
    Reply(entry.client, entry.mid, ReplyKind::kOk);
    return;
  }
  Reply(entry.client, entry.mid, ReplyKind::kOk, ValueAt(index, entry.key));
}

void Replica::TrackUnconfirmed(Micros now) {
  // As a new leader: every put the last leader did not confirm may still be
  // owed its answer.
  unconfirmed_.clear();
  for (LogIndex i = confirmed_ + 1; i <= log_.last_index(); ++i) {
    const LogEntry& entry = log_.at(i);
    if (entry.is_noop() || entry.client == kNoNode) continue;
    NodeId answerer = AnswererOf(i);
    if (answerer == kNoNode) {
      answerer = config_.id;
      answerer_[i] = answerer;
      if (i <= applied_index_) {
        // Applied while nobody was known to answer it: nobody did.
        AnswerEntry(i, entry);
        continue;
      }
    }
    if (answerer == config_.id && i <= applied_index_) continue;  // answered
    unconfirmed_[i] = now;
  }
}

void Replica::ConfirmAnswers(NodeId peer, LogIndex commit) {
  FollowerProgress& p = progress_[peer];
  p.commit = std::max(p.commit, commit);
  for (auto it = unconfirmed_.begin();
       it != unconfirmed_.end() && it->first <= p.commit;) {
    if (AnswererOf(it->first) == peer) {
      it = unconfirmed_.erase(it);
    } else {
      ++it;
    }
  }
}

// When the leader answers in place of each answerer that owes answers: once
// it has been silent for answer_takeover since the oldest entry it owes was
// given it. Every entry it owes that we applied goes at once, in log order,
// so that the puts to one key stay answered in order.
//
// Only applied ones: the leader answers them on the spot. An entry not
// applied yet keeps its answerer. Were the leader to take it over to answer
// at apply time, the other replicas would not all learn it (those that
// already hold the entry are not sent it again), and a leader that loses
// its majority before then hands the entry on with a mix of old and new
// answerers: a later put to its key could then be answered, by us, before
// it is, by the old answerer. It is taken over once it applies here, which
// is as early as we could answer it anyway.
std::map<NodeId, Micros> Replica::TakeoverTimes() const {
  std::map<NodeId, Micros> oldest;
  for (const auto& [index, since] : unconfirmed_) {
    if (index > applied_index_) break;  // in log order
    NodeId answerer = AnswererOf(index);
    if (answerer == config_.id) continue;
    auto it = oldest.find(answerer);
    if (it == oldest.end() || since < it->second) oldest[answerer] = since;
  }
  for (auto& [answerer, at] : oldest) {
    auto p = progress_.find(answerer);
    if (p != progress_.end()) at = std::max(at, p->second.last_heard);
    at += config_.answer_takeover;
  }
  return oldest;
}

Micros Replica::NextTakeover() const {
  Micros next = kNever;
  for (const auto& [answerer, at] : TakeoverTimes()) next = std::min(next, at);
  return next;
}

void Replica::TakeOverSilentAnswerers(Micros now) {
  if (unconfirmed_.empty()) return;
  std::map<NodeId, Micros> times = TakeoverTimes();
  std::vector<LogIndex> taken;
  for (const auto& [index, since] : unconfirmed_) {
    if (index > applied_index_) break;  // keeps its answerer (TakeoverTimes)
    auto at = times.find(AnswererOf(index));
    if (at != times.end() && now >= at->second) taken.push_back(index);
  }
  if (taken.empty()) return;
  std::vector<NodeId> silent;
  for (LogIndex index : taken) {
    NodeId answerer = AnswererOf(index);
    if (std::find(silent.begin(), silent.end(), answerer) == silent.end()) {
      silent.push_back(answerer);
    }
    answerer_[index] = config_.id;
    AnswerEntry(index, log_.at(index));
    unconfirmed_.erase(index);
  }
  // What they owe that is not applied yet goes as soon as it is, unless we
  // hear from them by then.
  for (auto& [index, since] : unconfirmed_) {
    if (index > applied_index_ &&
        std::find(silent.begin(), silent.end(), AnswererOf(index)) !=
            silent.end()) {
      since = std::min(since, now - config_.answer_takeover);
    }
  }
  ServeWaitingGets(now);
}

LogIndex Replica::ConfirmedThrough() const {
  return unconfirmed_.empty() ? log_.last_index()
                              : unconfirmed_.begin()->first - 1;
}

bool Replica::KeyUnconfirmed(const std::string& key) const {
  for (const auto& [index, since] : unconfirmed_) {
    const LogEntry& entry = log_.at(index);
    if (entry.is_put() && entry.key == key) return true;
  }
  // Answered but not applied here yet: our state machine lags the client.
  for (LogIndex i = applied_index_ + 1; i <= log_.last_index(); ++i) {
    const LogEntry& entry = log_.at(i);
    if (entry.is_put() && entry.key == key) return true;
  }
  return false;
}

NodeId Replica::AnswererForNewEntry(const std::string& key) const {
  // The client checks each get against the put it was told "ok" last, so
  // the puts and gets of one key must be answered in log order. Two
  // answerers could get that wrong (the first one slow, or cut off); one
  // answers in order.
  for (auto it = unconfirmed_.rbegin(); it != unconfirmed_.rend(); ++it) {
    if (log_.at(it->first).key == key) return AnswererOf(it->first);
  }
  return chain_.empty() ? config_.id : chain_.back();
}

}  // namespace stepwise

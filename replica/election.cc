// Leader election: PreVote, RequestVote and CheckQuorum (Raft §5.2, §5.4.1
// and the thesis §9.6).

#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "replica/replica.h"

namespace stepwise {
namespace {

// How many times a candidate's round that nobody refused goes on
// (ExtendRound).
constexpr int kMaxRoundExtensions = 3;

// The term its sender was in when it sent a message, where the message
// says so; 0 where it does not (a granted pre-vote echoes the campaign's
// term; a pre-vote for term 0 is malformed).
Term SenderTerm(const VoteRequest& m) {
  if (!m.pre_vote) return m.term;
  return m.term == 0 ? 0 : m.term - 1;
}

Term SenderTerm(const MessageBody& body) {
  if (const auto* m = std::get_if<VoteRequest>(&body)) return SenderTerm(*m);
  if (const auto* m = std::get_if<VoteReply>(&body)) {
    return m->pre_vote ? 0 : m->term;
  }
  if (const auto* m = std::get_if<AppendEntries>(&body)) return m->term;
  if (const auto* m = std::get_if<AppendReply>(&body)) return m->term;
  return 0;
}

}  // namespace

// The lease rule. A replica that heard from a leader within
// election_timeout_min refuses to help elect anybody else. This is what lets
// a replica that was cut off come back without deposing a healthy leader,
// and what makes the leader lease of reads.cc safe: a new leader needs a
// vote from some replica of the old leader's lease quorum, and that replica
// will not vote until election_timeout_min after it last heard from the old
// leader. It is deliberately not tied to leader_: a term bump from a stray
// message forgets the leader but must not shorten the promise. A leader
// with no clients, which announced a quiet spell (quiet_for), gets that much
// longer: refusing longer only makes the lease safer, and it keeps a
// follower that missed a keepalive from electing anybody meanwhile.
bool Replica::HeardFromLeaderRecently(Micros now) const {
  if (role_ == Role::kLeader) return true;
  return last_heard_from_leader_ >= 0 &&
         now - last_heard_from_leader_ <
             config_.election_timeout_min +
                 (leader_idle_ ? leader_quiet_for_ : 0);
}

void Replica::HoldToLease(NodeId leader, Micros now) {
  last_heard_from_leader_ = now;
  lease_leader_ = leader;
  lease_term_ = term_;
}

// The promise protects the reads the leader serves from its lease, and a
// leader serves none once it has stepped down. So word from the leader we
// promised, sent in a later term than the one it led and not naming itself
// leader, frees us at once: it no longer leads, nor will again in that
// term. Without this, an idle leader deposed by a stray candidate's term
// left its followers refusing every campaign for the quiet spell it had
// announced (up to four seconds), with nobody leading: clients that came
// meanwhile waited it out (advanced-3 seed 2635, 30% drops: the first put
// was answered 3.5 s after it was sent, and too many of the first gets
// found no key of their own to read, which fails the run).
void Replica::ReleaseLeaseOfDeposedLeader(const Message& message) {
  if (message.src != lease_leader_ || message.src == config_.id) return;
  if (message.leader == message.src) return;
  if (SenderTerm(message.body) <= lease_term_) return;
  last_heard_from_leader_ = -1;
  lease_leader_ = kNoNode;
}

void Replica::StartPreVote(Micros now) {
  // PreVote (thesis §9.6): ask first whether we could win, without touching
  // anyone's term, so a replica that cannot win never disrupts the cluster.
  // A pre-vote round that ran out its timer with too few peers answering to
  // ever make a majority: we are likely cut off, and the next round waits
  // longer (ResetElectionTimer), so as not to keep spending messages on
  // campaigns nobody hears. (Voters that heard from a leader refuse without
  // a word, so this also backs off while a leader is alive.)
  const bool campaigning =
      role_ == Role::kPreCandidate || role_ == Role::kCandidate;
  last_round_answers_ =
      campaigning ? static_cast<int>(vote_answers_.size()) : 0;
  if (role_ == Role::kPreCandidate && !MajorityReachable(now)) {
    failed_campaigns_ = std::min(failed_campaigns_ + 1, 8);
  }
  // A pre-vote grant still stands in our next round if it is recent: still
  // a pre-candidate, we have the same term and log as when it was given
  // (a newer term or an append would have made us a follower). With exactly
  // a majority alive, a round needs a grant from every one of them; on a
  // lossy network the most up-to-date replica, the only one they can all
  // grant, may gather them over several rounds but rarely within one. The
  // real vote that follows asks each voter afresh (and a voter that heard
  // from a leader meanwhile refuses it), so this risks no safety, and
  // grants no older than two rounds disturb no leader that came back.
  if (role_ != Role::kPreCandidate) {
    pre_vote_grants_.clear();
    voter_log_ends_.clear();
  }
  std::erase_if(pre_vote_grants_, [&](const auto& grant) {
    return now - grant.second > 2 * config_.election_timeout_max;
  });
  role_ = Role::kPreCandidate;
  rounds_extended_ = 0;
  round_won_at_ = kNever;
  leader_ = kNoNode;
  votes_.assign(1, config_.id);
  vote_answers_.clear();
  for (const auto& [peer, at] : pre_vote_grants_) {
    votes_.push_back(peer);
    vote_answers_.push_back(peer);
  }
  ++stats_.elections_started;
  ResetElectionTimer(now);
  if (static_cast<int>(votes_.size()) >= quorum()) {
    StartElection(now);
    return;
  }
  vote_sends_ = 0;
  SendVoteRequests(now);
}

// A (pre)vote round that ran out its timer with some grants, but not
// enough, goes on in the same term, asking again only the peers that have
// not answered: on a lossy network every grant was hard to get, and
// starting over would throw them away (a candidate's votes are durable for
// its term, and a pre-vote grant is rechecked by the real vote that
// follows). Once, if anybody refused us: two candidates splitting a term's
// votes must both give up for randomized timers to break the tie. A
// candidate that nobody refused goes on up to kMaxRoundExtensions times: no
// sign of a rival then, only of lost datagrams, and its pre-votes showed
// that a majority could hear it. (A pre-candidate needs no more: its grants
// carry into its next round, StartPreVote; and one cut off with a minority
// that grants it must not keep asking.)
// Only the peers we heard from lately count as ones that may still grant
// a refused round: after a partition healed, two candidates that split the
// four live votes of five both went on waiting for the dead fifth's, and
// stayed candidates for 4.3 s (fresh fuzz seed 3302680).
bool Replica::ExtendRound(Micros now) {
  if (role_ != Role::kPreCandidate && role_ != Role::kCandidate) return false;
  if (votes_.size() < 2) return false;
  const bool refused = vote_answers_.size() + 1 > votes_.size();
  const int limit =
      role_ == Role::kCandidate && !refused ? kMaxRoundExtensions : 1;
  if (rounds_extended_ >= limit) return false;
  int could_grant = static_cast<int>(votes_.size());
  for (NodeId peer : config_.peers) {
    if (std::find(vote_answers_.begin(), vote_answers_.end(), peer) ==
        vote_answers_.end()) {
      if (refused &&
          !HeardFromWithin(peer, 2 * config_.election_timeout_max, now)) {
        continue;
      }
      ++could_grant;
    }
  }
  if (could_grant < quorum()) return false;
  ++rounds_extended_;
  ResetElectionTimer(now);
  vote_sends_ = 0;
  SendVoteRequests(now);
  return true;
}

void Replica::StartElection(Micros now) {
  // A majority granted our pre-votes: we are not cut off, and our round is
  // not stretched as a cut-off pre-candidate's are (ResetElectionTimer).
  // Stretched, two candidates that split a term's votes after a partition
  // healed each waited out twice the election timeout (fuzz seed 3302680).
  failed_campaigns_ = 0;
  rounds_extended_ = 0;
  round_won_at_ = kNever;
  role_ = Role::kCandidate;
  leader_ = kNoNode;
  SetTerm(term_ + 1);
  SetVote(config_.id);
  votes_.assign(1, config_.id);
  ResetElectionTimer(now);
  if (static_cast<int>(votes_.size()) >= quorum()) {
    BecomeLeader(now);
    return;
  }
  vote_answers_.clear();
  vote_sends_ = 0;
  SendVoteRequests(now);
}

// To every peer that has not answered this round yet. A repeated request is
// harmless: a pre-vote changes nothing at the voter, and a voter grants its
// one vote of a term to the same candidate again. A voter that heard from
// its leader refuses without a word until election_timeout_min has passed,
// which is usually soon after we timed out ourselves: so we ask again. But
// a pre-candidate cut off with a minority hears nobody, so, unless a
// majority answered its last round or spoke to it lately, it waits 2, 4, 8
// and then 16 intervals before its successive tries.
void Replica::SendVoteRequests(Micros now) {
  const bool pre_vote = role_ == Role::kPreCandidate;
  const VoteRequest request{pre_vote ? term_ + 1 : term_, log_.last_index(),
                            log_.last_term(), pre_vote};
  // Cut off, a peer we have asked since we last heard from it is asked
  // again only after twice the interval, then four times: across rounds
  // too, since a minority's new round would otherwise ask the whole
  // silent majority at once, every election timeout, for the whole
  // partition. A peer that speaks is asked at the full pace again.
  const bool cut_off = pre_vote && !MajorityReachable(now);
  for (NodeId peer : config_.peers) {
    if (std::find(vote_answers_.begin(), vote_answers_.end(), peer) !=
        vote_answers_.end()) {
      continue;
    }
    UnansweredAsks& asks = unanswered_asks_[peer];
    if (cut_off && asks.count > 0 &&
        now - asks.last_at <
            (config_.vote_resend_interval
             << std::min(asks.count, config_.max_silent_peer_backoff))) {
      continue;
    }
    ++asks.count;
    asks.last_at = now;
    Send(peer, request);
  }
  // Cut off, the first repeat waits twice the interval: a minority's
  // campaigns are most of what a partition costs in messages.
  int backoff = 0;
  if (pre_vote && !MajorityReachable(now)) {
    backoff = std::min(vote_sends_ + 1, 4);
  }
  ++vote_sends_;
  next_vote_resend_ = now + (config_.vote_resend_interval << backoff);
}

bool Replica::HeardFromWithin(NodeId peer, Micros window, Micros now) const {
  auto heard = heard_from_.find(peer);
  return heard != heard_from_.end() && now - heard->second < window;
}

// Whether enough peers answered our last round, granted us this one (a
// carried grant too), or spoke to us within election_timeout_min, to make a
// majority with us. A replica cut off with a minority does not: its
// campaigns then back off and ask each peer only less and less often. On a
// lossy network that we can still hear, asking again is what gets a round
// through. The grants count because with exactly a majority alive every
// peer must be in it, and a grant that came a second ago, with nothing
// heard from that peer since, is no sign of a partition.
bool Replica::MajorityReachable(Micros now) const {
  int reachable = 1;  // ourselves
  for (NodeId peer : config_.peers) {
    if (HeardFromWithin(peer, config_.election_timeout_min, now) ||
        std::find(votes_.begin(), votes_.end(), peer) != votes_.end()) {
      ++reachable;
    }
  }
  return std::max(reachable, 1 + last_round_answers_) >= quorum();
}

void Replica::BecomeLeader(Micros now) {
  // The voters just answered us, in this order: the first ones make the
  // replication chain (votes_[0] is ourselves).
  std::vector<NodeId> voters(votes_.begin() + (votes_.empty() ? 0 : 1),
                             votes_.end());
  role_ = Role::kLeader;
  leader_ = config_.id;
  failed_campaigns_ = 0;
  round_won_at_ = kNever;
  votes_.clear();
  vote_answers_.clear();
  next_vote_resend_ = kNever;
  deferred_ack_.reset();
  ack_due_ = kNever;
  HoldToLease(config_.id, now);
  progress_.clear();
  for (NodeId peer : config_.peers) {
    progress_[peer].next_index = log_.last_index() + 1;
  }
  for (const auto& [voter, end] : voter_log_ends_) {
    StartAtLogEnd(voter, end.index, end.term);
  }
  voter_log_ends_.clear();
  for (NodeId voter : voters) progress_[voter].last_heard = now;
  chain_wait_ = ChainWait();
  chain_delivery_.Reset();
  last_put_sent_at_ = -1;
  put_batch_due_ = kNever;
  ack_wanted_since_ = kNever;
  led_since_ = now;
  BuildChain(voters);
  // A no-op of the new term: entries of earlier terms commit only once an
  // entry of this term does (§5.4.2), and reads wait for it (§8).
  term_start_index_ = log_.Append(LogEntry{term_, "", "", kNoNode, ""});
  NoteLogChange(term_start_index_);
  TrackUnconfirmed(now);
  // Everyone learns of the new leader at once, and answers: who is alive
  // decides the chain from here on.
  SendChain(now, /*ack_delay=*/0, /*allow_empty=*/true);
  for (NodeId peer : config_.peers) {
    if (!InChain(peer)) {
      SendAppend(peer, now, SendOptions{true, false, 0});
    }
  }
  MaybeAdvanceCommit(now);  // a single-replica cluster commits at once
  ReleaseHeldRequests(now);
}

void Replica::HandleVoteRequest(NodeId from, const VoteRequest& request,
                                Micros now) {
  const bool log_ok =
      log_.IsUpToDate(request.last_log_index, request.last_log_term);
  if (HeardFromLeaderRecently(now)) {
    // No grant and no term change: the candidate learns nothing it could
    // use to disrupt the leader. Mostly no reply either, which costs no
    // message; but a candidate behind us is told so, for if the leader is
    // dead, we hold entries it lacks, and it should wait for us
    // (CampaignAhead) rather than win with voters as far behind as it is.
    ++stats_.ignored_messages;
    if (role_ == Role::kLeader && (request.pre_vote || request.term <= term_)) {
      // A follower of ours campaigns: it has not heard from us for an
      // election timeout. An append, not a refusal, for the same one
      // message: it follows us again at once, learns our commit index (a
      // deposed leader among them gives back the puts that can never
      // commit) and answers, which starts its repair. It is alive: if we
      // took it for silent (leader.cc), no longer.
      progress_[from].asks_unanswered = 0;
      progress_[from].first_unanswered_ask_at = -1;
      StartAtLogEnd(from, request.last_log_index, request.last_log_term);
      SendAppend(from, now, SendOptions{true, false, 0});
    } else if (!log_ok) {
      Send(from, Ballot(term_, false, request.pre_vote, true));
      // Someone campaigns who lacks entries we hold: our leader is likely
      // dead (the candidate heard nothing from it for a whole timeout). We
      // campaign as soon as the lease rule lets us, not at our own timeout:
      // a follower off the chain waits lazy_interval longer, and the
      // candidate, once past its one standing aside (HandleVoteReply), wins
      // without us and our entries die with the old leader.
      election_deadline_ =
          std::min(election_deadline_,
                   last_heard_from_leader_ + config_.election_timeout_min +
                       (leader_idle_ ? leader_quiet_for_ : 0));
    }
    return;
  }
  const bool deferred = BehindRecentCampaigner(from, request, now);
  if (request.pre_vote) {
    // Granting a pre-vote changes nothing here: not the term, not the vote.
    bool granted = request.term > term_ && log_ok && !deferred;
    Send(from, Ballot(granted ? request.term : term_, granted, true, !log_ok));
    if (!log_ok) {
      TakeCampaignAsGrant(from, request, now);
      CampaignAhead(now);
    } else if (granted) {
      YieldToEqualRival(from, request, now);
    }
    return;
  }
  if (request.term < term_) {
    ++stats_.stale_messages;
    Send(from, Ballot(term_, false, false, false));
    return;
  }
  if (request.term > term_) BecomeFollower(request.term, kNoNode, now);
  // One vote per term (§5.2), only for an up-to-date log (§5.4.1).
  bool granted =
      (voted_for_ == kNoNode || voted_for_ == from) && log_ok && !deferred;
  if (granted) {
    SetVote(from);
    failed_campaigns_ = 0;
    ResetElectionTimer(now);
  }
  Send(from, Ballot(term_, granted, false, !log_ok));
  if (!log_ok) {
    TakeCampaignAsGrant(from, request, now);
    CampaignAhead(now);
  }
}

// Whether another campaigner, with a log more up-to-date than this
// request's, asked us within defer_to_longer_log; if not, this request is
// the one to remember. After a leader dies, the follower that holds its
// last put (a lazy batch, or the chain's head) may be the only one: it
// campaigns (CampaignAhead), but the others, behind it and as far behind
// as each other, would grant the first of them to ask, and the put would
// die. Refusing only ever costs time, and not much: the longer log is
// electable by everyone who would have elected the shorter one.
bool Replica::BehindRecentCampaigner(NodeId from, const VoteRequest& request,
                                     Micros now) {
  SeenCampaign& seen = best_campaign_seen_;
  const bool recent = seen.at >= 0 && seen.from != from &&
                      now - seen.at < config_.defer_to_longer_log;
  const bool behind =
      !AtLeastAsUpToDate(request.last_log_index, request.last_log_term,
                         seen.last_index, seen.last_term);
  if (recent && behind) return true;
  seen = SeenCampaign{from, request.last_log_index, request.last_log_term, now};
  return false;
}

// Asked for a vote by a candidate whose log is behind ours, with no leader
// heard from lately: the leader is likely gone, and an election is on.
// Raft lets that candidate win with the votes of replicas as far behind as
// it is, and our entries it lacks then die with the old leader: a put that
// reached the chain's head but not its tail would never be answered. So
// we campaign at once: a majority that would grant it grants us too, since
// our log is at least as up-to-date as theirs. The candidate stands aside
// for us if it hears of it in time (HandleVoteReply).
void Replica::CampaignAhead(Micros now) {
  if (role_ == Role::kFollower) StartPreVote(now);
}

// Two pre-candidates with the same log each grant the other's pre-vote, so
// both win their rounds and split the real vote: each voter grants whoever
// asks first, and nobody leads until randomized timers part them (a second
// or more). That is common after a leader dies, for the followers holding
// its last entries all campaign at once when the first one behind them
// does (CampaignAhead). So of two such rivals the one with the higher id
// stands aside, as for a longer log (HandleVoteReply), and only as often.
void Replica::YieldToEqualRival(NodeId from, const VoteRequest& request,
                                Micros now) {
  if (role_ != Role::kPreCandidate || from > config_.id) return;
  if (!AtLeastAsUpToDate(log_.last_index(), log_.last_term(),
                         request.last_log_index, request.last_log_term)) {
    return;
  }
  StandAside(now);
}

// Stops our campaign for another's, at most once per two
// election_timeout_max: should it be unable to win (cut off from the
// others), our next round goes on regardless.
void Replica::StandAside(Micros now) {
  if (stood_aside_at_ >= 0 &&
      now - stood_aside_at_ < 2 * config_.election_timeout_max) {
    return;
  }
  stood_aside_at_ = now;
  BecomeFollower(term_, kNoNode, now);
}

void Replica::HandleVoteReply(NodeId from, const VoteReply& reply, Micros now) {
  if (reply.term > term_ && !(reply.pre_vote && reply.granted)) {
    // Someone is ahead of us: a rejected pre-vote carries the voter's term.
    BecomeFollower(reply.term, kNoNode, now);
    return;
  }
  Role wanted = reply.pre_vote ? Role::kPreCandidate : Role::kCandidate;
  if (reply.log_ahead && !reply.granted && role_ == wanted) {
    // A live voter holds entries we lack (its refusal carries its own term,
    // which may be behind our round): we stand aside, so that it, or
    // another as far ahead, wins and they live (CampaignAhead). Only once
    // in a while (StandAside).
    StandAside(now);
    return;
  }
  Term round = reply.pre_vote ? term_ + 1 : term_;
  if (role_ != wanted || reply.term != round) {
    ++stats_.stale_messages;
    return;
  }
  voter_log_ends_[from] = LogEnd{reply.last_log_index, reply.last_log_term};
  CountAnswer(from, reply.granted, now);
}

// `from` answered our round; a pre-vote grant is also remembered for the
// next round (StartPreVote).
void Replica::CountAnswer(NodeId from, bool granted, Micros now) {
  if (std::find(vote_answers_.begin(), vote_answers_.end(), from) ==
      vote_answers_.end()) {
    vote_answers_.push_back(from);
  }
  if (granted) {
    if (std::find(votes_.begin(), votes_.end(), from) == votes_.end()) {
      votes_.push_back(from);
    }
    if (role_ == Role::kPreCandidate) pre_vote_grants_[from] = now;
  }
  MaybeWinRound(now);
}

// A peer behind us that campaigns would grant our pre-vote: it has heard
// from no leader for an election timeout (or it would not campaign), our
// log is ahead of its own, and our round's term is above its. So while we
// campaign, its request counts as its grant. With exactly a majority
// alive, the one survivor holding the last entries needs every other
// survivor's grant; on a network losing 37% each request and grant get
// through together only 40% of the time, and the grants came too seldom
// for a round: fuzz seed 3069978 (9 replicas, 5 alive) took 16 s to elect
// one, while the peer whose grants were lost asked it for its own vote
// again and again. The real vote that follows asks every voter afresh.
void Replica::TakeCampaignAsGrant(NodeId from, const VoteRequest& request,
                                  Micros now) {
  if (role_ != Role::kPreCandidate) return;
  if (SenderTerm(request) >= term_ + 1) return;
  CountAnswer(from, /*granted=*/true, now);
}

// With a majority of grants, the round is won once every peer answered or
// ballot_linger has passed since the majority was reached, whichever comes
// first. The wait is for a refusal with log_ahead: after a leader dies,
// the one replica that holds its last put (a lazy batch) is often asked
// last, and the others grant first; without the wait we would win and that
// put would die with the old leader. Dead peers never answer, so a round
// after a kill always waits the whole linger: a few milliseconds. (Nor
// does a pre-vote refusal count as an answer here: it carries the voter's
// own term, not the round's. Only one with log_ahead matters, and that
// one makes us stand aside above, whatever its term.)
void Replica::MaybeWinRound(Micros now) {
  if (role_ != Role::kPreCandidate && role_ != Role::kCandidate) return;
  if (static_cast<int>(votes_.size()) < quorum()) return;
  if (vote_answers_.size() < config_.peers.size()) {
    if (round_won_at_ == kNever) round_won_at_ = now + config_.ballot_linger;
    if (now < round_won_at_) return;
  }
  round_won_at_ = kNever;
  if (role_ == Role::kPreCandidate) {
    StartElection(now);
  } else {
    BecomeLeader(now);
  }
}

// CheckQuorum, on demand. A leader that asked for acknowledgements (to
// commit its puts and the gets in its log) and has not heard from a majority
// within quorum_timeout of when they were due may have been replaced on the
// other side of a partition: it steps down, so that clients go elsewhere. Due,
// not asked: on a lossy network the tail may wait ack_delay before it
// answers, and the leader only sends again once that answer is overdue
// (CheckChainStall), so counting from the asking would leave it less time
// to retry. A leader with nothing to ask keeps quiet and keeps its role: it
// serves nothing then (its lease needs fresh acknowledgements), and asking
// costs messages.
void Replica::CheckQuorum(Micros now) {
  if (ack_wanted_since_ == kNever || now < quorum_deadline_) return;
  StepDown(now);
}

// CheckQuorum's last chance. With exactly a majority alive on a network that
// loses much, every live follower must answer, and the stall's resends
// (CheckChainStall, leader.cc) come election_timeout_min / 4 apart; each
// needs two datagrams through, so a live follower stays unheard for all of
// a quorum_timeout now and then. The leader then steps down, and the
// election that follows on that network takes seconds: fuzz seeds 2699736,
// 2718216, 2752013, 2758187, 2773592 (4 to 8 replicas, 38-40% drops, a
// request answered 8.2 to 10.4 s after it was sent, or never). So in the
// last quorum_probe_window, the followers we still need are asked on their
// own every quorum_probe_interval: as many as make a majority with those
// heard, the ones heard from most recently first (the others are likelier
// dead). Not where the chain's appends are known to arrive
// (ChainDelivery): there a majority silent this long is cut off, as on the
// minority side of a partition, and each probe would be one more message
// counted and lost. Asked there too (all but a leader that LooksCutOff),
// advanced-4's runs above the message Bonus went from 755 to 844 of seeds
// 1-16,000. Fresh fuzz seeds 2,800,001-2,900,000: runs that waited over
// half the liveness bound 46 -> 11, failures 5 -> 1; the course configs
// barely reach it.
Micros Replica::NextQuorumProbe() const {
  if (ack_wanted_since_ == kNever) return kNever;
  return std::max(quorum_deadline_ - config_.quorum_probe_window,
                  last_quorum_probe_ + config_.quorum_probe_interval);
}

void Replica::ProbeForQuorum(Micros now) {
  if (now < NextQuorumProbe()) return;
  last_quorum_probe_ = now;
  if (chain_delivery_.AtLeast(config_.lossy_delivery_percent, 100)) return;
  std::vector<std::pair<Micros, NodeId>> unheard;  // last heard, peer
  for (const auto& [peer, p] : progress_) {
    if (p.acked_sent_at < ack_wanted_since_ && !Silent(peer)) {
      unheard.push_back({p.last_heard, peer});
    }
  }
  std::sort(unheard.begin(), unheard.end(), std::greater<>());
  const size_t needed =
      static_cast<size_t>(std::max(0, quorum() - HeardSinceAckWanted()));
  for (size_t i = 0; i < unheard.size() && i < needed; ++i) {
    SendAppend(unheard[i].second, now, SendOptions{true, false, 0});
  }
}

void Replica::NoteAckWanted(Micros now, Micros ack_delay) {
  if (ack_wanted_since_ != kNever) return;
  ack_wanted_since_ = now;
  quorum_deadline_ = now + ack_delay + config_.quorum_timeout;
}

int Replica::HeardSinceAckWanted() const {
  int heard = 1;  // ourselves
  for (const auto& [peer, p] : progress_) {
    if (p.acked_sent_at >= ack_wanted_since_) ++heard;
  }
  return heard;
}

void Replica::NoteQuorumHeard() {
  if (ack_wanted_since_ == kNever) return;
  if (HeardSinceAckWanted() >= quorum()) ack_wanted_since_ = kNever;
}

void Replica::StepDown(Micros now) { BecomeFollower(term_, kNoNode, now); }

// A ballot tells where the voter's log ends (StartAtLogEnd).
VoteReply Replica::Ballot(Term term, bool granted, bool pre_vote,
                          bool log_ahead) const {
  VoteReply reply{term, granted, pre_vote, log_ahead};
  reply.last_log_index = log_.last_index();
  reply.last_log_term = log_.last_term();
  return reply;
}

// A peer whose log ends at (index, term) holds, if our log has that entry,
// exactly our log up to there (Log Matching, §5.3): our next append to it
// starts just after. A new leader otherwise starts every follower at its
// own log's end, and each follower behind it refuses the first append and
// is repaired: after advanced-4's partitions and kill, some four refusals a
// run. Only ever a guess, as next_index always is: should the peer's log
// have changed since it told us, it refuses, as before.
void Replica::StartAtLogEnd(NodeId peer, LogIndex index, Term term) {
  if (log_.Matches(index, term)) progress_[peer].next_index = index + 1;
}

}  // namespace stepwise

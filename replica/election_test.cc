// Leader election: PreVote, RequestVote, the lease (vote stickiness) rule
// and CheckQuorum, as scripted scenarios on a virtual clock.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "replica/replica.h"
#include "replica/testing/test_cluster.h"

namespace stepwise {
namespace {

using ::stepwise::testing::Append;
using ::stepwise::testing::BodyAs;
using ::stepwise::testing::EntriesWithTerms;
using ::stepwise::testing::FromTo;
using ::stepwise::testing::Replied;
using ::stepwise::testing::SettleWithLeaderZero;
using ::stepwise::testing::TermsOf;
using ::stepwise::testing::TestCluster;
using ::stepwise::testing::ThreeReplicas;

constexpr Micros kMs = kMillis;

// 0 times out first, then 1, then 2: the first election is 0's.
// Runs until 0 leads and everyone knows it; returns false on timeout.
bool ElectZero(TestCluster& c) {
  return c.RunUntil([&] { return c.AllFollow(0); }, c.now() + 3000 * kMs);
}

// A (pre)candidate with a majority waits ballot_linger for the peers that
// have not answered yet before it moves on (election.cc, MaybeWinRound).
void WaitOutBallotLinger(TestCluster& c) {
  c.AdvanceBy(ReplicaConfig().ballot_linger);
}

VoteRequest Vote(Term term, LogIndex last_index, Term last_term) {
  return VoteRequest{term, last_index, last_term, /*pre_vote=*/false};
}

VoteRequest PreVote(Term term, LogIndex last_index, Term last_term) {
  return VoteRequest{term, last_index, last_term, /*pre_vote=*/true};
}

// The VoteReply `from` has pending to `to` (exactly one expected).
std::optional<VoteReply> TakeVoteReply(TestCluster& c, NodeId from, NodeId to) {
  std::vector<VoteReply> replies = c.PendingBodies<VoteReply>(from, to);
  c.Drop(FromTo(from, to));
  EXPECT_LE(replies.size(), 1u);
  if (replies.empty()) return std::nullopt;
  return replies.front();
}

// Takes the VoteReply `from` has pending to `to`: a refusal that does not
// claim a longer log.
void ExpectPlainRefusal(TestCluster& c, NodeId from, NodeId to) {
  std::optional<VoteReply> reply = TakeVoteReply(c, from, to);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->granted);
  EXPECT_FALSE(reply->log_ahead);
}

// --- Winning an election ----------------------------------------------------

TEST(ElectionTest, TimeoutRunsPreVoteThenElectionAndWinsWithNoop) {
  TestCluster c = ThreeReplicas();

  // Step 1: nothing happens before the first timeout.
  c.AdvanceTo(999 * kMs);
  EXPECT_TRUE(c.pending().empty());
  EXPECT_EQ(c.replica(0).role(), Role::kFollower);

  // Step 2: 0 times out and asks for pre-votes for term 1, in term 0.
  c.AdvanceTo(1000 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
  EXPECT_EQ(c.replica(0).term(), 0u) << "a pre-vote does not bump the term";
  for (NodeId peer : {1, 2}) {
    std::vector<VoteRequest> asks = c.PendingBodies<VoteRequest>(0, peer);
    ASSERT_EQ(asks.size(), 1u) << "to " << peer;
    EXPECT_TRUE(asks[0].pre_vote);
    EXPECT_EQ(asks[0].term, 1u);
    EXPECT_EQ(asks[0].last_log_index, 0u);
    EXPECT_EQ(asks[0].last_log_term, 0u);
  }

  // Step 3: 1 and 2 grant the pre-vote without changing anything.
  c.DeliverAll();
  for (NodeId peer : {1, 2}) {
    EXPECT_EQ(c.replica(peer).term(), 0u);
    EXPECT_EQ(c.replica(peer).voted_for(), kNoNode);
    std::vector<VoteReply> replies = c.PendingBodies<VoteReply>(peer, 0);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_TRUE(replies[0].granted);
    EXPECT_TRUE(replies[0].pre_vote);
  }

  // Step 4: with a majority of pre-votes, 0 runs the real election.
  c.DeliverAll();
  EXPECT_EQ(c.replica(0).role(), Role::kCandidate);
  EXPECT_EQ(c.replica(0).term(), 1u);
  EXPECT_EQ(c.replica(0).voted_for(), 0);
  for (NodeId peer : {1, 2}) {
    std::vector<VoteRequest> asks = c.PendingBodies<VoteRequest>(0, peer);
    ASSERT_EQ(asks.size(), 1u);
    EXPECT_FALSE(asks[0].pre_vote);
    EXPECT_EQ(asks[0].term, 1u);
  }

  // Step 5: the voters move to term 1 and vote for 0.
  c.DeliverAll();
  for (NodeId peer : {1, 2}) {
    EXPECT_EQ(c.replica(peer).term(), 1u);
    EXPECT_EQ(c.replica(peer).voted_for(), 0);
  }

  // Step 6: 0 leads and appends a no-op of its term.
  c.DeliverAll();
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_EQ(c.replica(0).leader(), 0);
  ASSERT_EQ(c.replica(0).log().last_index(), 1u);
  EXPECT_TRUE(c.replica(0).log().at(1).is_noop());
  EXPECT_EQ(c.replica(0).log().at(1).term, 1u);
  EXPECT_EQ(c.replica(0).commit_index(), 0u) << "not before a majority has it";

  // Step 7: the no-op reaches the followers; their acks commit it.
  c.DeliverAll();
  for (NodeId peer : {1, 2}) {
    EXPECT_EQ(c.replica(peer).leader(), 0);
    EXPECT_EQ(TermsOf(c.replica(peer).log()), (std::vector<Term>{1}));
  }
  c.DeliverAll();
  EXPECT_EQ(c.replica(0).commit_index(), 1u);
}

TEST(ElectionTest, SingleReplicaElectsItselfAtOnce) {
  TestCluster c(1, {1000 * kMs});
  c.AdvanceTo(1000 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_EQ(c.replica(0).term(), 1u);
  EXPECT_EQ(c.replica(0).commit_index(), 1u);
  EXPECT_TRUE(c.pending().empty());
}

// A majority of 4 is 3 and of 2 is 2: half the cluster must never elect.
TEST(ElectionTest, EvenClusterNeedsAStrictMajority) {
  TestCluster four(4, {1000 * kMs, 5000 * kMs, 5000 * kMs, 5000 * kMs});
  four.AdvanceTo(1000 * kMs);
  four.Deliver([](const Message& m) { return m.dst == 1; });
  four.DropTo(2);
  four.DropTo(3);
  four.DeliverAll();  // one grant: 2 of 4
  EXPECT_EQ(four.replica(0).role(), Role::kPreCandidate)
      << "2 pre-votes of 4 are not a majority";
  EXPECT_EQ(four.replica(0).term(), 0u);

  TestCluster two(2, {1000 * kMs, 5000 * kMs});
  two.AdvanceTo(1000 * kMs);
  EXPECT_NE(two.replica(0).role(), Role::kLeader)
      << "1 of 2 is not a majority: its own vote must not elect it";
  EXPECT_EQ(two.replica(0).term(), 0u);
}

// --- Voting rules -----------------------------------------------------------

// §5.2: at most one vote per term, first come first served.
TEST(ElectionTest, OneVotePerTerm) {
  TestCluster c = ThreeReplicas();
  c.Inject(0, 2, Vote(1, 0, 0));
  std::optional<VoteReply> to_0 = TakeVoteReply(c, 2, 0);
  ASSERT_TRUE(to_0);
  EXPECT_TRUE(to_0->granted);
  EXPECT_EQ(c.replica(2).voted_for(), 0);

  c.Inject(1, 2, Vote(1, 0, 0));
  std::optional<VoteReply> to_1 = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(to_1);
  EXPECT_FALSE(to_1->granted) << "2 already voted for 0 in term 1";
  EXPECT_EQ(to_1->term, 1u);
  EXPECT_EQ(c.replica(2).voted_for(), 0);

  // A retransmission from the one it voted for is granted again.
  c.Inject(0, 2, Vote(1, 0, 0));
  std::optional<VoteReply> again = TakeVoteReply(c, 2, 0);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->granted);

  // A new term frees the vote.
  c.Inject(1, 2, Vote(2, 0, 0));
  std::optional<VoteReply> next_term = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(next_term);
  EXPECT_TRUE(next_term->granted);
  EXPECT_EQ(c.replica(2).term(), 2u);
  EXPECT_EQ(c.replica(2).voted_for(), 1);
}

// Gives replica 2 the log `terms` (from a leader of `term`), then lets
// election_timeout_min pass so that it no longer defers to that leader.
TestCluster VoterWithLog(const std::vector<Term>& terms, Term term) {
  TestCluster c(3, {1000 * kMs, 1000 * kMs, 1000 * kMs});
  c.Inject(0, 2, Append(term, 0, 0, EntriesWithTerms(terms)));
  c.AdvanceTo(1500 * kMs);
  c.DropAll();
  EXPECT_EQ(TermsOf(c.replica(2).log()), terms);
  return c;
}

// §5.4.1: the voter's log is [1, 2]; a longer log ending in term 1 is
// behind it, a shorter one ending in term 3 is ahead.
TEST(ElectionTest, VoteRefusedToCandidateWithOlderLastTerm) {
  TestCluster c = VoterWithLog({1, 2}, 2);
  c.Inject(1, 2, Vote(3, 5, 1));
  std::optional<VoteReply> refused = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->granted) << "last term 1 < 2, however long";
  EXPECT_EQ(c.replica(2).term(), 3u) << "the higher term is still adopted";
  EXPECT_EQ(c.replica(2).voted_for(), kNoNode);

  c.Inject(0, 2, Vote(3, 1, 3));
  std::optional<VoteReply> granted = TakeVoteReply(c, 2, 0);
  ASSERT_TRUE(granted);
  EXPECT_TRUE(granted->granted) << "last term 3 > 2, however short";
  EXPECT_EQ(c.replica(2).voted_for(), 0);
}

TEST(ElectionTest, VoteRefusedToCandidateWithShorterLogOfSameLastTerm) {
  TestCluster c = VoterWithLog({1, 1, 1}, 1);
  c.Inject(1, 2, Vote(2, 2, 1));
  std::optional<VoteReply> refused = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->granted) << "same last term, 2 entries < 3";
  EXPECT_EQ(c.replica(2).voted_for(), kNoNode);

  c.Inject(0, 2, Vote(2, 3, 1));
  std::optional<VoteReply> granted = TakeVoteReply(c, 2, 0);
  ASSERT_TRUE(granted);
  EXPECT_TRUE(granted->granted) << "same last term, same length";
}

TEST(ElectionTest, PreVoteAppliesTheSameLogCheck) {
  TestCluster c = VoterWithLog({1, 2}, 2);

  c.Inject(1, 2, PreVote(3, 5, 1));
  std::optional<VoteReply> stale_term = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(stale_term);
  EXPECT_FALSE(stale_term->granted) << "older last term";

  c.Inject(1, 2, PreVote(3, 1, 2));
  std::optional<VoteReply> short_log = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(short_log);
  EXPECT_FALSE(short_log->granted) << "same last term, shorter log";

  // (The voter campaigns itself, and counts those two as grants in its
  // round: CampaignerBehindUsCountsAsAGrant. A longer log is granted; the
  // same log would make it stand aside: EqualRivalWithTheHigherIdStandsAside.)
  const Micros deadline_before = c.replica(2).NextDeadline();
  c.Inject(0, 2, PreVote(3, 3, 2));
  std::optional<VoteReply> granted = TakeVoteReply(c, 2, 0);
  ASSERT_TRUE(granted);
  EXPECT_TRUE(granted->granted);
  EXPECT_TRUE(granted->pre_vote);

  // Pre-votes change nothing at the voter: no term, no vote, no timer.
  EXPECT_EQ(c.replica(2).term(), 2u);
  EXPECT_EQ(c.replica(2).voted_for(), kNoNode);
  EXPECT_EQ(c.replica(2).NextDeadline(), deadline_before);
}

// A peer behind us that campaigns would grant our own pre-vote (it hears no
// leader, and our log is ahead), so while we campaign its request counts as
// its grant: with exactly a majority alive on a lossy network, the one
// survivor holding the last entries otherwise needs every other's grant to
// get through. Not a peer whose term is already past our round's.
TEST(ElectionTest, CampaignerBehindUsCountsAsAGrant) {
  TestCluster c = VoterWithLog({1, 2}, 2);
  ASSERT_EQ(c.replica(2).role(), Role::kPreCandidate);
  c.Inject(1, 2, PreVote(4, 1, 1));  // its term is 3, past our round's 3
  c.DropAll();
  c.AdvanceBy(ReplicaConfig().ballot_linger);
  EXPECT_EQ(c.replica(2).role(), Role::kPreCandidate);

  c.Inject(1, 2, PreVote(3, 1, 1));  // its term is 2
  std::optional<VoteReply> reply = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->granted);
  EXPECT_TRUE(reply->log_ahead);
  // With ourselves, a majority of three: the round is won once
  // ballot_linger has passed with 0 still silent.
  c.AdvanceBy(ReplicaConfig().ballot_linger);
  EXPECT_EQ(c.replica(2).role(), Role::kCandidate);
  EXPECT_EQ(c.replica(2).term(), 3u);
}

// --- Split vote -------------------------------------------------------------

TEST(ElectionTest, SplitVoteThenResolution) {
  TestCluster c(5,
                {1000 * kMs, 1100 * kMs, 5000 * kMs, 5000 * kMs, 5000 * kMs});

  // 0 wins its pre-vote and becomes a candidate for term 1; its vote
  // requests stay in flight.
  c.AdvanceTo(1000 * kMs);
  c.DeliverAll();
  c.DeliverAll();
  ASSERT_EQ(c.replica(0).role(), Role::kCandidate);
  ASSERT_EQ(c.replica(0).term(), 1u);

  // 1 times out too, and (with 2 and 3 granting) is a candidate for term 1.
  c.AdvanceTo(1100 * kMs);
  c.Deliver([](const Message& m) {
    return m.src == 1 && BodyAs<VoteRequest>(m) && m.dst != 0;
  });
  c.Deliver([](const Message& m) { return m.dst == 1 && m.src != 0; });
  WaitOutBallotLinger(c);  // 0 never answers
  ASSERT_EQ(c.replica(1).role(), Role::kCandidate);
  ASSERT_EQ(c.replica(1).term(), 1u);

  // The votes split: 2 votes for 0, 3 for 1, 4 hears from neither.
  c.Drop([](const Message& m) {
    return m.dst == 4 || (m.src == 0 && m.dst == 3) ||
           (m.src == 1 && m.dst == 2);
  });
  c.Stabilize();
  EXPECT_EQ(c.replica(2).voted_for(), 0);
  EXPECT_EQ(c.replica(3).voted_for(), 1);
  EXPECT_EQ(c.replica(0).role(), Role::kCandidate) << "2 votes of 5";
  EXPECT_EQ(c.replica(1).role(), Role::kCandidate) << "2 votes of 5";
  EXPECT_EQ(c.LeaderAmong(), kNoNode);

  // Each candidate asks again the voters that have not answered it
  // (vote_resend_interval): 0's request reaches 4 first, and 4's vote
  // settles term 1 without another election.
  const Micros resend = c.replica(0).config().vote_resend_interval;
  c.RunUntil(1000 * kMs + resend + 10 * kMs);
  EXPECT_EQ(c.replica(4).voted_for(), 0);
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  c.RunUntil(2500 * kMs);
  EXPECT_TRUE(c.AllFollow(0));
  EXPECT_EQ(c.replica(0).term(), 1u);
}

// Two replicas with the same log campaign at the same moment (after a
// leader dies, the followers holding its last entries all do when the first
// one behind them asks: CampaignAhead). Each grants the other's pre-vote;
// 1, the higher id, stands aside, so only 0 asks for real votes and wins
// term 1 at once instead of splitting it. Only once in a while, as for a
// longer log: should 0 be unable to win, 1's next round goes on.
TEST(ElectionTest, EqualRivalWithTheHigherIdStandsAside) {
  TestCluster c(5,
                {1000 * kMs, 1000 * kMs, 5000 * kMs, 5000 * kMs, 5000 * kMs});
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  ASSERT_EQ(c.replica(1).role(), Role::kPreCandidate);
  c.DeliverAll();  // the pre-votes cross
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
  EXPECT_EQ(c.replica(1).role(), Role::kFollower);

  c.Stabilize();
  WaitOutBallotLinger(c);
  c.Stabilize();
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_EQ(c.replica(0).term(), 1u);
  EXPECT_EQ(c.replica(1).voted_for(), 0);
}

TEST(ElectionTest, EqualRivalStandsAsideOnlyOnceInAWhile) {
  TestCluster c(5,
                {1000 * kMs, 1000 * kMs, 5000 * kMs, 5000 * kMs, 5000 * kMs});
  c.AdvanceTo(1000 * kMs);
  c.DropAll();
  c.Inject(0, 1, PreVote(1, 0, 0));
  ASSERT_EQ(c.replica(1).role(), Role::kFollower);

  // 1 campaigns again at its next timeout, well within
  // 2 * election_timeout_max: 0's pre-vote no longer moves it.
  c.DropAll();
  c.AdvanceTo(c.replica(1).NextDeadline());
  ASSERT_EQ(c.replica(1).role(), Role::kPreCandidate);
  ASSERT_LT(c.now(), 1000 * kMs + 2 * ReplicaConfig().election_timeout_max);
  c.DropAll();
  c.Inject(0, 1, PreVote(1, 0, 0));
  EXPECT_EQ(c.replica(1).role(), Role::kPreCandidate);
}

// --- Terms ------------------------------------------------------------------

// Drops every message sent before `t`, and moves the clock to `t`; what
// the timers fired at `t` send stays pending.
void LoseEverythingUntil(TestCluster& c, Micros t) {
  while (c.now() < t) {
    c.DropAll();
    c.AdvanceTo(std::min(t, c.now() + 50 * kMs));
  }
}

// Five replicas; only 0's timer fires in the tests that use this.
TestCluster FiveWhereZeroCampaigns() {
  return TestCluster(
      5, {1000 * kMs, 9000 * kMs, 9000 * kMs, 9000 * kMs, 9000 * kMs});
}

// 0's pending request reaches `peer`, and `peer`'s answer reaches 0.
void ExchangeWith(TestCluster& c, NodeId peer) {
  auto with_peer = [peer](const Message& m) {
    return m.src == peer || m.dst == peer;
  };
  c.Deliver(with_peer);
  c.Deliver(with_peer);
}

// As above, everything else pending being lost.
void ExchangeOnlyWith(TestCluster& c, NodeId peer) {
  c.Drop([peer](const Message& m) { return m.src != peer && m.dst != peer; });
  ExchangeWith(c, peer);
}

// Whom 0's pending (pre)vote requests go to.
std::vector<NodeId> AskedByZero(TestCluster& c) {
  std::vector<NodeId> asked;
  for (const Message& m : c.Pending()) {
    if (m.src == 0 && BodyAs<VoteRequest>(m)) asked.push_back(m.dst);
  }
  return asked;
}

// 0 wins its pre-votes and becomes a candidate of *term; 1 hears its vote
// request and its grant arrives, and every other request, first or
// repeated, is lost until the round's timer runs out.
void RunOutARoundWithOneVote(TestCluster& c, Term* term) {
  c.AdvanceTo(1000 * kMs);
  c.DeliverAll();  // pre-vote requests
  c.DeliverAll();  // grants
  ASSERT_EQ(c.replica(0).role(), Role::kCandidate);
  *term = c.replica(0).term();
  const Micros round_start = c.now();
  ExchangeWith(c, 1);
  LoseEverythingUntil(c, round_start + 1000 * kMs);
}

// On a lossy network every grant is hard to get. A candidate whose round
// runs out with some votes goes on in the same term, asking only the peers
// that have not answered: while nobody refused it, up to three more rounds;
// the round after that starts over with a pre-vote.
TEST(ElectionTest, CandidateNobodyRefusedKeepsItsVotesForThreeMoreRounds) {
  TestCluster c = FiveWhereZeroCampaigns();
  Term term = 0;
  ASSERT_NO_FATAL_FAILURE(RunOutARoundWithOneVote(c, &term));
  for (int extension = 1; extension <= 3; ++extension) {
    EXPECT_EQ(c.replica(0).role(), Role::kCandidate) << extension;
    EXPECT_EQ(c.replica(0).term(), term) << extension;
    EXPECT_EQ(AskedByZero(c), (std::vector<NodeId>{2, 3, 4})) << extension;
    LoseEverythingUntil(c, c.now() + 1000 * kMs);
  }
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
}

// A refusal may come from a voter that chose a rival in the same term: then
// the round goes on once only, so that split votes end.
TEST(ElectionTest, RefusedCandidateKeepsItsVotesForOneMoreRoundOnly) {
  TestCluster c = FiveWhereZeroCampaigns();
  Term term = 0;
  ASSERT_NO_FATAL_FAILURE(RunOutARoundWithOneVote(c, &term));
  ASSERT_EQ(c.replica(0).role(), Role::kCandidate);
  c.Inject(2, 0, VoteReply{term, false, false});
  LoseEverythingUntil(c, c.now() + 1000 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
}

// Unless the peers it still waits for have been silent for twice the
// election timeout: dead, most likely, and a split that waits for their
// votes only keeps both rivals waiting.
TEST(ElectionTest, RefusedCandidateDoesNotWaitForLongSilentPeers) {
  TestCluster c = FiveWhereZeroCampaigns();
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  // 3 and 4 never answer; 1 and 2 grant the pre-vote.
  c.Drop([](const Message& m) { return m.dst == 3 || m.dst == 4; });
  c.DeliverAll();  // pre-vote requests to 1 and 2
  c.DeliverAll();  // their grants
  WaitOutBallotLinger(c);
  ASSERT_EQ(c.replica(0).role(), Role::kCandidate);
  const Term term = c.replica(0).term();
  const Micros round_start = c.now();
  ExchangeWith(c, 1);
  c.Inject(2, 0, VoteReply{term, false, false});  // voted for a rival
  LoseEverythingUntil(c, round_start + 1000 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
}

// A candidate won a majority's pre-votes: it is not cut off, and its round
// lasts one election timeout even after pre-vote rounds that failed (which
// double a pre-candidate's).
TEST(ElectionTest, CandidateAfterFailedPreVotesIsNotBackedOff) {
  TestCluster c = FiveWhereZeroCampaigns();
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  LoseEverythingUntil(c, 2000 * kMs);  // nobody answers: a failed round
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  const uint64_t rounds = c.replica(0).stats().elections_started;
  LoseEverythingUntil(c, 4000 * kMs - 1);  // the next waits twice as long
  ASSERT_EQ(c.replica(0).stats().elections_started, rounds);
  // Its next round, from 4000 ms on, is heard: a cut-off pre-candidate
  // asks each silent peer again only after a while.
  ASSERT_TRUE(c.RunUntil(
      [&] { return c.replica(0).role() == Role::kCandidate; }, 5000 * kMs));
  const Micros round_start = c.now();
  LoseEverythingUntil(c, round_start + 1000 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
}

TEST(ElectionTest, ExtendedRoundWinsInTheSameTerm) {
  TestCluster c = FiveWhereZeroCampaigns();
  Term term = 0;
  ASSERT_NO_FATAL_FAILURE(RunOutARoundWithOneVote(c, &term));
  ExchangeOnlyWith(c, 2);  // 2's grant: with 0 and 1, a majority
  WaitOutBallotLinger(c);
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_EQ(c.replica(0).term(), term);
}

// With exactly a majority alive and a lossy network, the one replica all
// the others can grant may gather their pre-votes over several rounds but
// rarely within one: a recent grant carries into the next round, and that
// peer is not asked again.
TEST(ElectionTest, PreVoteGrantCarriesIntoTheNextRound) {
  TestCluster c = FiveWhereZeroCampaigns();
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  const uint64_t first_round = c.replica(0).stats().elections_started;
  // 1's grant arrives; everything else of this round is lost.
  ExchangeWith(c, 1);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        if (c.replica(0).stats().elections_started > first_round) return true;
        c.DropAll();
        return false;
      },
      c.now() + 5000 * kMs));
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  EXPECT_EQ(c.replica(0).stats().elections_started, first_round + 1);
  // Cut off, 0 asks the silent 2, 3 and 4 again when their wait is over
  // (CutOffPreCandidateAsksASilentPeerLessAndLessOften), in this round.
  ASSERT_TRUE(c.RunUntil(
      [&] {
        if (!AskedByZero(c).empty()) return true;
        c.DropAll();
        return false;
      },
      c.now() + 2000 * kMs));
  EXPECT_EQ(AskedByZero(c), (std::vector<NodeId>{2, 3, 4}));
  EXPECT_EQ(c.replica(0).stats().elections_started, first_round + 1);
  // 2's grant now makes a majority with 0 and 1's carried one.
  ExchangeOnlyWith(c, 2);
  WaitOutBallotLinger(c);
  EXPECT_EQ(c.replica(0).role(), Role::kCandidate);
}

// A grant is carried for two rounds at most: the pre-candidate that keeps
// failing asks everybody again.
TEST(ElectionTest, OldPreVoteGrantIsAskedAgain) {
  TestCluster c = FiveWhereZeroCampaigns();
  c.AdvanceTo(1000 * kMs);
  ExchangeWith(c, 1);
  const Micros granted_at = c.now();
  bool asked_one_again = false;
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (const Message& m : c.Pending()) {
          asked_one_again = asked_one_again || (m.src == 0 && m.dst == 1 &&
                                                BodyAs<VoteRequest>(m));
        }
        c.DropAll();
        return asked_one_again;
      },
      c.now() + 20000 * kMs));
  EXPECT_GT(c.now() - granted_at, 2 * 1000 * kMs);
}

// --- The longest log campaigns ------------------------------------------

// A voter whose log is ahead of the candidate's says so, and, no leader
// holding it back, campaigns at once: the entries the candidate lacks may be
// a put that reached the chain's head but not its tail.
TEST(ElectionTest, VoterWithALongerLogSaysSoAndCampaigns) {
  TestCluster c = VoterWithLog({1, 1, 1}, 1);
  // Its own timer made it campaign meanwhile; a newer term makes it a
  // follower again.
  c.Inject(0, 2, VoteReply{2, false, false});
  ASSERT_EQ(c.replica(2).role(), Role::kFollower);
  c.Inject(1, 2, PreVote(3, 2, 1));
  std::vector<VoteReply> replies = c.PendingBodies<VoteReply>(2, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].granted);
  EXPECT_TRUE(replies[0].log_ahead);
  EXPECT_EQ(c.replica(2).role(), Role::kPreCandidate);
  for (NodeId peer : {0, 1}) {
    std::vector<VoteRequest> asks = c.PendingBodies<VoteRequest>(2, peer);
    ASSERT_EQ(asks.size(), 1u) << "to " << peer;
    EXPECT_TRUE(asks[0].pre_vote);
    EXPECT_EQ(asks[0].last_log_index, 3u);
  }
}

TEST(ElectionTest, VoterAheadOfARealCandidateCampaignsInTheNextTerm) {
  TestCluster c = VoterWithLog({1, 1, 1}, 1);
  c.Inject(1, 2, Vote(4, 2, 1));
  std::vector<VoteReply> replies = c.PendingBodies<VoteReply>(2, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].granted);
  EXPECT_TRUE(replies[0].log_ahead);
  EXPECT_EQ(c.replica(2).term(), 4u);
  EXPECT_EQ(c.replica(2).role(), Role::kPreCandidate);
  std::vector<VoteRequest> asks = c.PendingBodies<VoteRequest>(2, 0);
  ASSERT_EQ(asks.size(), 1u);
  EXPECT_EQ(asks[0].term, 5u);
}

// A voter asked by a campaigner with a longer log refuses, for a moment,
// one whose log is behind it, though its own log is no better: the longer
// log may hold a put nobody else has. It does not say it is ahead.
TEST(ElectionTest, VoterDefersToARecentCampaignerWithALongerLog) {
  TestCluster c = VoterWithLog({1, 1}, 1);
  c.Inject(0, 2, PreVote(5, 3, 1));
  ASSERT_TRUE(TakeVoteReply(c, 2, 0)->granted);
  c.Inject(1, 2, PreVote(5, 2, 1));
  ExpectPlainRefusal(c, 2, 1);
  c.Inject(1, 2, Vote(5, 2, 1));
  ExpectPlainRefusal(c, 2, 1);
  EXPECT_EQ(c.replica(2).voted_for(), kNoNode);
  c.AdvanceBy(c.replica(2).config().defer_to_longer_log);
  c.DropAll();
  c.Inject(1, 2, Vote(5, 2, 1));
  std::optional<VoteReply> later = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->granted) << "only for a moment";
}

// Refused for another reason (a stale term, a vote already given), the
// voter's log is no better: it neither says so nor campaigns.
TEST(ElectionTest, OtherRefusalsAreNotLogAhead) {
  TestCluster c = VoterWithLog({1, 1, 1}, 1);
  c.Inject(0, 2, Vote(2, 3, 1));
  ASSERT_TRUE(TakeVoteReply(c, 2, 0)->granted);
  c.Inject(1, 2, Vote(2, 3, 1));
  ExpectPlainRefusal(c, 2, 1);  // voted already
  c.Inject(1, 2, PreVote(2, 3, 1));
  ExpectPlainRefusal(c, 2, 1);  // a stale term
  EXPECT_EQ(c.replica(2).role(), Role::kFollower);
  EXPECT_TRUE(c.pending().empty());
}

// A voter that heard from its leader lately grants nothing and starts no
// campaign: the leader may well be alive. But it tells a candidate behind
// it so (the leader may be dead just now), keeping its own term.
TEST(ElectionTest, VoterThatHeardItsLeaderSaysItIsAheadButDoesNotCampaign) {
  TestCluster c(3, {1000 * kMs, 1000 * kMs, 1000 * kMs});
  c.Inject(0, 2, Append(1, 0, 0, EntriesWithTerms({1, 1, 1})));
  c.DropAll();
  c.Inject(1, 2, Vote(5, 2, 1));
  std::optional<VoteReply> behind = TakeVoteReply(c, 2, 1);
  ASSERT_TRUE(behind);
  EXPECT_FALSE(behind->granted);
  EXPECT_TRUE(behind->log_ahead);
  EXPECT_EQ(behind->term, 1u);
  EXPECT_EQ(c.replica(2).term(), 1u);
  EXPECT_EQ(c.replica(2).role(), Role::kFollower);
  // A candidate as far along is not answered at all.
  c.Inject(1, 2, PreVote(2, 3, 1));
  EXPECT_TRUE(c.pending().empty());
  EXPECT_EQ(c.replica(2).role(), Role::kFollower);
}

// But it campaigns as soon as its promise to the leader runs out, not at its
// own timeout: a follower off the chain waits quiet_for longer than the
// others, and the candidate behind it would win meanwhile.
TEST(ElectionTest, VoterAheadCampaignsWhenItsPromiseToTheLeaderEnds) {
  TestCluster c(3, {1000 * kMs, 1000 * kMs, 1000 * kMs});
  AppendEntries lazy_batch = Append(1, 0, 0, EntriesWithTerms({1, 1, 1}));
  lazy_batch.quiet_for = 1000 * kMs;
  const Micros heard = c.now();
  c.Inject(0, 2, lazy_batch);
  c.DropAll();
  c.Isolate(2);
  ASSERT_TRUE(c.RunUntil([&] { return c.now() >= heard + 500 * kMs; },
                         heard + 600 * kMs));
  c.Inject(1, 2, Vote(5, 2, 1));
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(2).role() != Role::kFollower; },
                         heard + 3000 * kMs));
  EXPECT_EQ(c.now(), heard + 1000 * kMs)
      << "election_timeout_min after the leader, not quiet_for later";
}

// A follower that campaigns has not heard from its leader for an election
// timeout; the leader, if it gets the request, answers with an append: the
// follower follows it again at once and learns its commit index.
TEST(ElectionTest, LeaderAnswersAFollowersCampaignWithAnAppend) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  c.Stabilize();
  const Term term = c.replica(0).term();
  c.Inject(1, 0, PreVote(term + 1, 0, 0));
  std::vector<AppendEntries> appends = c.PendingBodies<AppendEntries>(0, 1);
  ASSERT_EQ(appends.size(), 1u);
  EXPECT_EQ(appends[0].term, term);
  EXPECT_EQ(appends[0].commit, c.replica(0).commit_index());
  EXPECT_TRUE(c.PendingBodies<VoteReply>(0, 1).empty());
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_EQ(c.replica(0).term(), term);
}

// The candidate told of a longer log stands aside, once in a while only: a
// voter ahead that cannot win (cut off from the others) must not stop
// every election.
TEST(ElectionTest, PreCandidateStandsAsideForALongerLogOnlyOnceInAWhile) {
  TestCluster c = FiveWhereZeroCampaigns();
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  c.DropAll();
  c.Inject(1, 0, VoteReply{0, false, true, /*log_ahead=*/true});
  EXPECT_EQ(c.replica(0).role(), Role::kFollower);

  LoseEverythingUntil(c, 2000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  c.DropAll();
  c.Inject(1, 0, VoteReply{0, false, true, /*log_ahead=*/true});
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);
}

// 0 campaigns; `granters` grant its pre-vote, and its requests to the
// others are still on their way (dropped here: the test answers for them).
void PreVoteGrantedOnlyBy(TestCluster& c, const std::vector<NodeId>& granters) {
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  for (NodeId peer : granters) ExchangeWith(c, peer);
  c.Drop([](const Message& m) { return m.src == 0; });
}

// After a leader dies, the one replica holding its last put (a lazy batch)
// may be the last one asked: the others grant first. With a majority, the
// pre-candidate waits ballot_linger for the rest, and stands aside when
// one of them refuses for a longer log.
TEST(ElectionTest, MajorityWaitsForTheLastAnswersThatMayHoldALongerLog) {
  TestCluster c = FiveWhereZeroCampaigns();
  PreVoteGrantedOnlyBy(c, {1, 2});
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate)
      << "a majority, but 3 and 4 have not answered";
  c.AdvanceBy(ReplicaConfig().ballot_linger / 2);
  c.Inject(3, 0, VoteReply{0, false, true, /*log_ahead=*/true});
  EXPECT_EQ(c.replica(0).role(), Role::kFollower);
  EXPECT_EQ(c.replica(0).term(), 0u);
}

// The wait ends with the last answer.
TEST(ElectionTest, MajorityMovesOnOnceEveryPeerAnswered) {
  TestCluster c = FiveWhereZeroCampaigns();
  PreVoteGrantedOnlyBy(c, {1, 2, 3});
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  c.Inject(4, 0, VoteReply{1, true, true});
  EXPECT_EQ(c.replica(0).role(), Role::kCandidate);
}

// The whole story. The leader's last put reached the chain's head, not its
// tail, and the leader died. Another follower's timer fires first; Raft
// would let it win with the votes of the followers as far behind as it,
// and the put would be lost, its client never answered. The head refuses
// it, says why and campaigns; the first campaigner stands aside; the head
// wins and the put commits.
TEST(ElectionTest, PutThatReachedOnlyTheChainsHeadOutlivesTheLeader) {
  TestCluster c(5,
                {1000 * kMs, 3300 * kMs, 3200 * kMs, 3100 * kMs, 3000 * kMs});
  ASSERT_TRUE(ElectZero(c));
  c.Stabilize();
  c.Put(0, 100, "mid-1", "key", "value");
  std::vector<Message> chain = c.Pending([](const Message& m) {
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    return m.src == 0 && a && !a->entries.empty();
  });
  ASSERT_EQ(chain.size(), 1u);
  const NodeId head = chain[0].dst;
  c.Deliver([head](const Message& m) { return m.src == 0 && m.dst == head; });
  c.DropAll();  // the head's relay to the tail, and everything else
  c.Isolate(0);
  const LogIndex put_index = c.replica(head).log().last_index();

  NodeId first = kNoNode;
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (NodeId id = 1; id < 5 && first == kNoNode; ++id) {
          if (c.replica(id).role() != Role::kFollower) first = id;
        }
        return first != kNoNode;
      },
      c.now() + 5000 * kMs));
  ASSERT_NE(first, head) << "the test wants someone else to campaign first";
  ASSERT_LT(c.replica(first).log().last_index(), put_index);

  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyTo("mid-1") != nullptr; },
                         c.now() + 5000 * kMs));
  EXPECT_EQ(c.LeaderAmong({1, 2, 3, 4}), head);
  EXPECT_EQ(c.ReplyTo("mid-1")->reply.kind, ReplyKind::kOk);
}

// 0 leads; 2 is cut off while 0 commits eight puts with 1, and sends 2
// batches that are lost.
void LeaveTwoBehind(TestCluster& c) {
  SettleWithLeaderZero(c);
  c.Isolate(2);
  for (int i = 0; i < 8; ++i) {
    c.Put(0, 100, "mid-" + std::to_string(i), "k", "v");
    c.RunFor(20 * kMs);
  }
}

// A ballot says where the voter's log ends (Ballot), and a new leader whose
// log holds that entry starts the voter there (StartAtLogEnd): its first
// append to a voter behind it is accepted, not refused and repaired.
TEST(ElectionTest, NewLeaderStartsAVoterBehindAtItsLogEnd) {
  TestCluster c = ThreeReplicas();
  LeaveTwoBehind(c);
  const LogIndex behind = c.replica(2).log().last_index();
  ASSERT_GT(c.replica(1).log().last_index(), behind);
  c.Partition({0}, {1, 2});  // 0 is gone, 2 is back
  const size_t seen = c.delivered().size();
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.LeaderAmong({1, 2}) == 1;
      },
      c.now() + 5000 * kMs));
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.replica(2).log().last_index() ==
               c.replica(1).log().last_index();
      },
      c.now() + 1000 * kMs));
  std::vector<AppendEntries> appends;
  int refusals = 0;
  for (size_t i = seen; i < c.delivered().size(); ++i) {
    const Message& m = c.delivered()[i].message;
    const AppendEntries* a = BodyAs<AppendEntries>(m);
    if (a != nullptr && m.src == 1 && m.dst == 2) appends.push_back(*a);
    const AppendReply* r = BodyAs<AppendReply>(m);
    if (r != nullptr && m.src == 2 && m.dst == 1 && !r->success) ++refusals;
  }
  ASSERT_FALSE(appends.empty());
  EXPECT_EQ(appends[0].prev_index, behind);
  EXPECT_EQ(refusals, 0);
}

// So does a follower's campaign that reaches its leader: the leader's
// answer starts where the request says its log ends, not where the
// batches it sent while the follower was cut off assumed it would.
TEST(ElectionTest, LeaderStartsACampaigningFollowerAtItsLogEnd) {
  TestCluster c = ThreeReplicas();
  LeaveTwoBehind(c);
  c.Heal();
  c.DropAll();
  const RaftLog& log = c.replica(2).log();
  ASSERT_LT(log.last_index(), c.replica(0).log().last_index());
  c.Inject(2, 0,
           PreVote(c.replica(0).term() + 1, log.last_index(), log.last_term()));
  std::vector<AppendEntries> appends = c.PendingBodies<AppendEntries>(0, 2);
  ASSERT_EQ(appends.size(), 1u);
  EXPECT_EQ(appends[0].prev_index, log.last_index());
}

TEST(ElectionTest, HigherTermInAReplyMakesTheLeaderStepDown) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  AppendReply reply;
  reply.term = 5;
  c.Inject(1, 0, reply);
  EXPECT_EQ(c.replica(0).role(), Role::kFollower);
  EXPECT_EQ(c.replica(0).term(), 5u);
  EXPECT_EQ(c.replica(0).leader(), kNoNode);
  EXPECT_EQ(c.replica(0).voted_for(), kNoNode);
}

TEST(ElectionTest, AppendFromANewerLeaderMakesTheLeaderFollowIt) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  c.Inject(1, 0, Append(2, 1, 1, {}, 1));
  EXPECT_EQ(c.replica(0).role(), Role::kFollower);
  EXPECT_EQ(c.replica(0).term(), 2u);
  EXPECT_EQ(c.replica(0).leader(), 1);
}

TEST(ElectionTest, StaleLeaderLearnsTheNewTermAndFollows) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  c.Isolate(0);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.LeaderAmong({1, 2}) != kNoNode;
      },
      c.now() + 5000 * kMs));
  const NodeId new_leader = c.LeaderAmong({1, 2});
  EXPECT_EQ(c.replica(new_leader).term(), 2u);
  c.Heal();
  c.RunFor(500 * kMs);
  EXPECT_TRUE(c.AllFollow(new_leader));
  EXPECT_EQ(c.replica(0).term(), 2u);
}

// --- PreVote and the lease --------------------------------------------------

// A replica cut off from the others campaigns again and again, but only in
// pre-votes, which nobody answers: its term never moves. When it comes back
// it follows the leader instead of deposing it (thesis §9.6).
TEST(ElectionTest, ReturningReplicaDoesNotDeposeTheLeader) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  const LogIndex log_before = c.replica(0).log().last_index();

  c.Isolate(2);
  c.RunFor(10000 * kMs);
  // (Its campaigns back off, since nobody answers them.)
  EXPECT_GE(c.replica(2).stats().elections_started, 3u)
      << "scenario: 2 must have campaigned while cut off";
  EXPECT_EQ(c.replica(2).term(), 1u) << "pre-votes never bump the term";
  EXPECT_NE(c.replica(2).role(), Role::kCandidate);
  EXPECT_TRUE(c.AllFollow(0, {0, 1}));

  c.Heal();
  const int grants_before = c.CountDelivered([](const Message& m) {
    const VoteReply* reply = BodyAs<VoteReply>(m);
    return reply && reply->granted;
  });
  // An idle leader speaks every idle_interval.
  c.RunFor(c.replica(0).config().idle_interval + 500 * kMs);
  EXPECT_TRUE(c.AllFollow(0)) << "0 still leads, in term 1, for everyone";
  EXPECT_EQ(c.replica(0).term(), 1u);
  EXPECT_EQ(c.CountDelivered([](const Message& m) {
    const VoteReply* reply = BodyAs<VoteReply>(m);
    return reply && reply->granted;
  }),
            grants_before)
      << "nobody who hears the leader grants a (pre)vote";
  EXPECT_EQ(TermsOf(c.replica(2).log()), TermsOf(c.replica(0).log()));
  EXPECT_EQ(c.replica(0).log().last_index(), log_before);
}

// A replica that heard from its leader within election_timeout_min ignores
// vote requests, pre or real: no reply, no term change, no vote.
TEST(ElectionTest, FollowerThatHeardTheLeaderIgnoresVoteRequests) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  const Micros heard = c.now();
  const LogIndex last = c.replica(1).log().last_index();

  c.Inject(2, 1, PreVote(2, last, 1));
  c.Inject(2, 1, Vote(2, last, 1));
  EXPECT_TRUE(c.PendingBodies<VoteReply>(1, 2).empty()) << "no reply at all";
  EXPECT_EQ(c.replica(1).term(), 1u);
  EXPECT_EQ(c.replica(1).voted_for(), 0);
  EXPECT_EQ(c.replica(1).leader(), 0);

  // The leader, too, ignores them.
  c.Inject(2, 0, Vote(2, last, 1));
  EXPECT_TRUE(c.PendingBodies<VoteReply>(0, 2).empty());
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  EXPECT_EQ(c.replica(0).term(), 1u);

  // Once the leader has been silent longer than 1's election_timeout_min
  // (1500 ms), the same request is answered and granted.
  c.AdvanceTo(heard + 1600 * kMs);
  c.DropAll();
  c.Inject(2, 1, Vote(2, last, 1));
  std::optional<VoteReply> reply = TakeVoteReply(c, 1, 2);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->granted);
  EXPECT_EQ(c.replica(1).term(), 2u);
  EXPECT_EQ(c.replica(1).voted_for(), 2);
}

// A replica that cannot reach a majority (too few peers answer its
// pre-votes) waits twice as long before its next campaign, and asks each
// peer again less and less often: it does not keep spending messages on
// campaigns nobody hears.
TEST(ElectionTest, CutOffReplicaCampaignsLessOften) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  c.Isolate(2);
  const uint64_t before = c.replica(2).stats().elections_started;
  c.RunFor(20000 * kMs);  // 2's election timeout is 2000 ms
  const uint64_t campaigns = c.replica(2).stats().elections_started - before;
  EXPECT_GE(campaigns, 4u);
  EXPECT_LE(campaigns, 6u) << "every 4 s after the first, not every 2 s";
  EXPECT_EQ(c.replica(2).term(), 1u);
}

// Times at which 0 asks each peer for a (pre)vote until `until`, everything
// lost meanwhile.
std::map<NodeId, std::vector<Micros>> AsksUntil(TestCluster& c, Micros until) {
  std::map<NodeId, std::vector<Micros>> asked;
  while (c.now() < until) {
    for (const Message& m : c.Pending()) {
      if (m.src == 0 && BodyAs<VoteRequest>(m)) asked[m.dst].push_back(c.now());
    }
    c.DropAll();
    c.AdvanceTo(std::min(until, c.now() + 10 * kMs));
  }
  return asked;
}

// A replica cut off from everyone asks each silent peer less often: twice,
// then four times vote_resend_interval after its last ask, across its
// rounds too (a minority's rounds otherwise ask the whole
// silent majority every election timeout). A word from the peer puts it
// back to the full pace.
TEST(ElectionTest, CutOffPreCandidateAsksASilentPeerLessAndLessOften) {
  TestCluster c = FiveWhereZeroCampaigns();
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  // 0's rounds start every 2 s (its timeout, doubled when cut off), and it
  // asks again in between (SendVoteRequests).
  const std::vector<Micros> asked = AsksUntil(c, 3600 * kMs)[2];
  const Micros interval = c.replica(0).config().vote_resend_interval;
  ASSERT_EQ(asked.size(), 4u);
  EXPECT_EQ(asked[0], 1000 * kMs);
  for (size_t i = 1; i < asked.size(); ++i) {
    const Micros wait = interval << std::min<size_t>(i, 2);
    EXPECT_GE(asked[i] - asked[i - 1], wait) << "ask " << i;
  }
  EXPECT_EQ(c.replica(0).role(), Role::kPreCandidate);

  // 2 speaks (it refuses, say): the next round, at 4 s, asks it, but not 3
  // and 4, asked 500 ms before and still silent.
  c.Inject(2, 0, VoteReply{0, false, true});
  std::map<NodeId, std::vector<Micros>> after = AsksUntil(c, 4400 * kMs);
  EXPECT_EQ(after[2], std::vector<Micros>{4000 * kMs});
  EXPECT_TRUE(after[3].empty());
  EXPECT_TRUE(after[4].empty());
}

// With exactly a majority alive every peer's grant is needed, and at high
// loss a grant may be the last word heard from a peer for a while: a
// grant counts as reachable, so a pre-candidate that a majority granted or
// spoke to keeps asking the peers it lacks at the full pace instead of
// backing off as if cut off.
TEST(ElectionTest, PreCandidateWithGrantsAsksAgainAtFullPace) {
  TestCluster c(7, {1000 * kMs, 9000 * kMs, 9000 * kMs, 9000 * kMs, 9000 * kMs,
                    9000 * kMs, 9000 * kMs});
  c.AdvanceTo(1000 * kMs);
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  ExchangeWith(c, 1);
  ExchangeWith(c, 2);
  // Nothing more from 1 and 2; 3 speaks (it campaigns too) just before the
  // round runs out and goes on (ExtendRound), by when 1 and 2 were last
  // heard election_timeout_min ago. With 0, 1, 2 and 3 a majority of 7 is
  // in reach.
  LoseEverythingUntil(c, 1900 * kMs);
  c.Inject(3, 0, PreVote(1, 0, 0));
  c.DropAll();
  std::vector<Micros> asked_4;
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (const Message& m : c.Pending()) {
          if (m.src == 0 && m.dst == 4 && BodyAs<VoteRequest>(m)) {
            asked_4.push_back(c.now());
          }
        }
        c.DropAll();
        return asked_4.size() >= 3;
      },
      c.now() + 900 * kMs));
  ASSERT_EQ(c.replica(0).role(), Role::kPreCandidate);
  EXPECT_EQ(asked_4[0], 2000 * kMs) << "the round goes on";
  const Micros interval = c.replica(0).config().vote_resend_interval;
  EXPECT_EQ(asked_4[1] - asked_4[0], interval);
  EXPECT_EQ(asked_4[2] - asked_4[1], interval);
}

// A leader with no clients speaks to its followers every idle_interval and
// tells them to wait that much longer (quiet_for): nobody campaigns, and a
// follower refuses to help elect anybody for the quiet spell too, so that
// one who missed a keepalive cannot depose the leader.
TEST(ElectionTest, IdleLeaderSpeaksRarelyAndIsNotDeposed) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  const ReplicaConfig& config = c.replica(0).config();
  c.RunFor(config.idle_after + config.idle_interval);
  const Micros window = 10 * config.idle_interval;
  const int before = c.CountDelivered(
      [](const Message& m) { return m.src == 0 && BodyAs<AppendEntries>(m); });
  c.RunFor(window);
  const int keepalives = c.CountDelivered([](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m);
  }) - before;
  EXPECT_LE(keepalives, 2 * (10 + 1));
  EXPECT_GE(keepalives, 2 * (10 - 1));
  EXPECT_TRUE(c.AllFollow(0));
  EXPECT_EQ(c.replica(0).term(), 1u);
  for (NodeId id : {1, 2}) {
    EXPECT_EQ(c.replica(id).stats().elections_started, 0u) << id;
  }

  // 1 last heard the leader a keepalive ago, longer ago than its
  // election_timeout_min: still within the quiet spell, it ignores a vote
  // request.
  c.RunFor(config.idle_interval - 10 * kMs);
  c.DropAll();
  c.Inject(2, 1, PreVote(5, 100, 1));
  EXPECT_TRUE(c.PendingBodies<VoteReply>(1, 2).empty());
}

// The quiet spell holds a follower to a leader's lease; once that leader
// says it leads no more (a message of a later term from it, naming another
// or nobody as leader), the follower is free at once: the deposed leader
// serves no more reads from its lease. Otherwise an idle leader deposed by
// a stray term bump leaves nobody able to elect anyone for the spell.
TEST(ElectionTest, DeposedIdleLeaderReleasesItsFollowersFromTheQuietSpell) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  const ReplicaConfig& config = c.replica(0).config();
  c.RunFor(config.idle_after + config.idle_interval);
  c.RunFor(config.election_timeout_min + 10 * kMs);
  c.DropAll();
  const LogIndex last = c.replica(1).log().last_index();
  const Term last_term = c.replica(1).log().last_term();
  auto answers_campaign = [&](Term term) {
    c.Inject(2, 1, PreVote(term, last, last_term));
    std::optional<VoteReply> reply = TakeVoteReply(c, 1, 2);
    return reply.has_value() && reply->granted;
  };
  ASSERT_FALSE(answers_campaign(3)) << "within the quiet spell";
  // Word from others, or from the leader in its own term, frees nobody.
  c.Inject(2, 1, Vote(6, last, last_term));
  c.DropAll();
  AppendReply own_term;
  own_term.term = 1;
  own_term.success = true;
  own_term.match_index = last;
  c.Inject(0, 1, own_term);
  c.DropAll();
  c.Inject(0, 1, PreVote(0, last, last_term));  // malformed: no term -1
  c.DropAll();
  EXPECT_FALSE(answers_campaign(7));
  // The leader is deposed, and says so: in term 5 it follows nobody.
  AppendReply stale;
  stale.term = 5;
  c.Inject(2, 0, stale);
  ASSERT_EQ(c.replica(0).role(), Role::kFollower);
  c.DropAll();
  c.Inject(0, 1, PreVote(6, last, last_term));
  c.DropAll();
  EXPECT_TRUE(answers_campaign(7));
}

// --- CheckQuorum ------------------------------------------------------------

// CheckQuorum on demand: a leader steps down once it has asked for
// acknowledgements for quorum_timeout and no majority answered.
TEST(ElectionTest, LeaderCutOffFromTheMajorityStepsDown) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  c.RunFor(500 * kMs);
  const Micros timeout = c.replica(0).config().quorum_timeout;

  c.Isolate(0);
  c.RunFor(3 * timeout);
  EXPECT_EQ(c.replica(0).role(), Role::kLeader)
      << "with nothing to ask, a leader asks nothing and learns nothing";

  const Micros asked = c.now();
  c.Put(0, 0x0100, "put-1", "k", "v");
  c.RunUntil(asked + timeout - 1 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kLeader)
      << "too eager: it asked less than quorum_timeout ago";
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).role() != Role::kLeader; },
                         asked + timeout + 1 * kMs))
      << "still leader " << (c.now() - asked) / kMs << " ms after asking";
  EXPECT_EQ(c.replica(0).leader(), kNoNode);
  EXPECT_EQ(c.replica(0).term(), 1u);
}

// On a lossy network the tail may wait ack_delay before it acknowledges, so
// CheckQuorum counts quorum_timeout from when the acknowledgement was due.
TEST(ElectionTest, CheckQuorumWaitsOutADeferredAcknowledgement) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  c.RunFor(500 * kMs);
  // A chain append is lost: from now on acknowledgements may be deferred.
  c.Put(0, 0x0100, "put-0", "k", "v0");
  c.Drop([](const Message& m) {
    return m.src == 0 && BodyAs<AppendEntries>(m) != nullptr;
  });
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyTo("put-0") != nullptr; },
                         c.now() + 1000 * kMs));
  c.RunFor(10 * kMs);  // and its acknowledgement reaches the leader
  const ReplicaConfig& config = c.replica(0).config();
  ASSERT_GT(config.ack_delay, 0);

  c.Isolate(0);
  const Micros asked = c.now();
  c.Put(0, 0x0100, "put-1", "k", "v1");
  const Micros due = asked + config.ack_delay;
  c.RunUntil(due + config.quorum_timeout - 1 * kMs);
  EXPECT_EQ(c.replica(0).role(), Role::kLeader)
      << "counted from the asking, not from when the answer was due "
      << (c.now() - asked) / kMs;
  ASSERT_TRUE(c.RunUntil([&] { return c.replica(0).role() != Role::kLeader; },
                         due + config.quorum_timeout + 1 * kMs));
}

// What a leader sends each follower in the last `window` before CheckQuorum
// gives up, by follower: with `probe` the leader probes for its quorum in
// that window (ProbeForQuorum), without it not at all. Five replicas;
// after `puts_before` puts, 3 and 4 fall silent first, then everybody but
// `answering`.
std::map<NodeId, int> AppendsInLastWindow(ReplicaConfig base, Micros window,
                                          bool probe, int puts_before,
                                          std::vector<NodeId> answering = {}) {
  // Keepalives at their real pace: the tests' faster ones would hide it.
  base.heartbeat_interval = ReplicaConfig().heartbeat_interval;
  base.quorum_probe_window = probe ? window : 0;
  TestCluster c(5, {1000 * kMs, 1500 * kMs, 2000 * kMs, 2500 * kMs, 3000 * kMs},
                base);
  SettleWithLeaderZero(c);
  for (int i = 0; i < puts_before; ++i) {
    c.Put(0, 0x0100, "warm-" + std::to_string(i), "k", "v");
    c.RunFor(20 * kMs);
  }
  c.Partition({0, 1, 2}, {3, 4});
  c.Put(0, 0x0100, "put-0", "k", "v0");
  c.RunFor(300 * kMs);
  EXPECT_TRUE(Replied(c, "put-0"));
  answering.push_back(0);
  auto answers = [&](NodeId id) {
    return std::find(answering.begin(), answering.end(), id) != answering.end();
  };
  c.DropAll();
  const Micros asked = c.now();
  c.Put(0, 0x0100, "put-1", "k", "v1");
  const ReplicaConfig& config = c.replica(0).config();
  const Micros deadline = asked + config.quorum_timeout;
  const Micros window_start = deadline - window;
  std::map<NodeId, int> appends;
  while (c.now() < deadline - 1 * kMs) {
    c.AdvanceBy(1 * kMs);
    for (const Message& m : c.Pending()) {
      if (m.src == 0 && BodyAs<AppendEntries>(m) && c.now() > window_start) {
        ++appends[m.dst];
      }
    }
    c.Deliver(
        [&](const Message& m) { return answers(m.src) && answers(m.dst); });
    c.DropAll();
  }
  EXPECT_EQ(c.replica(0).role(), Role::kLeader);
  return appends;
}

// With exactly a majority alive on a lossy network, a live follower may
// miss every resend of a quorum_timeout by bad luck, and the election that
// a stepped-down leader leaves behind takes seconds there. In the last
// window, the leader asks the followers it needs for a majority every
// quorum_probe_interval: the two heard from last, not the other two.
TEST(ElectionTest, LeaderAsksTheFollowersItNeedsBeforeCheckQuorumGivesUp) {
  const ReplicaConfig base = testing::TestConfig();
  const Micros window = base.quorum_probe_window;
  ASSERT_EQ(window, 1200 * kMs);
  ASSERT_EQ(base.quorum_probe_interval, 100 * kMs);
  std::map<NodeId, int> probed = AppendsInLastWindow(base, window, true, 0);
  std::map<NodeId, int> unprobed = AppendsInLastWindow(base, window, false, 0);
  for (NodeId peer : {1, 2}) {
    EXPECT_GE(probed[peer], 11) << "follower " << peer;
    EXPECT_GE(probed[peer], unprobed[peer] + 8) << "follower " << peer;
  }
  for (NodeId peer : {3, 4}) {
    EXPECT_LE(probed[peer], unprobed[peer] + 1) << "follower " << peer;
  }
}

// With one follower answering, one more makes a majority: only one of the
// silent three is asked.
TEST(ElectionTest, LeaderProbesOnlyAsManyFollowersAsItStillNeeds) {
  ReplicaConfig base = testing::TestConfig();
  // Short enough that no follower has left kSilentAfterAsks asks unanswered
  // before the window: such a one is never probed.
  base.quorum_timeout = 600 * kMs;
  const Micros window = 500 * kMs;
  std::map<NodeId, int> probed =
      AppendsInLastWindow(base, window, true, 0, {1});
  std::map<NodeId, int> unprobed =
      AppendsInLastWindow(base, window, false, 0, {1});
  int asked = 0;
  for (NodeId peer : {2, 3, 4}) {
    if (probed[peer] >= unprobed[peer] + 4) ++asked;
  }
  EXPECT_EQ(asked, 1);
}

// Where the chain's appends are known to arrive, a majority that stays
// silent is cut off, and asking it again is only messages lost.
TEST(ElectionTest, LeaderOnAReliableNetworkDoesNotProbeForItsQuorum) {
  const ReplicaConfig base = testing::TestConfig();
  const Micros window = base.quorum_probe_window;
  EXPECT_EQ(AppendsInLastWindow(base, window, true, 20),
            AppendsInLastWindow(base, window, false, 20));
}

// A leader that gets its acknowledgements keeps leading.
TEST(ElectionTest, LeaderThatHearsAMajorityKeepsLeading) {
  TestCluster c = ThreeReplicas();
  ASSERT_TRUE(ElectZero(c));
  const Micros timeout = c.replica(0).config().quorum_timeout;
  for (int i = 0; i < 20; ++i) {
    c.Put(0, 0x0100, "put-" + std::to_string(i), "k", "v");
    c.RunFor(timeout / 4);
  }
  EXPECT_TRUE(c.AllFollow(0));
  EXPECT_EQ(c.replica(0).term(), 1u);
}

TEST(ElectionTest, LeaderWithAMajorityStaysAndTheMinorityStaysQuiet) {
  TestCluster c(5,
                {1000 * kMs, 1500 * kMs, 2000 * kMs, 2500 * kMs, 3000 * kMs});
  ASSERT_TRUE(ElectZero(c));
  c.Partition({0, 1, 2}, {3, 4});
  EXPECT_FALSE(c.RunUntil(
      [&] {
        return !c.AllFollow(0, {0, 1, 2});
      },
      c.now() + 10000 * kMs))
      << "0 lost its leadership with a majority behind it";
  EXPECT_EQ(c.replica(3).term(), 1u);
  EXPECT_EQ(c.replica(4).term(), 1u);

  c.Heal();
  c.RunFor(c.replica(0).config().idle_interval + 500 * kMs);
  EXPECT_TRUE(c.AllFollow(0));
  EXPECT_EQ(c.replica(0).term(), 1u);
}

}  // namespace
}  // namespace stepwise

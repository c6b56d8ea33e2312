#include "simulator/clients.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>

#include "simulator/hub.h"
#include "simulator/ids.h"
#include "simulator/testing/test_scenarios.h"

namespace stepwise::sim {
namespace {

std::string MidOf(const Message& m) {
  if (auto* g = std::get_if<GetRequest>(&m.body)) return g->mid;
  if (auto* p = std::get_if<PutRequest>(&m.body)) return p->mid;
  return "";
}

Message ReplyTo(const Message& request, ReplyKind kind, NodeId leader,
                std::optional<std::string> value = std::nullopt) {
  return Message{request.dst, request.src, leader,
                 ClientReply{kind, MidOf(request), std::move(value)}};
}

class ClientsTest : public ::testing::Test {
 protected:
  ClientsTest()
      : scenario_(testing::MustParse(testing::BaseConfig())),
        hub_(scenario_, 7),
        clients_(scenario_, 7) {
    for (int i = 0; i < 5; ++i) {
      NodeId id = static_cast<NodeId>(i);
      hub_.Route(id, Message{id, kNoNode, kNoNode, Hello{}});
    }
  }

  int NextOfKind(bool get, int from = 0) {
    for (int k = from; k < clients_.num_requests(); ++k) {
      if (clients_.is_get(k) == get) return k;
    }
    ADD_FAILURE() << "no such request";
    return 0;
  }

  // Generates a put and acknowledges it; returns the put.
  Message AckedPut(int k, NodeId leader = 2) {
    std::optional<Message> put = clients_.Generate(k, 1000, hub_);
    EXPECT_TRUE(put.has_value());
    ReplyOutcome out =
        clients_.OnReply(ReplyTo(*put, ReplyKind::kOk, leader), 2000, hub_);
    EXPECT_EQ(out.verdict, Verdict::kOk);
    return *put;
  }

  Scenario scenario_;
  Hub hub_;
  Clients clients_;
};

TEST_F(ClientsTest, RequestsAreSpreadEvenlyOverTheRequestPeriod) {
  ASSERT_EQ(clients_.num_requests(), 100);
  // 5 s of requests after start_wait (5 s): one every 50 ms, the last one
  // at 10 s, end_wait (2 s) before the end of the run.
  EXPECT_EQ(clients_.due(0), 5 * kSeconds + 50 * kMillis);
  EXPECT_EQ(clients_.due(1) - clients_.due(0), 50 * kMillis);
  EXPECT_EQ(clients_.due(99), 10 * kSeconds);
  EXPECT_EQ(scenario_.run_end_us() - clients_.due(99), 2 * kSeconds);
  int gets = 0;
  for (int k = 0; k < 100; ++k) gets += clients_.is_get(k);
  EXPECT_GT(gets, 30);  // mix 0.5
  EXPECT_LT(gets, 70);
}

TEST_F(ClientsTest, AGetWithNoAcknowledgedKeyCannotBeGenerated) {
  EXPECT_FALSE(clients_.Generate(NextOfKind(true), 0, hub_).has_value());
  EXPECT_EQ(clients_.stats().get_generation_failures, 1);
  EXPECT_EQ(clients_.stats().gets_generated, 0);
}

TEST_F(ClientsTest, RequestsFromClientIdsWithUniqueMidsAndHexKeys) {
  std::optional<Message> put = clients_.Generate(NextOfKind(false), 0, hub_);
  ASSERT_TRUE(put.has_value());
  EXPECT_TRUE(IsClientId(5, put->src));
  EXPECT_TRUE(hub_.alive(put->dst));
  EXPECT_EQ(put->leader, kNoNode);
  const auto& body = std::get<PutRequest>(put->body);
  EXPECT_EQ(body.mid.size(), 16u);
  EXPECT_EQ(body.key.size(), 32u);
  EXPECT_EQ(body.value.size(), 32u);
  EXPECT_EQ(body.value.find_first_not_of("0123456789ABCDEF"),
            std::string::npos);
}

TEST_F(ClientsTest, OkTeachesTheLeaderAndGetsAreCheckedAgainstTheLastPut) {
  Message put = AckedPut(NextOfKind(false), /*leader=*/3);
  const int client = ClientIndex(5, put.src);
  EXPECT_EQ(clients_.leader_of(client), 3);
  const std::string value = std::get<PutRequest>(put.body).value;

  std::optional<Message> get = clients_.Generate(NextOfKind(true), 3000, hub_);
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->src, put.src);  // the only client holding a key
  EXPECT_EQ(get->dst, 3);        // to the leader it believes in
  EXPECT_EQ(get->leader, 3);
  EXPECT_EQ(std::get<GetRequest>(get->body).key,
            std::get<PutRequest>(put.body).key);
  ReplyOutcome ok =
      clients_.OnReply(ReplyTo(*get, ReplyKind::kOk, 3, value), 3500, hub_);
  EXPECT_EQ(ok.verdict, Verdict::kOk);
  EXPECT_EQ(ok.latency, 500);
  EXPECT_EQ(clients_.stats().incorrect, 0);
}

TEST_F(ClientsTest, AWrongGetValueIsIncorrect) {
  AckedPut(NextOfKind(false));
  std::optional<Message> get = clients_.Generate(NextOfKind(true), 3000, hub_);
  ASSERT_TRUE(get.has_value());
  ReplyOutcome out = clients_.OnReply(
      ReplyTo(*get, ReplyKind::kOk, 2, std::string("stale")), 3500, hub_);
  EXPECT_EQ(out.verdict, Verdict::kIncorrect);
  EXPECT_EQ(clients_.stats().incorrect, 1);
  EXPECT_EQ(clients_.stats().wrong_get_values, 1);
}

TEST_F(ClientsTest, ASecondOkIsADuplicate) {
  Message put = AckedPut(NextOfKind(false));
  ReplyOutcome again =
      clients_.OnReply(ReplyTo(put, ReplyKind::kOk, 2), 5000, hub_);
  EXPECT_EQ(again.verdict, Verdict::kDuplicate);
  EXPECT_EQ(clients_.stats().duplicates, 1);
  EXPECT_EQ(clients_.stats().incorrect, 0);
  EXPECT_EQ(clients_.stats().latencies.size(), 1u);  // first reply only
}

TEST_F(ClientsTest, RedirectResendsAtOnceWithANewMidToTheRepliesLeader) {
  std::optional<Message> put = clients_.Generate(NextOfKind(false), 0, hub_);
  ASSERT_TRUE(put.has_value());
  ReplyOutcome out =
      clients_.OnReply(ReplyTo(*put, ReplyKind::kRedirect, 4), 400, hub_);
  EXPECT_EQ(out.verdict, Verdict::kRedirect);
  EXPECT_EQ(out.latency, 400);
  ASSERT_TRUE(out.resend.has_value());
  EXPECT_EQ(out.resend->dst, 4);
  EXPECT_NE(MidOf(*out.resend), MidOf(*put));
  EXPECT_EQ(std::get<PutRequest>(out.resend->body).value,
            std::get<PutRequest>(put->body).value);
  EXPECT_EQ(clients_.stats().redirects, 1);
  EXPECT_EQ(clients_.stats().put_fails, 0);  // a redirect is no failure
  // The redirect did not teach the leader (only an ok does).
  EXPECT_EQ(clients_.leader_of(ClientIndex(5, put->src)), kNoNode);
}

TEST_F(ClientsTest, RedirectToADeadLeaderGoesToALivingReplica) {
  hub_.Kill(4);
  for (int k = 0; k < 20; ++k) {
    if (clients_.is_get(k)) continue;
    std::optional<Message> put = clients_.Generate(k, 0, hub_);
    ASSERT_TRUE(put.has_value());
    ReplyOutcome out =
        clients_.OnReply(ReplyTo(*put, ReplyKind::kRedirect, 4), 400, hub_);
    ASSERT_TRUE(out.resend.has_value());
    EXPECT_NE(out.resend->dst, 4);
    EXPECT_TRUE(hub_.alive(out.resend->dst));
  }
}

TEST_F(ClientsTest, AnyReplyAfterARedirectOrFailIsIncorrect) {
  std::optional<Message> put = clients_.Generate(NextOfKind(false), 0, hub_);
  clients_.OnReply(ReplyTo(*put, ReplyKind::kRedirect, 1), 100, hub_);
  EXPECT_EQ(
      clients_.OnReply(ReplyTo(*put, ReplyKind::kOk, 1), 200, hub_).verdict,
      Verdict::kIncorrect);
  std::optional<Message> other =
      clients_.Generate(NextOfKind(false, NextOfKind(false) + 1), 0, hub_);
  ReplyOutcome failed =
      clients_.OnReply(ReplyTo(*other, ReplyKind::kFail, 1), 100, hub_);
  EXPECT_EQ(failed.verdict, Verdict::kFail);
  EXPECT_TRUE(failed.resend.has_value());
  EXPECT_EQ(clients_.stats().put_fails, 1);
  EXPECT_EQ(
      clients_.OnReply(ReplyTo(*other, ReplyKind::kRedirect, 1), 200, hub_)
          .verdict,
      Verdict::kIncorrect);
  EXPECT_EQ(clients_.stats().incorrect, 2);
}

TEST_F(ClientsTest, AReplyForAMidNeverSentIsIncorrect) {
  Message bogus{0, ClientId(5, 0), 0,
                ClientReply{ReplyKind::kOk, "0123456789ABCDEF", {}}};
  EXPECT_EQ(clients_.OnReply(bogus, 0, hub_).verdict, Verdict::kIncorrect);
  // A real MID delivered to another client is no better.
  std::optional<Message> put = clients_.Generate(NextOfKind(false), 0, hub_);
  Message wrong = ReplyTo(*put, ReplyKind::kOk, 0);
  wrong.dst = put->src == ClientId(5, 0) ? ClientId(5, 1) : ClientId(5, 0);
  EXPECT_EQ(clients_.OnReply(wrong, 0, hub_).verdict, Verdict::kIncorrect);
  // And so is a message to a client that is not a reply at all.
  Message vote{0, ClientId(5, 0), 0, VoteRequest{}};
  EXPECT_EQ(clients_.OnReply(vote, 0, hub_).verdict, Verdict::kIncorrect);
  EXPECT_EQ(clients_.stats().incorrect, 3);
}

TEST_F(ClientsTest, UnansweredRequestsAreCountedAtTheEnd) {
  AckedPut(NextOfKind(false));
  clients_.Generate(NextOfKind(false, NextOfKind(false) + 1), 0, hub_);
  clients_.Generate(NextOfKind(true), 0, hub_);
  std::optional<Message> redirected =
      clients_.Generate(NextOfKind(true, NextOfKind(true) + 1), 0, hub_);
  // The redirected MID is answered, its re-send is not: one unanswered.
  clients_.OnReply(ReplyTo(*redirected, ReplyKind::kRedirect, 1), 10, hub_);
  clients_.Finish();
  EXPECT_EQ(clients_.stats().unanswered_puts, 1);
  EXPECT_EQ(clients_.stats().unanswered_gets, 2);
}

TEST_F(ClientsTest, ForgetLeader) {
  Message put = AckedPut(NextOfKind(false), 1);
  EXPECT_EQ(clients_.leader_of(ClientIndex(5, put.src)), 1);
  clients_.ForgetLeader();
  EXPECT_EQ(clients_.leader_of(ClientIndex(5, put.src)), kNoNode);
}

}  // namespace
}  // namespace stepwise::sim

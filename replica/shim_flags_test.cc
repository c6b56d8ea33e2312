#include "replica/shim_flags.h"

#include <errno.h>
#include <poll.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replica/testing/process_hub.h"
#include "replica/udp_transport.h"

namespace stepwise {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ShimFlagsTest, ParsesPositionalArguments) {
  ShimFlags flags;
  std::string error;
  ASSERT_TRUE(ParseShimFlags({"5000", "0000", "0001", "0002"}, &flags, &error))
      << error;
  EXPECT_EQ(flags.port, 5000);
  EXPECT_EQ(flags.id, 0x0000);
  EXPECT_EQ(flags.peers, (std::vector<NodeId>{0x0001, 0x0002}));
  EXPECT_FALSE(flags.verbose);
  EXPECT_FALSE(flags.seed.has_value());
}

TEST(ShimFlagsTest, FlagsMayAppearAnywhere) {
  ShimFlags flags;
  std::string error;
  ASSERT_TRUE(ParseShimFlags(
      {"--verbose", "65535", "00AB", "--seed=42", "0C01"}, &flags, &error))
      << error;
  EXPECT_EQ(flags.port, 65535);
  EXPECT_EQ(flags.id, 0x00AB);
  EXPECT_EQ(flags.peers, (std::vector<NodeId>{0x0C01}));
  EXPECT_TRUE(flags.verbose);
  EXPECT_EQ(flags.seed, 42u);
}

struct BadCase {
  std::vector<std::string> args;
  std::string names;  // the error must contain this
};

std::vector<BadCase> BadCases() {
  return {
      {{}, "<port>"},
      {{"abc", "0000", "0001"}, "<port> \"abc\""},
      {{"50x0", "0000", "0001"}, "<port> \"50x0\""},
      {{"-5", "0000", "0001"}, "<port> \"-5\""},
      {{"+5", "0000", "0001"}, "<port> \"+5\""},
      {{"", "0000", "0001"}, "<port> \"\""},
      {{"0", "0000", "0001"}, "<port> \"0\""},
      {{"65536", "0000", "0001"}, "<port> \"65536\""},
      {{"99999999999999999999999", "0000", "0001"}, "<port>"},
      {{"5000"}, "<id>"},
      {{"5000", "00G0", "0001"}, "<id> \"00G0\""},
      {{"5000", "000", "0001"}, "<id> \"000\""},
      {{"5000", "00000", "0001"}, "<id> \"00000\""},
      {{"5000", "000a", "0001"}, "<id> \"000a\""},
      {{"5000", "FFFF", "0001"}, "<id> \"FFFF\""},
      {{"5000", "0000"}, "<id of another replica>"},
      {{"5000", "0000", "--verbose"}, "<id of another replica>"},
      {{"5000", "0000", "xyz"}, "<id of another replica> \"xyz\""},
      {{"5000", "0000", "0001", "FFFF"}, "<id of another replica> \"FFFF\""},
      {{"5000", "0000", "0000"}, "duplicate replica id \"0000\""},
      {{"5000", "0000", "0001", "0002", "0001"},
       "duplicate replica id \"0001\""},
      {{"5000", "0000", "0001", "--seed=abc"}, "--seed=abc"},
      {{"5000", "0000", "0001", "--seed="}, "--seed="},
      {{"5000", "0000", "0001", "--seed=-1"}, "--seed=-1"},
      {{"5000", "0000", "0001", "--seed=18446744073709551616"}, "--seed="},
      {{"5000", "0000", "0001", "--seed"}, "\"--seed\""},
      {{"5000", "0000", "0001", "--verbose=1"}, "\"--verbose=1\""},
      {{"5000", "0000", "0001", "--bogus"}, "\"--bogus\""},
      {{"5000", "0000", "0001", "-v"}, "\"-v\""},
  };
}

TEST(ShimFlagsTest, EachBadArgumentIsNamed) {
  for (const BadCase& bad : BadCases()) {
    SCOPED_TRACE(::testing::PrintToString(bad.args));
    ShimFlags flags;
    std::string error;
    EXPECT_FALSE(ParseShimFlags(bad.args, &flags, &error));
    EXPECT_THAT(error, HasSubstr(bad.names));
    EXPECT_THAT(error, Not(HasSubstr("\n")));
  }
}

TEST(ShimFlagsTest, LargestSeedIsAccepted) {
  ShimFlags flags;
  std::string error;
  ASSERT_TRUE(ParseShimFlags(
      {"1", "0000", "0001", "--seed=18446744073709551615"}, &flags, &error))
      << error;
  EXPECT_EQ(flags.seed, UINT64_MAX);
}

// The same table through the real binary: exit code 2 and exactly one line
// on stderr naming the argument, nothing on stdout.
TEST(ShimBinaryFlagsTest, BadArgumentsExitWithTwo) {
  for (const BadCase& bad : BadCases()) {
    SCOPED_TRACE(::testing::PrintToString(bad.args));
    std::vector<std::string> argv = {hub::ShimBinaryPath()};
    argv.insert(argv.end(), bad.args.begin(), bad.args.end());
    hub::CommandResult result = hub::RunCommand(argv, hub::milliseconds(5000));
    ASSERT_FALSE(result.timed_out) << result.err;
    EXPECT_EQ(result.exit_code(), kBadUsageExitCode);
    EXPECT_EQ(result.out, "");
    EXPECT_THAT(result.err, HasSubstr(bad.names));
    ASSERT_FALSE(result.err.empty());
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
  }
}

// A good command line with flags among the ids starts the replica: it says
// hello to our port and runs until SIGTERM, then exits 0 and, being
// verbose, prints its counters.
TEST(ShimBinaryFlagsTest, GoodArgumentsRunUntilSigterm) {
  UdpSocket harness;
  std::string error;
  ASSERT_TRUE(harness.Open(0, &error)) << error;
  std::string dir = hub::TestOutputDir();
  hub::Process replica;
  ASSERT_TRUE(replica.Start(
      {hub::ShimBinaryPath(), "--seed=7", std::to_string(harness.local_port()),
       "--verbose", "0003", "0001"},
      dir + "/flags-good.out", dir + "/flags-good.err", &error))
      << error;

  pollfd pfd = {harness.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "no hello within 5 s";
  char buffer[1024];
  uint16_t from = 0;
  int receive_error = 0;
  ssize_t size = harness.Receive(buffer, sizeof(buffer), &from, &receive_error);
  ASSERT_GT(size, 0);
  EXPECT_THAT(std::string(buffer, size), HasSubstr("\"0003\""));

  EXPECT_TRUE(replica.Running());
  ASSERT_TRUE(replica.Terminate(hub::milliseconds(5000)));
  EXPECT_TRUE(replica.ExitedWith(0));
  std::string err = hub::ReadWholeFile(dir + "/flags-good.err");
  EXPECT_THAT(err, HasSubstr("counters: "));
  EXPECT_THAT(err, HasSubstr("seed 7"));
}

}  // namespace
}  // namespace stepwise

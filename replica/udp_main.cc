// 3700kvstore <port> <id> <id of another replica> [...] [--verbose]
//             [--seed=N]
//
// One Raft replica on UDP, as the grading harness runs it (see
// shared/harness-protocol.md). It never exits on its own: only SIGTERM (or
// SIGINT) ends it, with status 0.

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <exception>
#include <string>
#include <vector>

#include "replica/rng.h"
#include "replica/shim.h"
#include "replica/shim_flags.h"
#include "replica/udp_transport.h"

namespace {

volatile sig_atomic_t g_stop = 0;

void OnStopSignal(int) { g_stop = 1; }

// The shim is a driver, not the core: it may seed from real entropy. The id
// keeps replicas started in the same microsecond apart.
uint64_t DefaultSeed(stepwise::NodeId id) {
  uint64_t clock = static_cast<uint64_t>(stepwise::MonotonicMicros());
  return stepwise::Rng::Derive(clock ^ (static_cast<uint64_t>(getpid()) << 32),
                               id);
}

int RunShim(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  stepwise::ShimFlags flags;
  std::string error;
  if (!stepwise::ParseShimFlags(args, &flags, &error)) {
    fprintf(stderr, "3700kvstore: %s\n", error.c_str());
    return stepwise::kBadUsageExitCode;
  }

  // SIGTERM and SIGINT stay blocked except inside ppoll(), which then
  // returns EINTR: no window where a signal is set but we sleep anyway.
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigset_t wait_mask;
  sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the wait must end
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  stepwise::UdpSocket socket;
  if (!socket.Open(0, &error)) {
    fprintf(stderr, "3700kvstore %s: %s\n",
            stepwise::FormatNodeId(flags.id).c_str(), error.c_str());
    return 1;
  }
  uint64_t seed = flags.seed ? *flags.seed : DefaultSeed(flags.id);
  FILE* log = flags.verbose ? stderr : nullptr;
  stepwise::Shim shim(flags, seed, std::move(socket),
                      stepwise::MonotonicMicros(), log);
  if (!shim.SendHello() && log != nullptr) {
    fprintf(log, "3700kvstore: the hello could not be sent; carrying on\n");
  }
  shim.Run(g_stop, wait_mask);
  if (log != nullptr) {
    fprintf(log, "3700kvstore %s: counters: %s\n",
            stepwise::FormatNodeId(flags.id).c_str(),
            stepwise::FormatCounters(shim.counters()).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return RunShim(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "3700kvstore: fatal: %s\n", e.what());
  } catch (...) {
    fprintf(stderr, "3700kvstore: fatal: unknown exception\n");
  }
  return 1;
}

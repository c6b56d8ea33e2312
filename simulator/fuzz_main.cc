// bazel run //simulator:fuzz -- [--seeds=N] [--start=S] [--out=DIR]
//                                [--shrink-runs=N]
//
// Swarm fuzzing: seed S..S+N-1 each generate a whole scenario
// (simulator/swarm.h), run it in virtual time with every check on, and judge
// it (simulator/fuzz_case.h). A failing scenario is written to DIR, shrunk,
// and the shrunk one written next to it with the one-line replay command.
// Progress goes to stderr. Exit status: 0 when every seed passed, 1 when
// one failed, 2 for a bad flag.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/cli_util.h"
#include "simulator/fuzz_case.h"
#include "simulator/liveness.h"
#include "simulator/replica_node.h"
#include "simulator/scenario_writer.h"
#include "simulator/shrink.h"
#include "simulator/swarm.h"

namespace stepwise::sim {
namespace {

constexpr char kUsage[] =
    "usage: fuzz [--seeds=N] [--start=S] [--out=DIR] [--shrink-runs=N]\n"
    "  --seeds        how many seeds to run (default 100)\n"
    "  --start        the first seed (default 1)\n"
    "  --out          where failing scenarios are written (default "
    "fuzz-failures)\n"
    "  --shrink-runs  simulations allowed per shrink (default 300; 0: none)\n"
    "  --emit         only write each seed's scenario to --out, run nothing\n";

struct Options {
  uint64_t seeds = 100;
  uint64_t start = 1;
  std::string out = "fuzz-failures";
  uint64_t shrink_runs = 300;
  bool emit = false;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "fuzz: %s (see --help)\n", message.c_str());
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--emit") {
      o.emit = true;
      continue;
    }
    size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    if (eq == std::string_view::npos || eq + 1 == arg.size()) {
      UsageError(name.rfind("--", 0) == 0
                     ? name + ": expected " + name + "=VALUE"
                     : "unexpected argument '" + name + "'");
    }
    std::string value(arg.substr(eq + 1));
    auto number = [&](uint64_t* out) {
      if (!ParseUint64(value, out)) {
        UsageError(name + ": expected an integer >= 0, got '" + value + "'");
      }
    };
    if (name == "--seeds") {
      number(&o.seeds);
    } else if (name == "--start") {
      number(&o.start);
    } else if (name == "--shrink-runs") {
      number(&o.shrink_runs);
    } else if (name == "--out") {
      o.out = value;
    } else {
      UsageError("unknown flag " + name);
    }
  }
  if (o.seeds == 0) UsageError("--seeds: expected at least 1");
  return o;
}

std::string Describe(const Scenario& s) {
  return std::to_string(s.replicas) + " replicas, " +
         std::to_string(s.events.size()) + " events, " +
         std::to_string(s.requests) + " requests";
}

// Writes the scenario; returns the path as the user should type it.
std::string Save(const Options& o, const std::string& name, const Scenario& s) {
  std::filesystem::create_directories(ResolveUserPath(o.out));
  std::string path = o.out + "/" + name;
  std::ofstream file(ResolveUserPath(path), std::ios::trunc);
  file << FormatScenario(s);
  if (!file) UsageError("--out: cannot write '" + path + "'");
  return path;
}

// How close the runs came to their liveness bound (LongestJudgedWait), over
// the runs where liveness was judged: failures are rare, and a change that
// makes recovery slower shows here first.
class WaitSummary {
 public:
  void Add(uint64_t seed, Micros wait, Micros bound) {
    waits_.push_back(wait);
    if (2 * wait > bound) ++over_half_;
    if (wait > worst_) {
      worst_ = wait;
      worst_seed_ = seed;
    }
  }

  void Print(uint64_t runs) {
    if (waits_.empty()) {
      std::printf("liveness: judged in none of %llu runs\n",
                  static_cast<unsigned long long>(runs));
      return;
    }
    std::sort(waits_.begin(), waits_.end());
    auto at = [&](double q) {  // nearest rank
      size_t rank = static_cast<size_t>(q * waits_.size());
      return waits_[std::min(rank, waits_.size() - 1)] / 1e6;
    };
    std::printf(
        "liveness: judged in %zu of %llu runs; the longest wait of a judged "
        "request: median %.2f s, 99th percentile %.2f s, 99.9th %.2f s, "
        "worst %.2f s (seed %llu); %d runs waited over half their bound\n",
        waits_.size(), static_cast<unsigned long long>(runs), at(0.5), at(0.99),
        at(0.999), worst_ / 1e6, static_cast<unsigned long long>(worst_seed_),
        over_half_);
  }

 private:
  std::vector<Micros> waits_;
  int over_half_ = 0;
  Micros worst_ = -1;
  uint64_t worst_seed_ = 0;
};

class Progress {
 public:
  explicit Progress(uint64_t total)
      : total_(total), tty_(isatty(STDERR_FILENO) != 0) {}

  void Update(uint64_t done, int failed, int undecided, bool last) {
    const double elapsed = Elapsed();
    if (!last && elapsed - shown_ < (tty_ ? 0.2 : 5.0)) return;
    shown_ = elapsed;
    std::fprintf(stderr,
                 "%s[%llu/%llu] %.1f s, %.1f seeds/s, %d failed, %d "
                 "undecided%s",
                 tty_ ? "\r" : "", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_), elapsed,
                 elapsed > 0 ? done / elapsed : 0.0, failed, undecided,
                 tty_ && !last ? "" : "\n");
  }
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  const uint64_t total_;
  const bool tty_;
  const std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  double shown_ = -1e9;
};

int Main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  if (o.emit) {
    for (uint64_t seed = o.start; seed < o.start + o.seeds; ++seed) {
      Scenario scenario = GenerateSwarmScenario(seed);
      std::string name = "swarm-" + std::to_string(seed) + ".json";
      std::printf("%s\n", Save(o, name, scenario).c_str());
    }
    return 0;
  }
  const NodeFactory factory = ReplicaNodeFactory();
  Progress progress(o.seeds);
  int failed = 0, undecided = 0;
  uint64_t operations = 0;
  WaitSummary waits;
  for (uint64_t i = 0; i < o.seeds; ++i) {
    const uint64_t seed = o.start + i;
    Scenario scenario = GenerateSwarmScenario(seed);
    scenario.path = "swarm-" + std::to_string(seed) + ".json";
    FuzzOutcome outcome = RunFuzzCase(scenario, factory);
    operations += outcome.run.history.operations.size();
    if (std::optional<Micros> wait = LongestJudgedWait(scenario, outcome.run)) {
      waits.Add(seed, *wait, Scenario::ToMicros(*scenario.liveness_bound));
    }
    if (outcome.undecided) ++undecided;
    if (outcome.Failed()) {
      ++failed;
      const FuzzFailure& first = outcome.failures.front();
      if (isatty(STDERR_FILENO)) std::fputc('\n', stderr);
      std::printf("FAIL seed %llu: %s: %s\n",
                  static_cast<unsigned long long>(seed), first.kind.c_str(),
                  first.detail.c_str());
      std::string path = Save(o, scenario.path, scenario);
      std::printf("  generated: %s (%s)\n", path.c_str(),
                  Describe(scenario).c_str());
      std::string replay = path;
      if (o.shrink_runs > 0) {
        const std::string kind = first.kind;
        ShrinkResult shrunk = Shrink(
            scenario,
            [&](const Scenario& candidate) {
              return RunFuzzCase(candidate, factory).Has(kind);
            },
            static_cast<int>(o.shrink_runs));
        replay = Save(o, "swarm-" + std::to_string(seed) + "-shrunk.json",
                      shrunk.scenario);
        std::printf("  shrunk:    %s (%s; %d runs)\n", replay.c_str(),
                    Describe(shrunk.scenario).c_str(), shrunk.runs);
      }
      std::printf("  replay:    bazel run //simulator -- %s\n", replay.c_str());
      std::fflush(stdout);
    }
    progress.Update(i + 1, failed, undecided, i + 1 == o.seeds);
  }
  waits.Print(o.seeds);
  std::printf(
      "%llu seeds (%llu..%llu), %d failed, %d undecided, %llu client "
      "operations checked, %.1f s\n",
      static_cast<unsigned long long>(o.seeds),
      static_cast<unsigned long long>(o.start),
      static_cast<unsigned long long>(o.start + o.seeds - 1), failed, undecided,
      static_cast<unsigned long long>(operations), progress.Elapsed());
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace stepwise::sim

int main(int argc, char** argv) { return stepwise::sim::Main(argc, argv); }

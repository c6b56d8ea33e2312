// bazel run //simulator -- SCENARIO [--seed=N] [--trace=FILE] [--json]
//                                    [--live [--binary=PATH]]
//
// Runs a scenario in virtual time (or, with --live, against real 3700kvstore
// processes) and prints the report in the harness's words. Exit status: 0
// when every correctness check passed, 1 when one failed, 2 for a bad
// command line or a bad scenario.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "analysis/html_from_trace.h"
#include "simulator/cli_util.h"
#include "simulator/live/live_run.h"
#include "simulator/replica_node.h"
#include "simulator/report.h"
#include "simulator/safety.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace stepwise::sim {
namespace {

constexpr char kUsage[] =
    "usage: simulator SCENARIO.json [--seed=N] [--trace=FILE] [--html=FILE] "
    "[--json] [--live [--binary=PATH]]\n";

struct Options {
  std::string scenario;
  std::optional<uint64_t> seed;
  std::string trace;
  std::string html;
  bool json = false;
  bool live = false;
  std::string binary;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "simulator: %s\n", message.c_str());
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
    if (arg.substr(0, 2) != "--") {
      if (!o.scenario.empty()) {
        UsageError("unexpected argument '" + std::string(arg) +
                   "' (one scenario file only)");
      }
      o.scenario = std::string(arg);
      continue;
    }
    size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
    auto need_value = [&]() -> std::string {
      if (!value || value->empty())
        UsageError(name + ": expected " + name + "=VALUE");
      return *value;
    };
    auto no_value = [&] {
      if (value) UsageError(name + ": takes no value");
    };
    if (name == "--seed") {
      uint64_t seed;
      if (!ParseUint64(need_value(), &seed)) {
        UsageError("--seed: expected an integer >= 0, got '" + *value + "'");
      }
      o.seed = seed;
    } else if (name == "--trace") {
      o.trace = need_value();
    } else if (name == "--html") {
      o.html = need_value();
    } else if (name == "--json") {
      no_value();
      o.json = true;
    } else if (name == "--live") {
      no_value();
      o.live = true;
    } else if (name == "--binary") {
      o.binary = need_value();
    } else {
      UsageError("unknown flag " + name);
    }
  }
  if (o.scenario.empty()) UsageError("missing the scenario file");
  if (!o.binary.empty() && !o.live) UsageError("--binary: only with --live");
  return o;
}

// The run's report as a page (analysis/html_from_trace.h).
// `name` names the trace in the page and in errors.
bool WriteHtml(const std::string& trace_path, const std::string& name,
               const std::string& html_path) {
  std::ifstream in(trace_path, std::ios::binary);
  std::string html;
  std::string error = analysis::RenderHtmlFromTrace(in, name, &html);
  if (!error.empty()) {
    std::fprintf(stderr, "simulator: --html: %s\n", error.c_str());
    return false;
  }
  std::ofstream out(ResolveUserPath(html_path),
                    std::ios::binary | std::ios::trunc);
  out << html;
  if (!out) {
    std::fprintf(stderr, "simulator: --html: cannot write '%s'\n",
                 html_path.c_str());
    return false;
  }
  std::fprintf(stderr, "report written to %s\n", html_path.c_str());
  return true;
}

int Main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  ParseResult parsed = LoadScenario(ResolveUserPath(o.scenario));
  if (!parsed.ok) {
    // The error names the file as the user gave it.
    std::string error = parsed.error;
    std::string resolved = ResolveUserPath(o.scenario);
    if (error.compare(0, resolved.size(), resolved) == 0) {
      error = o.scenario + error.substr(resolved.size());
    }
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  Scenario scenario = parsed.scenario;
  scenario.path = o.scenario;
  const uint64_t seed = o.seed.value_or(scenario.seed.value_or(1));

  // --html reads the run's trace: the --trace file, else a temporary one.
  std::string trace_path = ResolveUserPath(o.trace);
  bool temporary_trace = false;
  if (trace_path.empty() && !o.html.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stepwise-trace-XXXXXX")
            .string();
    int fd = mkstemp(pattern.data());
    if (fd < 0) UsageError("--html: cannot create a temporary trace file");
    close(fd);
    trace_path = pattern;
    temporary_trace = true;
  }
  std::ofstream trace_file;
  if (!trace_path.empty()) {
    trace_file.open(trace_path, std::ios::binary | std::ios::trunc);
    if (!trace_file) UsageError("--trace: cannot write '" + o.trace + "'");
  }
  std::ostream* trace = trace_path.empty() ? nullptr : &trace_file;

  std::string replay = "bazel run //simulator -- " + o.scenario +
                       " --seed=" + std::to_string(seed) +
                       (o.live ? " --live" : "");
  RunResult run;
  const auto wall_start = std::chrono::steady_clock::now();
  uint64_t events = 0;
  if (o.live) {
    std::string error;
    std::optional<RunResult> live = RunLive(
        scenario, seed, ResolveUserPath(o.binary), argv[0], trace, &error);
    if (!live) {
      std::fprintf(stderr, "simulator: --live: %s\n", error.c_str());
      return 2;
    }
    run = *live;
    CheckFinishedRun(scenario, &run);
  } else {
    run = SimulateChecked(scenario, seed, ReplicaNodeFactory(), trace, &events);
  }
  const double wall = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - wall_start)
                          .count();
  if (trace_file.is_open()) trace_file.close();
  if (!o.html.empty() &&
      !WriteHtml(trace_path,
                 temporary_trace ? "the run's trace (not kept)" : o.trace,
                 o.html)) {
    return 2;
  }
  if (temporary_trace) std::filesystem::remove(trace_path);

  Report report = Evaluate(scenario, run);
  std::string text = o.json ? FormatJson(scenario, run, report, replay)
                            : FormatText(scenario, run, report, replay);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (!o.live) {
    // Wall-clock figures go to stderr: stdout stays a function of the seed.
    std::fprintf(
        stderr, "simulated %.3f s in %.3f s of wall time (%llu events)\n",
        run.end_time / 1e6, wall, static_cast<unsigned long long>(events));
  }
  return report.passed ? 0 : 1;
}

}  // namespace
}  // namespace stepwise::sim

int main(int argc, char** argv) { return stepwise::sim::Main(argc, argv); }

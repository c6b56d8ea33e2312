// bazel run -c opt //analysis:bench -- [--seeds=N] [--start=S]
//     [--configs=DIR_OR_FILES] [CONFIG...] [--live [--binary=PATH]]
//     [--markdown] [--html=FILE]
//
// The tier table: every config (default: all of scenarios/course/) run over
// seeds S..S+N-1 (default 1..20) in the simulator with the real replica, or
// with --live against real 3700kvstore processes; per config and metric the
// median and the worst over seeds and the tiers they reach, then how many of
// the config x metric cells reach Bonus / Full against the best attainable.
// Progress goes to stderr, the table to stdout. Exit status: 0 when every
// correctness check passed on every seed, 1 when one failed, 2 for a bad
// command line, a bad config or a live run that could not start.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/bench/table_format.h"
#include "analysis/bench/tier_html.h"
#include "analysis/bench/tier_table.h"
#include "simulator/cli_util.h"
#include "simulator/live/live_run.h"
#include "simulator/replica_node.h"
#include "simulator/report.h"
#include "simulator/safety.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace stepwise::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "usage: bench [--seeds=N] [--start=S] [--configs=DIR_OR_FILES[,...]] "
    "[CONFIG...]\n"
    "             [--live [--binary=PATH]] [--markdown] [--html=FILE]\n"
    "Runs each config (default: every file in scenarios/course/) over seeds\n"
    "S..S+N-1 (default 1..20; 1..1 with --live, where each run takes the\n"
    "config's real time, ~37 s) and prints the tier table.\n";
constexpr char kDefaultConfigs[] = "scenarios/course";
constexpr uint64_t kDefaultSeeds = 20;
constexpr uint64_t kDefaultLiveSeeds = 1;

struct Options {
  std::vector<std::string> configs;  // files or directories, as given
  std::optional<uint64_t> seeds;
  uint64_t start = 1;
  bool live = false;
  std::string binary;
  bool markdown = false;
  std::string html;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "bench: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

using sim::ParseUint64;

std::string Resolve(const std::string& path) {
  return sim::ResolveUserPath(path);
}

void SplitInto(const std::string& list, std::vector<std::string>* out) {
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t comma = list.find(',', begin);
    if (comma == std::string::npos) comma = list.size();
    if (comma > begin) out->push_back(list.substr(begin, comma - begin));
    begin = comma + 1;
  }
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
      // More configs, e.g. after --configs=a.json b.json.
      o.configs.emplace_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name(arg.substr(0, eq));
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
    auto need_value = [&]() -> std::string {
      if (!value || value->empty()) {
        UsageError(name + ": expected " + name + "=VALUE");
      }
      return *value;
    };
    auto no_value = [&] {
      if (value) UsageError(name + ": takes no value");
    };
    if (name == "--seeds") {
      uint64_t n;
      if (!ParseUint64(need_value(), &n) || n == 0) {
        UsageError("--seeds: expected an integer >= 1, got '" + *value + "'");
      }
      o.seeds = n;
    } else if (name == "--start") {
      if (!ParseUint64(need_value(), &o.start)) {
        UsageError("--start: expected an integer >= 0, got '" + *value + "'");
      }
    } else if (name == "--configs") {
      SplitInto(need_value(), &o.configs);
    } else if (name == "--live") {
      no_value();
      o.live = true;
    } else if (name == "--binary") {
      o.binary = need_value();
    } else if (name == "--markdown") {
      no_value();
      o.markdown = true;
    } else if (name == "--html") {
      o.html = need_value();
    } else {
      UsageError("unknown flag " + name);
    }
  }
  if (!o.binary.empty() && !o.live) UsageError("--binary: only with --live");
  if (o.seeds && o.start > UINT64_MAX - (*o.seeds - 1)) {
    UsageError("--start: the last seed would overflow");
  }
  return o;
}

struct ConfigFile {
  std::string shown;  // as the user would name it
  std::string path;   // where to read it
};

// Directories expand to their *.json files, sorted by name. The default
// directory falls back to the runfiles copy when the working directory has
// none (e.g. run from outside the repository).
std::vector<ConfigFile> ListConfigs(const Options& o) {
  std::vector<std::string> given = o.configs;
  const bool by_default = given.empty();
  if (by_default) given.push_back(kDefaultConfigs);
  std::vector<ConfigFile> files;
  for (const std::string& item : given) {
    std::string path = Resolve(item);
    std::error_code ec;
    if (by_default && !fs::is_directory(path, ec)) path = item;
    if (fs::is_directory(path, ec)) {
      std::vector<ConfigFile> in_dir;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() != ".json") continue;
        const std::string leaf = entry.path().filename().string();
        in_dir.push_back(
            {(fs::path(item) / leaf).string(), entry.path().string()});
      }
      if (ec) UsageError("--configs: cannot list '" + item + "'");
      std::sort(in_dir.begin(), in_dir.end(),
                [](const ConfigFile& a, const ConfigFile& b) {
                  return a.path < b.path;
                });
      if (in_dir.empty())
        UsageError("--configs: no .json file in '" + item + "'");
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back({item, path});
    }
  }
  return files;
}

std::string FailedCheckNames(const sim::Report& report) {
  std::string names;
  for (const sim::Check& check : report.checks) {
    if (check.passed) continue;
    if (!names.empty()) names += "; ";
    names += check.name + " (" + check.detail + ")";
  }
  return names;
}

int Main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const uint64_t seeds =
      o.seeds.value_or(o.live ? kDefaultLiveSeeds : kDefaultSeeds);
  if (o.live && !o.seeds) {
    std::fprintf(stderr,
                 "bench: --live: each run takes the config's real time "
                 "(~37 s for a course config), so 1 seed by default; "
                 "--seeds=N for more\n");
  }

  // Load every config first: a bad one stops the run before it starts.
  std::vector<ConfigFile> files = ListConfigs(o);
  std::vector<sim::Scenario> scenarios;
  std::vector<ConfigSpec> specs;
  for (const ConfigFile& file : files) {
    sim::ParseResult parsed = sim::LoadScenario(file.path);
    if (!parsed.ok) {
      std::string error = parsed.error;
      if (error.compare(0, file.path.size(), file.path) == 0) {
        error = file.shown + error.substr(file.path.size());
      }
      std::fprintf(stderr, "%s\n", error.c_str());
      return 2;
    }
    parsed.scenario.path = file.shown;
    specs.push_back(SpecFromScenario(fs::path(file.shown).stem().string(),
                                     parsed.scenario));
    scenarios.push_back(std::move(parsed.scenario));
  }

  const bool tty = ::isatty(2) == 1;
  const uint64_t last = o.start + seeds - 1;
  const auto wall_start = std::chrono::steady_clock::now();
  std::vector<ConfigRow> rows;
  bool all_passed = true;
  for (size_t k = 0; k < scenarios.size(); ++k) {
    const sim::Scenario& scenario = scenarios[k];
    std::vector<SeedRun> runs;
    for (uint64_t i = 0; i < seeds; ++i) {
      const uint64_t seed = o.start + i;
      if (tty || o.live) {
        std::fprintf(stderr, "%sbench: [%zu/%zu] %s seed %llu (%llu of %llu)%s",
                     tty ? "\r\033[K" : "", k + 1, scenarios.size(),
                     specs[k].name.c_str(),
                     static_cast<unsigned long long>(seed),
                     static_cast<unsigned long long>(i + 1),
                     static_cast<unsigned long long>(seeds), tty ? "" : "\n");
      }
      sim::RunResult run;
      if (o.live) {
        std::string error;
        std::optional<sim::RunResult> live = sim::RunLive(
            scenario, seed, Resolve(o.binary), argv[0], nullptr, &error);
        if (!live) {
          std::fprintf(stderr, "\nbench: --live: %s\n", error.c_str());
          return 2;
        }
        run = *live;
        sim::CheckFinishedRun(scenario, &run);
      } else {
        // Every safety check on: a fast number from an unsafe run is no
        // number.
        run = sim::SimulateChecked(scenario, seed, sim::ReplicaNodeFactory());
      }
      const sim::Report report = sim::Evaluate(scenario, run);
      SeedRun seed_run;
      seed_run.seed = seed;
      seed_run.passed = report.passed;
      seed_run.failed_checks = FailedCheckNames(report);
      for (int m = 0; m < kNumMetrics; ++m) {
        seed_run.values[m] = report.metrics.at(m).value;
      }
      all_passed = all_passed && report.passed;
      runs.push_back(seed_run);
    }
    rows.push_back(SummarizeConfig(specs[k], runs));
    if (!tty && !o.live) {
      std::fprintf(stderr, "bench: [%zu/%zu] %s: seeds %llu..%llu done\n",
                   k + 1, scenarios.size(), specs[k].name.c_str(),
                   static_cast<unsigned long long>(o.start),
                   static_cast<unsigned long long>(last));
    }
  }
  const double wall = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - wall_start)
                          .count();
  std::fprintf(stderr, "%sbench: %zu runs in %.1f s of wall time\n",
               tty ? "\r\033[K" : "", scenarios.size() * seeds, wall);

  const std::string title =
      std::string(o.live ? "Live (real 3700kvstore processes, our C++ hub)"
                         : "Simulated (virtual time, default latency model)") +
      ", seeds " + std::to_string(o.start) + ".." + std::to_string(last);
  std::vector<std::string> notes = {
      SummaryLine(Summarize(rows, Over::kWorst), Over::kWorst),
      SummaryLine(Summarize(rows, Over::kMedian), Over::kMedian)};
  const std::vector<std::string> seeds_short =
      Summarize(rows, Over::kWorst).seeds_short_of_best;
  if (!seeds_short.empty()) {
    std::string line =
        "below the best attainable tier (worst over seeds), with how many "
        "seeds were:";
    for (size_t i = 0; i < seeds_short.size(); ++i) {
      line += (i == 0 ? " " : ", ") + seeds_short[i];
    }
    notes.push_back(line);
  }
  if (o.live) {
    notes.push_back(
        "Live latency is measured through our C++ hub (a few µs per "
        "datagram), not the harness's Python one (~120 µs): lower than the "
        "harness would report.");
  }

  std::string out = o.markdown ? FormatMarkdownTable(rows, title)
                               : FormatTextTable(rows, title);
  out += "\n";
  // In Markdown each note is a list item, not one run-on paragraph.
  for (const std::string& note : notes) {
    out += (o.markdown ? "- " : "") + note + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);

  if (!o.html.empty()) {
    std::ofstream html(Resolve(o.html), std::ios::binary | std::ios::trunc);
    html << RenderTierHtml(rows, title, notes);
    if (!html) {
      std::fprintf(stderr, "bench: --html: cannot write '%s'\n",
                   o.html.c_str());
      return 2;
    }
  }
  return all_passed ? 0 : 1;
}

}  // namespace
}  // namespace stepwise::bench

int main(int argc, char** argv) { return stepwise::bench::Main(argc, argv); }

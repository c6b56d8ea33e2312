// The simulator's speed: course configs run end to end (37 s of virtual
// time, five real stepwise::Replica cores, the hub, the clients, the
// faults) with no trace. Counters: events/s (queue events per wall second),
// sim_s/s (simulated seconds per wall second) and events per run. Run with
//   ./bazelw run -c opt //simulator/bench:sim_bench

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"
#include "simulator/replica_node.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace stepwise::sim {
namespace {

// `bazel run` starts us in the runfiles tree, where //scenarios:course is;
// elsewhere the runfiles are found next to the binary.
Scenario Load(const std::string& name) {
  const std::string rel = "scenarios/course/" + name + ".json";
  std::string candidates[3] = {rel, "", ""};
  if (const char* dir = std::getenv("RUNFILES_DIR")) {
    candidates[1] = std::string(dir) + "/stepwise/" + rel;
  }
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    candidates[2] = std::string(self, n) + ".runfiles/stepwise/" + rel;
  }
  std::string error;
  for (const std::string& path : candidates) {
    if (path.empty()) continue;
    ParseResult parsed = LoadScenario(path);
    if (parsed.ok) return parsed.scenario;
    error = parsed.error;
  }
  std::fprintf(stderr, "sim_bench: %s\n", error.c_str());
  std::exit(2);
}

// Each iteration is one whole run; the seed cycles through 1..20 so the
// figures average over the seeds the tier table uses.
void RunConfig(benchmark::State& state, const std::string& name) {
  const Scenario scenario = Load(name);
  double events = 0;
  double simulated_seconds = 0;
  uint64_t seed = 0;
  for (auto _ : state) {
    Simulation sim(scenario, 1 + seed++ % 20, ReplicaNodeFactory(), nullptr);
    RunResult run = sim.Run();
    benchmark::DoNotOptimize(run.total_messages);
    events += static_cast<double>(sim.events_run());
    simulated_seconds += static_cast<double>(run.end_time) / 1e6;
  }
  state.counters["events/s"] =
      benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["sim_s/s"] =
      benchmark::Counter(simulated_seconds, benchmark::Counter::kIsRate);
  state.counters["events/run"] =
      benchmark::Counter(events, benchmark::Counter::kAvgIterations);
}

#define STEPWISE_SIM_BENCH(label, config)                  \
  BENCHMARK_CAPTURE(RunConfig, label, std::string(config)) \
      ->Unit(benchmark::kMillisecond)                      \
      ->UseRealTime()

// No faults, mostly puts; two leader kills; 15% drops and two leader kills;
// three hard partitions.
STEPWISE_SIM_BENCH(simple_2, "simple-2");
STEPWISE_SIM_BENCH(crash_4, "crash-4");
STEPWISE_SIM_BENCH(advanced_2, "advanced-2");
STEPWISE_SIM_BENCH(advanced_4, "advanced-4");

}  // namespace
}  // namespace stepwise::sim

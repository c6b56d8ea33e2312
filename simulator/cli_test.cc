// The command line, through the real binary: exit codes, one-line errors
// naming the flag or the field, and a byte-identical --trace.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr
};

Result RunBinary(const std::string& binary, const std::string& args,
                 bool with_stderr = true) {
  std::string cmd =
      binary + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Result RunCli(const std::string& args, bool with_stderr = true) {
  return RunBinary("simulator/simulator", args, with_stderr);
}

Result RunFuzz(const std::string& args) {
  return RunBinary("simulator/fuzz", args);
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CliTest, BadFlagsAreOneLineNamingTheFlagExit2) {
  Result r = RunCli("scenarios/partition.json --sed=3");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "simulator: unknown flag --sed\n");
  r = RunCli("scenarios/partition.json --seed=abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "simulator: --seed: expected an integer >= 0, got 'abc'\n");
  r = RunCli("scenarios/partition.json --json=yes");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "simulator: --json: takes no value\n");
  r = RunCli("--seed=1");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "simulator: missing the scenario file\n");
}

TEST(CliTest, BadScenarioIsOneLineNamingTheFieldExit2) {
  std::string path = TempPath("bad.json");
  std::ofstream(path) << R"({"lifetime": 30, "replicas": 5, "requests": 10,
      "events": [{"type": "part_end", "time": 1}, {"type": "part_end", "time": 2},
                 {"type": "kill_leader", "time": "soon"}],
      "tests": {"benchmarks": {"total_msgs": [1,2,3], "failures": [1,2,3],
                "duplicates": [1,2,3], "median_latency": [1,2,3]}}})";
  Result r = RunCli(path);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, path + ": events[2].time: expected a number >= 0\n");
}

TEST(CliTest, PassingRunExits0WithReportSeedAndReplay) {
  Result r = RunCli("scenarios/partition.json --seed=5", /*with_stderr=*/false);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Seed 5;"), std::string::npos);
  EXPECT_NE(r.out.find("All correctness checks passed"), std::string::npos);
  EXPECT_NE(r.out.find("* Median response latency: "), std::string::npos);
  EXPECT_NE(
      r.out.find("Replay: bazel run //simulator -- scenarios/partition.json "
                 "--seed=5\n"),
      std::string::npos);
}

TEST(CliTest, JsonOutputParses) {
  Result r = RunCli("scenarios/course/simple-1.json --json", false);
  EXPECT_EQ(r.code, 0);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["seed"], 1);  // no seed anywhere: 1
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["metrics"].size(), 4u);
}

TEST(CliTest, TraceIsByteIdenticalForTheSameSeed) {
  std::string a = TempPath("a.jsonl"), b = TempPath("b.jsonl"),
              c = TempPath("c.jsonl");
  RunCli("scenarios/partition.json --seed=3 --trace=" + a, false);
  RunCli("scenarios/partition.json --seed=3 --trace=" + b, false);
  RunCli("scenarios/partition.json --seed=4 --trace=" + c, false);
  std::string ta = ReadFile(a);
  EXPECT_GT(ta.size(), 100000u);
  EXPECT_TRUE(ta == ReadFile(b));
  EXPECT_FALSE(ta == ReadFile(c));
  // Every line is a JSON object.
  std::istringstream in(ta);
  int lines = 0;
  for (std::string line; std::getline(in, line) && lines < 2000; ++lines) {
    ASSERT_TRUE(nlohmann::json::parse(line, nullptr, false).is_object())
        << line;
  }
}

TEST(CliTest, AFailingRunExits1) {
  std::string path = TempPath("unanswerable.json");
  // Everything dropped: nothing can commit, puts go unanswered.
  std::ofstream(path) << R"({"lifetime": 3, "replicas": 3, "requests": 30,
      "mix": 0.2, "drops": 1, "start_wait": 1,
      "tests": {"benchmarks": {"total_msgs": [1,2,3], "failures": [1,2,3],
                "duplicates": [1,2,3], "median_latency": [1,2,3]}}})";
  Result r = RunCli(path, false);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("* FAIL "), std::string::npos);
}

TEST(CliTest, HtmlWritesTheRunReport) {
  const std::string html = TempPath("partition.html");
  Result r = RunCli("scenarios/partition.json --html=" + html);
  EXPECT_EQ(r.code, 0) << r.out;
  const std::string page = ReadFile(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("Linearizable"), std::string::npos);
  EXPECT_NE(page.find("part_hard"), std::string::npos);
}

TEST(FuzzCliTest, BadFlagsAreOneLineNamingTheFlagExit2) {
  Result r = RunFuzz("--seeds=abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out,
            "fuzz: --seeds: expected an integer >= 0, got 'abc' (see "
            "--help)\n");
  r = RunFuzz("--sedes=3");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "fuzz: unknown flag --sedes (see --help)\n");
  r = RunFuzz("--seeds=0");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "fuzz: --seeds: expected at least 1 (see --help)\n");
}

TEST(FuzzCliTest, RunsSeedsAndSummarizes) {
  Result r = RunFuzz("--seeds=3 --start=11 --out=" + TempPath("fuzz-out"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("3 seeds (11..13), 0 failed, 0 undecided"),
            std::string::npos)
      << r.out;
  // How close the runs came to their liveness bound.
  EXPECT_NE(r.out.find("liveness: judged in 3 of 3 runs; the longest wait of "
                       "a judged request: median "),
            std::string::npos)
      << r.out;
}

TEST(FuzzCliTest, EmittedScenariosReplayWithTheSimulator) {
  const std::string dir = TempPath("emitted");
  Result r = RunFuzz("--emit --seeds=2 --start=5 --out=" + dir);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, dir + "/swarm-5.json\n" + dir + "/swarm-6.json\n");
  r = RunCli(dir + "/swarm-6.json --json", /*with_stderr=*/false);
  EXPECT_EQ(r.code, 0) << r.out;
  nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["seed"], 6);
  EXPECT_EQ(report["history"], "linearizable");
}

}  // namespace

// bazel run //analysis:report -- TRACE.jsonl [-o REPORT.html] [--budget_ms=N]
//
// Turns a simulator trace (simulator --trace=FILE, simulated or --live)
// into one self-contained HTML report, with the clients' history checked
// for linearizability (within N ms, 2000 by default; 0 = no limit). Exit
// status: 0 written, 1 the report could not be written, 2 a bad command
// line or a bad trace (the message names the line).

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include "analysis/html_from_trace.h"

namespace stepwise::analysis {
namespace {

constexpr char kUsage[] =
    "usage: report TRACE.jsonl [-o REPORT.html] [--budget_ms=N]\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "report: %s\n%s", message.c_str(), kUsage);
  return 2;
}

// `bazel run` changes the working directory; paths on the command line are
// meant relative to where the user typed it.
std::string Resolve(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (cwd == nullptr || *cwd == '\0') return path;
  return std::string(cwd) + "/" + path;
}

std::string DefaultOutput(const std::string& trace) {
  std::string base = trace;
  const std::string ext = ".jsonl";
  if (base.size() > ext.size() &&
      base.compare(base.size() - ext.size(), ext.size(), ext) == 0) {
    base.resize(base.size() - ext.size());
  }
  return base + ".html";
}

int Main(int argc, char** argv) {
  std::string trace, output;
  TraceReportOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "-o" || arg == "--output") {
      if (i + 1 >= argc) return UsageError("-o: expected a file name");
      output = argv[++i];
    } else if (arg.substr(0, 9) == "--output=") {
      output = std::string(arg.substr(9));
    } else if (arg.substr(0, 12) == "--budget_ms=") {
      const std::string_view v = arg.substr(12);
      int64_t ms = -1;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc() || end != v.data() + v.size() || ms < 0) {
        return UsageError("--budget_ms: expected an integer >= 0");
      }
      options.check_budget = std::chrono::milliseconds(ms);
    } else if (!arg.empty() && arg[0] == '-') {
      return UsageError("unknown flag " + std::string(arg));
    } else if (trace.empty()) {
      trace = std::string(arg);
    } else {
      return UsageError("unexpected argument '" + std::string(arg) + "'");
    }
  }
  if (trace.empty()) return UsageError("missing the trace file");
  if (output.empty()) output = DefaultOutput(trace);

  std::ifstream in(Resolve(trace), std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "report: %s: cannot open\n", trace.c_str());
    return 2;
  }
  // Errors name the file as the user typed it, not as resolved.
  std::string html;
  const std::string error = RenderHtmlFromTrace(in, trace, &html, options);
  if (!error.empty()) {
    std::fprintf(stderr, "report: %s\n", error.c_str());
    return 2;
  }
  std::ofstream out(Resolve(output), std::ios::binary);
  out << html;
  out.close();
  if (!out) {
    std::fprintf(stderr, "report: %s: cannot write\n", output.c_str());
    return 1;
  }
  std::fprintf(stderr, "report: wrote %s (%zu bytes)\n", output.c_str(),
               html.size());
  return 0;
}

}  // namespace
}  // namespace stepwise::analysis

int main(int argc, char** argv) {
  try {
    return stepwise::analysis::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "report: %s\n", e.what());
    return 2;
  }
}

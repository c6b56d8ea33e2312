// Replays every seed and every saved crash through the fuzz targets' checks
// with the normal toolchain, so regressions stay fixed without clang. A
// target aborts on a broken property, which fails this test; the file being
// replayed is logged first, so the log names the culprit.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzzing/codec_fuzz.h"
#include "fuzzing/scenario_fuzz.h"
#include "gtest/gtest.h"

namespace stepwise::fuzzing {
namespace {

namespace fs = std::filesystem;
using FuzzFunction = int (*)(const uint8_t*, size_t);

fs::path DataDir(const std::string& relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return fs::path(srcdir == nullptr ? "." : srcdir) / "stepwise" / "fuzzing" /
         relative;
}

// Feeds each file of `relative` (sorted, dotfiles skipped) to `fuzz`;
// returns how many there were. A missing directory has none.
int Replay(const std::string& relative, FuzzFunction fuzz) {
  fs::path dir = DataDir(relative);
  if (!fs::is_directory(dir)) return 0;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind('.', 0) == 0) continue;
    if (fs::is_regular_file(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::fprintf(stderr, "replaying %s/%s\n", relative.c_str(),
                 file.filename().string().c_str());
    std::fflush(stderr);
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    fuzz(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  return static_cast<int>(files.size());
}

TEST(ReplayTest, CodecCorpus) {
  // Every message type, valid and malformed (see corpus/codec).
  EXPECT_GE(Replay("corpus/codec", FuzzCodec), 20);
}

TEST(ReplayTest, CodecRegressions) { Replay("regressions/codec", FuzzCodec); }

TEST(ReplayTest, ScenarioCorpus) {
  EXPECT_GE(Replay("corpus/scenario", FuzzScenario), 6);
}

TEST(ReplayTest, ScenarioRegressions) {
  EXPECT_GE(Replay("regressions/scenario", FuzzScenario), 1);
}

}  // namespace
}  // namespace stepwise::fuzzing

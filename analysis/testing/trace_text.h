#ifndef STEPWISE_ANALYSIS_TESTING_TRACE_TEXT_H_
#define STEPWISE_ANALYSIS_TESTING_TRACE_TEXT_H_

// For tests that write a trace inline: its events, read as the report
// reads a file (a test failure if the text is not a valid trace).

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "analysis/trace_reader.h"

namespace stepwise::analysis {

inline std::vector<TraceEvent> ReadTraceText(const std::string& text) {
  std::istringstream in(text);
  ReadResult r = ReadTrace(in, "test.jsonl");
  EXPECT_TRUE(r.ok()) << r.error;
  return r.events;
}

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_TESTING_TRACE_TEXT_H_

#ifndef STEPWISE_ANALYSIS_TESTING_COUNT_OCCURRENCES_H_
#define STEPWISE_ANALYSIS_TESTING_COUNT_OCCURRENCES_H_

// For tests of generated text (HTML reports, tables): how many times a
// fragment occurs, overlapping occurrences included.

#include <cstddef>
#include <string_view>

namespace stepwise {

inline size_t CountOccurrences(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace stepwise

#endif  // STEPWISE_ANALYSIS_TESTING_COUNT_OCCURRENCES_H_

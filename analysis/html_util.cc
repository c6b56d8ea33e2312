#include "analysis/html_util.h"

#include <cstdio>

namespace stepwise::analysis {

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Printf(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string FormatUs(int64_t us) {
  const int64_t a = us < 0 ? -us : us;
  if (a >= 1'000'000) return Printf("%.3f s", static_cast<double>(us) / 1e6);
  if (a >= 1'000) return Printf("%.3f ms", static_cast<double>(us) / 1e3);
  return std::to_string(us) + " µs";
}

std::string NodeName(int node) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04X", static_cast<unsigned>(node) & 0xFFFF);
  return buf;
}

}  // namespace stepwise::analysis

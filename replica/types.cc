#include "replica/types.h"

namespace stepwise {

std::string FormatNodeId(NodeId id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(4, '0');
  for (int i = 3; i >= 0; --i) {
    out[i] = kHex[id & 0xF];
    id >>= 4;
  }
  return out;
}

bool ParseNodeId(const std::string& text, NodeId* id) {
  if (text.size() != 4) return false;
  uint32_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    value = value * 16 + digit;
  }
  *id = static_cast<NodeId>(value);
  return true;
}

}  // namespace stepwise

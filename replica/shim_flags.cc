#include "replica/shim_flags.h"

#include <algorithm>
#include <string_view>

namespace stepwise {
namespace {

// Decimal digits only: no sign, no spaces, no "0x"; false on overflow.
bool ParseDecimal(std::string_view text, uint64_t max, uint64_t* value) {
  if (text.empty()) return false;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (result > (max - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

// The protocol's ids are upper-case; we echo ids in upper case, so a
// lower-case id on the command line would never match what the harness
// expects to read back. Reject it instead of failing obscurely later.
bool ParseReplicaId(const std::string& text, NodeId* id) {
  for (char c : text) {
    if (c >= 'a' && c <= 'f') return false;
  }
  return ParseNodeId(text, id) && *id != kNoNode;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

bool ParseShimFlags(const std::vector<std::string>& args, ShimFlags* flags,
                    std::string* error) {
  ShimFlags parsed;
  std::vector<const std::string*> positional;
  for (const std::string& arg : args) {
    std::string_view view(arg);
    if (view == "--verbose") {
      parsed.verbose = true;
    } else if (view.substr(0, 7) == "--seed=") {
      uint64_t seed;
      if (!ParseDecimal(view.substr(7), UINT64_MAX, &seed)) {
        *error = "bad --seed " + Quote(arg) +
                 ": expected --seed=N with N a decimal 64-bit number";
        return false;
      }
      parsed.seed = seed;
    } else if (view.size() > 1 && view[0] == '-' &&
               !(view[1] >= '0' && view[1] <= '9')) {
      // "-5" stays positional so that it is reported as a bad port or id.
      *error = "unknown flag " + Quote(arg) + " (flags: --verbose, --seed=N)";
      return false;
    } else {
      positional.push_back(&arg);
    }
  }

  if (positional.empty()) {
    *error =
        "missing <port> (usage: 3700kvstore <port> <id> <id of another "
        "replica> [...] [--verbose] [--seed=N])";
    return false;
  }
  uint64_t port;
  if (!ParseDecimal(*positional[0], UINT64_MAX, &port)) {
    *error = "bad <port> " + Quote(*positional[0]) + ": not a decimal number";
    return false;
  }
  if (port < 1 || port > 65535) {
    *error = "bad <port> " + Quote(*positional[0]) + ": out of range 1-65535";
    return false;
  }
  parsed.port = static_cast<uint16_t>(port);

  if (positional.size() < 2) {
    *error = "missing <id> after <port>";
    return false;
  }
  if (!ParseReplicaId(*positional[1], &parsed.id)) {
    *error = "bad <id> " + Quote(*positional[1]) +
             ": expected 4 upper-case hex digits, not FFFF";
    return false;
  }

  if (positional.size() < 3) {
    *error =
        "missing <id of another replica>: a replica needs at least one "
        "peer";
    return false;
  }
  for (size_t i = 2; i < positional.size(); ++i) {
    const std::string& text = *positional[i];
    NodeId peer;
    if (!ParseReplicaId(text, &peer)) {
      *error = "bad <id of another replica> " + Quote(text) +
               ": expected 4 upper-case hex digits, not FFFF";
      return false;
    }
    if (peer == parsed.id || std::find(parsed.peers.begin(), parsed.peers.end(),
                                       peer) != parsed.peers.end()) {
      *error = "duplicate replica id " + Quote(text);
      return false;
    }
    parsed.peers.push_back(peer);
  }

  *flags = std::move(parsed);
  return true;
}

}  // namespace stepwise

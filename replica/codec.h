#ifndef STEPWISE_REPLICA_CODEC_H_
#define STEPWISE_REPLICA_CODEC_H_

// JSON <-> typed messages, at the boundary only. The core never sees JSON.
//
// Client and hello messages use the harness's field names exactly
// (src, dst, leader, type, MID, key, value). Replica-to-replica messages are
// ours: see codec.cc for their fields.

#include <string>
#include <string_view>

#include "replica/messages.h"

namespace stepwise {

// The largest datagram the harness may send or accept.
inline constexpr size_t kMaxDatagramBytes = 65535;

// Why a datagram was dropped; one counter each in the shim.
enum class DecodeError {
  kNone = 0,
  kEmpty,         // zero bytes
  kTooLarge,      // more than kMaxDatagramBytes bytes
  kNotJson,       // not valid JSON (binary, truncated, invalid UTF-8, ...)
  kNotObject,     // valid JSON, but not an object
  kMissingField,  // a required field is absent
  kBadField,      // a field has the wrong JSON type or a malformed value
  kUnknownType,   // "type" names no message we know
};
inline constexpr int kNumDecodeErrors = 8;
const char* DecodeErrorName(DecodeError error);

struct DecodeResult {
  DecodeError error = DecodeError::kNone;
  std::string detail;  // human-readable, names the field; empty when ok
  Message message;     // meaningful only when error == kNone
  bool ok() const { return error == DecodeError::kNone; }
};

// Never throws; every failure is reported in the result.
DecodeResult DecodeMessage(std::string_view datagram);

// Always produces one valid JSON object with src, dst, leader and type.
std::string EncodeMessage(const Message& message);

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_CODEC_H_

#ifndef STEPWISE_ANALYSIS_FLAT_JSON_H_
#define STEPWISE_ANALYSIS_FLAT_JSON_H_

// A JSON parser for one line of a trace: an object whose values are
// scalars. A general JSON library builds a tree for every line, and a
// 100,000-request run has well over a million lines; this one only lists
// the line's fields, pointing into the line where it can, several times
// faster. Nested values are accepted (checked and skipped) so that a newer
// writer's fields do not break it, but they are not returned.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace stepwise::analysis {

struct FlatField {
  enum class Kind { kString, kInt, kBigInt, kDouble, kBool, kNull, kNested };
  std::string_view key;
  Kind kind = Kind::kNull;
  std::string_view str;  // kString: the decoded text
  int64_t i = 0;         // kInt
  double d = 0;          // kInt, kBigInt, kDouble: the number
  bool b = false;        // kBool
};

class FlatObject {
 public:
  // Parses `line`, which must outlive the fields. Returns "" or what is
  // wrong, with its byte offset. Repeated keys are all kept, in order.
  std::string Parse(std::string_view line);

  const std::vector<FlatField>& fields() const { return fields_; }
  // The last field named `key` (as most JSON readers keep the last of
  // repeated keys), or null.
  const FlatField* Find(std::string_view key) const;

 private:
  std::vector<FlatField> fields_;
  // Strings with escapes are decoded here; a deque keeps views stable.
  std::deque<std::string> decoded_;
};

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_FLAT_JSON_H_

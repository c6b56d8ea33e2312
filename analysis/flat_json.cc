#include "analysis/flat_json.h"

#include <charconv>
#include <cstdlib>
#include <string>

namespace stepwise::analysis {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(std::string_view s, std::deque<std::string>* decoded)
      : s_(s), decoded_(decoded) {}

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  void Whitespace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                                s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Eat(char c) {
    Whitespace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool AtEnd() {
    Whitespace();
    return pos_ >= s_.size();
  }

  char Peek() {
    Whitespace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }

  // Any problem at the end of the line reads as the line being cut short.
  void Fail(const std::string& what) {
    if (!ok()) return;
    error_ = pos_ >= s_.size() ? "unexpected end (truncated line?)"
                               : what + " at byte " + std::to_string(pos_ + 1);
  }

  // A string, its opening quote next. Views into the line unless escaped.
  std::string_view String() {
    if (!Eat('"')) {
      Fail("expected a string");
      return {};
    }
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\') {
      if (static_cast<unsigned char>(s_[pos_]) < 0x20) {
        Fail("control character in a string");
        return {};
      }
      ++pos_;
    }
    if (pos_ >= s_.size()) {
      Fail("unterminated string");
      return {};
    }
    if (s_[pos_] == '"') {
      return s_.substr(start, pos_++ - start);
    }
    std::string out(s_.substr(start, pos_ - start));
    while (pos_ < s_.size() && s_[pos_] != '"') {
      const char c = s_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) {
        Fail("control character in a string");
        return {};
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = Hex4();
          if (!ok()) return {};
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            const uint32_t low = Hex4();
            if (!ok()) return {};
            cp = low >= 0xDC00 && low < 0xE000
                     ? 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                     : 0xFFFD;
          } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;  // a lone surrogate
          }
          AppendUtf8(cp, &out);
          break;
        }
        default:
          --pos_;
          Fail("bad escape in a string");
          return {};
      }
    }
    if (pos_ >= s_.size()) {
      Fail("unterminated string");
      return {};
    }
    ++pos_;  // the closing quote
    decoded_->push_back(std::move(out));
    return decoded_->back();
  }

  // A scalar or a nested value into `f`.
  void Value(FlatField* f, int depth) {
    const char c = Peek();
    if (c == '"') {
      f->kind = FlatField::Kind::kString;
      f->str = String();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      Number(f);
    } else if (Literal("true")) {
      f->kind = FlatField::Kind::kBool;
      f->b = true;
    } else if (Literal("false")) {
      f->kind = FlatField::Kind::kBool;
      f->b = false;
    } else if (Literal("null")) {
      f->kind = FlatField::Kind::kNull;
    } else if (c == '{' || c == '[') {
      f->kind = FlatField::Kind::kNested;
      Nested(depth + 1);
    } else {
      Fail("expected a value");
    }
  }

 private:
  uint32_t Hex4() {
    if (pos_ + 4 > s_.size()) {
      Fail("bad \\u escape");
      return 0;
    }
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[pos_];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= h - '0';
      } else if (h >= 'a' && h <= 'f') {
        v |= h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        v |= h - 'A' + 10;
      } else {
        Fail("bad \\u escape");
        return 0;
      }
      ++pos_;
    }
    return v;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Literal(std::string_view word) {
    Whitespace();
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  // JSON's number grammar, then the value.
  void Number(FlatField* f) {
    Whitespace();
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      Fail("bad number");
      return;
    }
    bool integer = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      integer = false;
      if (!Digits()) {
        Fail("bad number");
        return;
      }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      integer = false;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!Digits()) {
        Fail("bad number");
        return;
      }
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (integer) {
      const auto [end, ec] =
          std::from_chars(text.data(), text.data() + text.size(), f->i);
      if (ec == std::errc() && end == text.data() + text.size()) {
        f->kind = FlatField::Kind::kInt;
        f->d = static_cast<double>(f->i);
        return;
      }
    }
    f->kind = integer ? FlatField::Kind::kBigInt : FlatField::Kind::kDouble;
    // strtod needs a terminated string; numbers are short.
    f->d = std::strtod(std::string(text).c_str(), nullptr);
  }

  // An object or array, checked and skipped.
  void Nested(int depth) {
    if (depth > kMaxDepth) {
      Fail("values nested too deeply");
      return;
    }
    const bool object = Peek() == '{';
    ++pos_;
    const char close = object ? '}' : ']';
    if (Eat(close)) return;
    while (ok()) {
      if (object) {
        String();
        if (ok() && !Eat(':')) Fail("expected ':'");
        if (!ok()) return;
      }
      FlatField ignored;
      Value(&ignored, depth);
      if (!ok()) return;
      if (Eat(close)) return;
      if (!Eat(',')) Fail("expected ',' or a closing bracket");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::deque<std::string>* decoded_;
  std::string error_;
};

}  // namespace

std::string FlatObject::Parse(std::string_view line) {
  fields_.clear();
  decoded_.clear();
  Parser p(line, &decoded_);
  if (!p.Eat('{')) {
    return p.AtEnd() ? "empty line" : "expected a JSON object";
  }
  if (!p.Eat('}')) {
    while (p.ok()) {
      FlatField f;
      f.key = p.String();
      if (p.ok() && !p.Eat(':')) p.Fail("expected ':'");
      if (!p.ok()) break;
      p.Value(&f, 0);
      if (!p.ok()) break;
      fields_.push_back(f);
      if (p.Eat('}')) break;
      if (!p.Eat(',')) p.Fail("expected ',' or '}'");
    }
  }
  if (p.ok() && !p.AtEnd()) p.Fail("text after the object");
  if (!p.ok()) fields_.clear();
  return p.error();
}

const FlatField* FlatObject::Find(std::string_view key) const {
  for (auto it = fields_.rbegin(); it != fields_.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

}  // namespace stepwise::analysis

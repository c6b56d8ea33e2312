#include "analysis/history.h"

#include <cstdint>
#include <istream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace stepwise {
namespace {

using Json = nlohmann::json;

// "" or what makes this one operation inconsistent on its own.
std::string CheckOperation(const Operation& op) {
  if (op.outcome != Operation::Outcome::kOk) return "";
  if (op.complete == kNever) {
    return "an ok operation must have a complete time";
  }
  if (op.complete < op.invoke) return "complete is before invoke";
  return "";
}

std::string FieldError(const char* field, const char* what) {
  return std::string("field \"") + field + "\": " + what;
}

// Fills `op` from one parsed line; returns "" or the field-level error.
std::string DecodeOperation(const Json& object, Operation* op) {
  if (!object.is_object()) return "expected a JSON object";
  auto find = [&object](const char* name) -> const Json* {
    auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
  };

  const Json* id = find("id");
  if (id == nullptr) return FieldError("id", "missing");
  if (!id->is_number_unsigned()) {
    return FieldError("id", "expected an unsigned integer");
  }
  op->id = id->get<uint64_t>();

  const Json* client = find("client");
  if (client == nullptr) return FieldError("client", "missing");
  if (!client->is_string() ||
      !ParseNodeId(client->get_ref<const std::string&>(), &op->client)) {
    return FieldError("client", "expected 4 hex digits");
  }

  const Json* kind = find("kind");
  if (kind == nullptr) return FieldError("kind", "missing");
  if (*kind == "get") {
    op->kind = Operation::Kind::kGet;
  } else if (*kind == "put") {
    op->kind = Operation::Kind::kPut;
  } else {
    return FieldError("kind", "expected \"get\" or \"put\"");
  }

  const Json* key = find("key");
  if (key == nullptr) return FieldError("key", "missing");
  if (!key->is_string()) return FieldError("key", "expected a string");
  op->key = key->get<std::string>();

  // A get with an unknown outcome carries no value; anything else has one.
  const Json* value = find("value");
  if (value == nullptr) {
    op->value.clear();
  } else if (!value->is_string()) {
    return FieldError("value", "expected a string");
  } else {
    op->value = value->get<std::string>();
  }

  // Times: signed integers. Unsigned ones are fine below 2^63.
  auto read_time = [&](const char* name, Micros* out) -> std::string {
    const Json* field = find(name);
    if (field == nullptr) return FieldError(name, "missing");
    if (field->is_number_unsigned()) {
      uint64_t v = field->get<uint64_t>();
      if (v > static_cast<uint64_t>(INT64_MAX)) {
        return FieldError(name, "out of range");
      }
      *out = static_cast<Micros>(v);
      return "";
    }
    if (!field->is_number_integer()) {
      return FieldError(name, "expected an integer");
    }
    *out = field->get<int64_t>();
    return "";
  };
  if (std::string error = read_time("invoke", &op->invoke); !error.empty()) {
    return error;
  }
  const Json* complete = find("complete");
  if (complete != nullptr && complete->is_null()) {
    op->complete = kNever;
  } else if (std::string error = read_time("complete", &op->complete);
             !error.empty()) {
    return error;
  }

  const Json* outcome = find("outcome");
  if (outcome == nullptr) return FieldError("outcome", "missing");
  if (*outcome == "ok") {
    op->outcome = Operation::Outcome::kOk;
  } else if (*outcome == "unknown") {
    op->outcome = Operation::Outcome::kUnknown;
  } else {
    return FieldError("outcome", "expected \"ok\" or \"unknown\"");
  }
  if (op->outcome == Operation::Outcome::kOk &&
      op->kind == Operation::Kind::kGet && value == nullptr) {
    return FieldError("value", "missing (an ok get returns a value)");
  }
  if (op->kind == Operation::Kind::kPut && value == nullptr) {
    return FieldError("value", "missing (a put writes a value)");
  }

  if (std::string error = CheckOperation(*op); !error.empty()) {
    return FieldError("complete", error.c_str());
  }
  return "";
}

Json EncodeOperation(const Operation& op) {
  Json out = Json::object();
  out["id"] = op.id;
  out["client"] = FormatNodeId(op.client);
  out["kind"] = op.kind == Operation::Kind::kGet ? "get" : "put";
  out["key"] = op.key;
  out["value"] = op.value;
  out["invoke"] = op.invoke;
  if (op.complete == kNever) {
    out["complete"] = nullptr;
  } else {
    out["complete"] = op.complete;
  }
  out["outcome"] = op.outcome == Operation::Outcome::kOk ? "ok" : "unknown";
  return out;
}

// Appends one operation per non-blank line; stops at the first bad one.
std::string ParseLines(std::string_view text, History* history) {
  absl::flat_hash_map<uint64_t, size_t> line_of_id;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

    const std::string prefix = "line " + std::to_string(line_number) + ": ";
    // allow_exceptions = false: a syntax error yields a discarded value.
    Json object = Json::parse(line, nullptr, false);
    if (object.is_discarded()) return prefix + "not valid JSON";
    Operation op;
    if (std::string error = DecodeOperation(object, &op); !error.empty()) {
      return prefix + error;
    }
    auto [it, inserted] = line_of_id.emplace(op.id, line_number);
    if (!inserted) {
      return prefix + "field \"id\": duplicate of line " +
             std::to_string(it->second);
    }
    history->operations.push_back(std::move(op));
  }
  return "";
}

}  // namespace

std::string ValidateHistory(const History& history) {
  absl::flat_hash_map<uint64_t, size_t> seen;
  for (size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    if (std::string error = CheckOperation(op); !error.empty()) {
      return "operation " + std::to_string(op.id) + ": " + error;
    }
    if (!seen.emplace(op.id, i).second) {
      return "operation " + std::to_string(op.id) + ": duplicate id";
    }
  }
  return "";
}

std::string FormatHistory(const History& history) {
  std::string out;
  for (const Operation& op : history.operations) {
    // `replace` keeps dump() from throwing on strings that are not UTF-8.
    out += EncodeOperation(op).dump(-1, ' ', false,
                                    Json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

void WriteHistory(const History& history, std::ostream& out) {
  out << FormatHistory(history);
}

std::string ParseHistory(std::string_view text, History* history) {
  history->operations.clear();
  std::string error = ParseLines(text, history);
  if (!error.empty()) history->operations.clear();
  return error;
}

std::string ReadHistory(std::istream& in, History* history) {
  std::string text{std::istreambuf_iterator<char>(in),
                   std::istreambuf_iterator<char>()};
  if (in.bad()) {
    history->operations.clear();
    return "read error";
  }
  return ParseHistory(text, history);
}

}  // namespace stepwise

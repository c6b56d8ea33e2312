#ifndef STEPWISE_REPLICA_KV_STORE_H_
#define STEPWISE_REPLICA_KV_STORE_H_

#include <map>
#include <string>

#include "replica/messages.h"

namespace stepwise {

// The key-value state machine: committed log entries are applied to it in
// index order, and it answers gets. An ordered map keeps any dump of it
// deterministic.
class KvStore {
 public:
  void Apply(const LogEntry& entry) {
    if (entry.is_put()) data_[entry.key] = entry.value;
  }

  // The value stored under `key`, or "" if none was ever put.
  const std::string& Get(const std::string& key) const {
    static const std::string kEmpty;
    auto it = data_.find(key);
    return it == data_.end() ? kEmpty : it->second;
  }

  size_t size() const { return data_.size(); }
  const std::map<std::string, std::string>& data() const { return data_; }

 private:
  std::map<std::string, std::string> data_;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_KV_STORE_H_

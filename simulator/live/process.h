#ifndef STEPWISE_SIMULATOR_LIVE_PROCESS_H_
#define STEPWISE_SIMULATOR_LIVE_PROCESS_H_

// A replica process, started as the harness starts it: its own process
// group, killed with SIGTERM to that group, never restarted.

#include <sys/types.h>

#include <string>
#include <vector>

namespace stepwise::sim {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILLs the group if it is still running

  // argv[0] is the executable; stdout and stderr go to `log_path`.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             std::string* error);

  // Reaps without blocking. False once the process has exited; `status`
  // then describes how ("exit 1", "signal 11").
  bool Running();
  const std::string& status() const { return status_; }

  // SIGTERM to the process group (what the harness does).
  void Terminate();
  // Waits up to `timeout_ms` for the exit, then SIGKILLs the group.
  void Reap(int timeout_ms);

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string status_;
};

}  // namespace stepwise::sim

#endif  // STEPWISE_SIMULATOR_LIVE_PROCESS_H_

#include "simulator/live/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stepwise::sim {

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool ChildProcess::Start(const std::vector<std::string>& argv,
                         const std::string& log_path, std::string* error) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) {
    *error = "cannot write " + log_path + ": " + std::strerror(errno);
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(log);
    return false;
  }
  if (pid == 0) {
    // The child: its own process group, output to the log, then exec.
    ::setpgid(0, 0);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execv(args[0], args.data());
    _exit(127);
  }
  // Also from the parent, so that a SIGTERM sent right away cannot miss.
  ::setpgid(pid, pid);
  ::close(log);
  pid_ = pid;
  return true;
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exited_ = true;
  if (r < 0) {
    status_ = "lost";
  } else if (WIFEXITED(status)) {
    status_ = "exit " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    status_ = "signal " + std::to_string(WTERMSIG(status));
  } else {
    status_ = "stopped";
  }
  return false;
}

void ChildProcess::Terminate() {
  if (pid_ > 0 && !exited_) ::kill(-pid_, SIGTERM);
}

void ChildProcess::Reap(int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (!Running()) return;
    struct timespec ts = {0, 10 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
  if (Running()) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    exited_ = true;
    status_ = "killed";
  }
}

}  // namespace stepwise::sim

#include "replica/testing/process_hub.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace stepwise::hub {
namespace {

using json = nlohmann::json;

std::string Excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 160)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      char escaped[8];
      snprintf(escaped, sizeof(escaped), "\\x%02x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  if (text.size() > 160)
    out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

bool ParseWireId(const json& value, NodeId* id) {
  return IsWireId(value) && ParseNodeId(value.get<std::string>(), id);
}

}  // namespace

bool IsWireId(const json& value) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 4) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  });
}

std::map<std::string, uint64_t> ParseShimCounters(const std::string& log) {
  std::map<std::string, uint64_t> counters;
  static constexpr std::string_view kMarker = "counters: ";
  size_t at = log.find(kMarker);
  if (at == std::string::npos) return counters;
  at += kMarker.size();
  std::istringstream line(log.substr(at, log.find('\n', at) - at));
  std::string pair;
  while (line >> pair) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    counters[pair.substr(0, eq)] = strtoull(pair.c_str() + eq + 1, nullptr, 10);
  }
  return counters;
}

std::string ShimBinaryPath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  std::string root = srcdir != nullptr ? srcdir : ".";
  return root + "/" + (workspace != nullptr ? workspace : "stepwise") +
         "/replica/3700kvstore";
}

std::string TestOutputDir() {
  for (const char* name : {"TEST_UNDECLARED_OUTPUTS_DIR", "TEST_TMPDIR"}) {
    const char* dir = getenv(name);
    if (dir != nullptr && *dir != '\0') return dir;
  }
  return "/tmp";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Process::~Process() {
  if (pid_ > 0 && !wait_status_) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

bool Process::Start(const std::vector<std::string>& argv,
                    const std::string& stdout_path,
                    const std::string& stderr_path, std::string* error) {
  int out =
      open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err =
      open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    *error = "cannot open " + stdout_path + " or " + stderr_path + ": " +
             strerror(errno);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return false;
  }
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    close(out);
    close(err);
    return false;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  // Also in the parent, so that the group exists before we may signal it.
  setpgid(pid, pid);
  close(out);
  close(err);
  pid_ = pid;
  wait_status_.reset();
  return true;
}

bool Process::Running() {
  if (pid_ <= 0 || wait_status_) return false;
  int status;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    wait_status_ = status;
    return false;
  }
  return done == 0;
}

bool Process::WaitExit(milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (Running()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return wait_status_.has_value();
}

bool Process::Terminate(milliseconds timeout) {
  if (!Running()) return wait_status_.has_value();
  kill(-pid_, SIGTERM);
  if (WaitExit(timeout)) return true;
  kill(-pid_, SIGKILL);
  int status;
  if (waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
  return false;
}

bool Process::ExitedWith(int code) const {
  return wait_status_ && WIFEXITED(*wait_status_) &&
         WEXITSTATUS(*wait_status_) == code;
}

int CommandResult::exit_code() const {
  return !timed_out && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         milliseconds timeout) {
  static std::atomic<int> counter{0};
  std::string base = TestOutputDir() + "/command-" + std::to_string(getpid()) +
                     "-" + std::to_string(counter++);
  CommandResult result;
  Process process;
  std::string error;
  if (!process.Start(argv, base + ".out", base + ".err", &error)) {
    result.timed_out = true;
    result.err = error;
    return result;
  }
  if (!process.WaitExit(timeout)) {
    result.timed_out = true;
    process.Terminate(milliseconds(1000));
  }
  result.wait_status = process.wait_status().value_or(0);
  result.out = ReadWholeFile(base + ".out");
  result.err = ReadWholeFile(base + ".err");
  return result;
}

bool Hub::Open(std::vector<NodeId> replicas, std::vector<NodeId> clients,
               std::string* error) {
  replicas_ = std::move(replicas);
  clients_ = std::set<NodeId>(clients.begin(), clients.end());
  return socket_.Open(0, error);
}

bool Hub::IsAlive(NodeId replica) const {
  return std::find(replicas_.begin(), replicas_.end(), replica) !=
             replicas_.end() &&
         dead_.count(replica) == 0;
}

std::vector<NodeId> Hub::LivingReplicas() const {
  std::vector<NodeId> living;
  for (NodeId id : replicas_) {
    if (IsAlive(id)) living.push_back(id);
  }
  return living;
}

int Hub::SendRaw(NodeId replica, std::string_view datagram) {
  auto it = replica_port_.find(replica);
  if (it == replica_port_.end()) return ENOTCONN;
  return socket_.SendTo(it->second, datagram);
}

int Hub::SendFromClient(NodeId replica, const json& message) {
  return SendRaw(replica, message.dump());
}

bool Hub::PumpUntil(Clock::time_point deadline,
                    const std::function<bool()>& done) {
  for (;;) {
    if (done && done()) return true;
    Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    auto remaining =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    int timeout_ms = static_cast<int>((remaining.count() + 999) / 1000);
    pollfd pfd = {socket_.fd(), POLLIN, 0};
    int ready = poll(&pfd, 1, timeout_ms);
    if (ready <= 0) continue;
    for (;;) {
      uint16_t from_port = 0;
      int error = 0;
      ssize_t size =
          socket_.Receive(buffer_.data(), buffer_.size(), &from_port, &error);
      if (size < 0) break;
      Handle(std::string_view(buffer_.data(),
                              std::min<size_t>(size, buffer_.size())),
             from_port);
      if (done && done()) return true;
    }
  }
}

void Hub::Violation(std::string text) {
  violations_.push_back(std::move(text));
}

void Hub::Handle(std::string_view datagram, uint16_t from_port) {
  json message = json::parse(datagram, nullptr, /*allow_exceptions=*/false);
  auto known = port_to_replica_.find(from_port);
  if (known == port_to_replica_.end()) {
    // A port we do not know yet: its first datagram must be exactly the
    // hello, which is how the harness learns the port.
    NodeId id;
    bool is_hello = message.is_object() && message.size() == 4 &&
                    message.contains("src") &&
                    ParseWireId(message["src"], &id) &&
                    message.value("dst", json()) == "FFFF" &&
                    message.value("leader", json()) == "FFFF" &&
                    message.value("type", json()) == "hello";
    if (!is_hello) {
      Violation("first datagram from port " + std::to_string(from_port) +
                " is not a hello: " + Excerpt(datagram));
      return;
    }
    if (std::find(replicas_.begin(), replicas_.end(), id) == replicas_.end() ||
        replica_port_.count(id) != 0) {
      Violation("unexpected or repeated hello: " + Excerpt(datagram));
      return;
    }
    port_to_replica_[from_port] = id;
    replica_port_[id] = from_port;
    first_datagram_[id] = std::string(datagram);
    ++stats_.by_type["hello"];
    return;
  }

  NodeId from = known->second;
  ++stats_.from_replicas;
  std::string who = FormatNodeId(from);
  if (!message.is_object()) {
    Violation(who + " sent something that is not a JSON object: " +
              Excerpt(datagram));
    return;
  }
  NodeId src, dst, leader;
  if (!message.contains("src") || !ParseWireId(message["src"], &src) ||
      !message.contains("dst") || !ParseWireId(message["dst"], &dst) ||
      !message.contains("leader") || !ParseWireId(message["leader"], &leader) ||
      !message.contains("type") || !message["type"].is_string()) {
    Violation(who + " sent a message without valid src/dst/leader/type: " +
              Excerpt(datagram));
    return;
  }
  if (src != from) {
    Violation(who + " sent a message with src " + FormatNodeId(src));
  }
  std::string type = message["type"].get<std::string>();
  ++stats_.by_type[type];
  if (leader != kNoNode) {
    last_leader_ = leader;
    if (!first_leader_seen_) first_leader_seen_ = Clock::now();
  }

  if (dst == kNoNode) {
    for (NodeId to : replicas_) {
      if (to != from) Deliver(to, datagram, type);
    }
  } else if (std::find(replicas_.begin(), replicas_.end(), dst) !=
             replicas_.end()) {
    Deliver(dst, datagram, type);
  } else if (clients_.count(dst) != 0) {
    ++stats_.to_clients;
    client_inbox_.push_back(ClientBound{dst, std::move(message), Clock::now()});
  } else {
    Violation(who + " sent to an unknown dst: " + Excerpt(datagram));
  }
}

void Hub::Deliver(NodeId to, std::string_view datagram,
                  const std::string& what) {
  if (dead_.count(to) != 0) {
    ++stats_.to_dead;
    return;
  }
  auto port = replica_port_.find(to);
  if (port == replica_port_.end()) {
    Violation("a " + what + " for " + FormatNodeId(to) +
              " arrived before its hello: the harness would call it dead");
    return;
  }
  if (socket_.SendTo(port->second, datagram) == 0) ++stats_.relayed;
}

}  // namespace stepwise::hub

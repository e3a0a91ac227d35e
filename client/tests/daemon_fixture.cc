#include "daemon_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "mosaico/client/client.h"
#include "mosaico/client/errors.h"

namespace mosaico::client::testing {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string EmptyConfig() {
  static const std::string path = [] {
    std::string p = TestDaemon::TempDir() + "/empty-config.toml";
    std::ofstream(p) << "# empty: the tests' daemons take every setting from flags\n";
    return p;
  }();
  return path;
}

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

std::string TestDaemon::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mosaico-client-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

arrow::Result<std::unique_ptr<TestDaemon>> TestDaemon::Start(const std::vector<std::string>& extra_args,
                                                             const std::string& data_dir) {
  std::unique_ptr<TestDaemon> d(new TestDaemon());
  d->data_dir_ = data_dir.empty() ? TempDir() : data_dir;
  d->own_dir_ = data_dir.empty();
  d->port_ = FreePort();
  std::vector<std::string> args = {MOSAICOD_BIN, "run", "--host", "127.0.0.1", "--port", std::to_string(d->port_),
                                   "--data-dir", d->data_dir_, "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string log = d->data_dir_ + "/daemon.log";
  const std::string config = EmptyConfig();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("MOSAICOD_CONFIG_FILE", config.c_str(), 1);
    auto argv = Argv(args);
    execv(MOSAICOD_BIN, argv.data());
    _exit(127);
  }
  d->pid_ = pid;
  ConnectOptions opt;
  opt.uri = d->uri(std::find(extra_args.begin(), extra_args.end(), "--tls-cert") != extra_args.end());
  opt.connect_timeout = std::chrono::milliseconds(20000);
  if (opt.uri.rfind("grpc+tls", 0) == 0) {
    auto it = std::find(extra_args.begin(), extra_args.end(), "--tls-cert");
    opt.tls_ca_file = *(it + 1);
  }
  auto c = Client::Connect(opt);
  if (!c.ok() && ErrorKindOf(c.status()) != ErrorKind::kUnauthenticated) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return arrow::Status::IOError("mosaicod did not start: ", c.status().ToString(), "\n", text);
  }
  return d;
}

TestDaemon::~TestDaemon() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  if (own_dir_ && std::getenv("MOSAICO_CLIENT_TEST_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

std::string TestDaemon::uri(bool tls) const {
  return tls ? "grpc+tls://localhost:" + std::to_string(port_) : "grpc://127.0.0.1:" + std::to_string(port_);
}

arrow::Result<std::string> TestDaemon::Cli(const std::vector<std::string>& cli_args) {
  std::vector<std::string> args = {MOSAICOD_BIN};
  args.insert(args.end(), cli_args.begin(), cli_args.end());
  int fds[2];
  if (pipe(fds) != 0) return arrow::Status::IOError("pipe");
  const std::string config = EmptyConfig();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    setenv("MOSAICOD_CONFIG_FILE", config.c_str(), 1);
    auto argv = Argv(args);
    execv(MOSAICOD_BIN, argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return arrow::Status::IOError("mosaicod CLI failed: ", out);
  return out;
}

namespace {
class SharedEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { daemon.reset(); }
  std::unique_ptr<TestDaemon> daemon;
};
// Registered before main (gtest owns it): its TearDown stops the shared daemon after the last test.
SharedEnvironment* const g_env =
    static_cast<SharedEnvironment*>(::testing::AddGlobalTestEnvironment(new SharedEnvironment()));
}  // namespace

TestDaemon& SharedDaemon() {
  if (g_env->daemon == nullptr) {
    auto d = TestDaemon::Start({"--chunk-size-mb", "1", "--max-message-mb", "1"});
    if (!d.ok()) {
      std::fprintf(stderr, "%s\n", d.status().ToString().c_str());
      std::abort();
    }
    g_env->daemon = std::move(d).ValueOrDie();
  }
  return *g_env->daemon;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = prefix + "_" + (info ? info->name() : "t") + "_" + std::to_string(getpid()) + "_" +
                     std::to_string(counter++);
  for (auto& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  }
  return name;
}

}  // namespace mosaico::client::testing

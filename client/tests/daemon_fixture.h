// A real mosaicod for the client's tests: the build's binary (MOSAICOD_BIN, from CMake) on SQLite + a temporary
// data directory, a free port on 127.0.0.1, an empty config file; SIGTERM and the directory removed at the end.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>

namespace mosaico::client::testing {

class TestDaemon {
 public:
  /// Starts the daemon and waits until `info` answers (or refuses for want of a key).
  static arrow::Result<std::unique_ptr<TestDaemon>> Start(const std::vector<std::string>& extra_args = {},
                                                          const std::string& data_dir = "");
  ~TestDaemon();

  std::string uri(bool tls = false) const;
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }

  /// Runs `mosaicod <args...>` to completion; its stdout.
  static arrow::Result<std::string> Cli(const std::vector<std::string>& args);
  /// A fresh temporary directory (removed by the caller or left under /tmp/mosaico-client-test-*).
  static std::string TempDir();

 private:
  TestDaemon() = default;
  int pid_ = -1;
  int port_ = 0;
  std::string data_dir_;
  bool own_dir_ = false;
};

/// The daemon every test of the binary shares (started on first use; --chunk-size-mb 1 --max-message-mb 1).
TestDaemon& SharedDaemon();

/// A unique sequence name for the current test.
std::string UniqueName(const std::string& prefix);

}  // namespace mosaico::client::testing

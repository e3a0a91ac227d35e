// The config file (apps/mosaicod/config_file.h): key validation, search path, the reference's file.
#include "config_file.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "env_compat.h"
#include "settings.h"

namespace mosaicod {
namespace {

namespace fs = std::filesystem;

std::string ErrorOf(const arrow::Result<ConfigFile>& r) { return r.ok() ? "(ok)" : r.status().message(); }

arrow::Result<ConfigFile> Parse(const std::string& text) { return ConfigFile::Parse(text, "/etc/m.toml"); }

TEST(ConfigFile, UnknownKeysAndSectionsAreErrorsNamingKeyFileAndLine) {
  EXPECT_EQ(ErrorOf(Parse("[server]\nport = 1\nhostt = \"x\"\n")),
            "config file '/etc/m.toml' line 3: unknown key server.hostt (did you mean server.host?); "
            "docs/CONFIGURATION.md lists every key");
  EXPECT_EQ(ErrorOf(Parse("[databse]\nurl = \"x\"\n")),
            "config file '/etc/m.toml' line 1: unknown section [databse] (did you mean database?); "
            "docs/CONFIGURATION.md lists every key");
  EXPECT_EQ(ErrorOf(Parse("[server.http2]\nenabled = true\n")),
            "config file '/etc/m.toml' line 1: unknown section [server.http2]; docs/CONFIGURATION.md lists every key");
  EXPECT_EQ(ErrorOf(Parse("top_level = 1\n")),
            "config file '/etc/m.toml' line 1: unknown key top_level; docs/CONFIGURATION.md lists every key");
  // Dotted keys and inline tables are the same keys.
  EXPECT_TRUE(Parse("server.port = 1\nstore = { bucket = \"b\" }\n").ok());
  EXPECT_EQ(ErrorOf(Parse("server = { prot = 1 }\n")),
            "config file '/etc/m.toml' line 1: unknown key server.prot (did you mean server.port?); "
            "docs/CONFIGURATION.md lists every key");
}

TEST(ConfigFile, ShapeErrors) {
  EXPECT_EQ(ErrorOf(Parse("server = 5\n")),
            "config file '/etc/m.toml' line 1: server is a section ([server]), not a value");
  EXPECT_EQ(ErrorOf(Parse("[server.port]\nx = 1\n")),
            "config file '/etc/m.toml' line 1: server.port must be a value, not a table");
  EXPECT_EQ(ErrorOf(Parse("[server]\nhost = [\"a\", \"b\"]\n")),
            "config file '/etc/m.toml' line 2: server.host: expected a string, number or boolean, got an array");
  EXPECT_EQ(ErrorOf(Parse("[store]\nsecret_key = \"x\"\n")),
            "config file '/etc/m.toml' line 2: store.secret_key: secrets are not read from the config file; put it "
            "in a file readable only by mosaicod and give its path as store.secret_key_file");
  EXPECT_EQ(ErrorOf(Parse("[database]\npassword = \"x\"\n")),
            "config file '/etc/m.toml' line 2: database.password: secrets are not read from the config file; put it "
            "in a file readable only by mosaicod and give its path as database.password_file");
  const std::string syntax = ErrorOf(Parse("[server\nport = 1\n"));
  EXPECT_EQ(syntax.rfind("config file '/etc/m.toml' line 1 column ", 0), 0u) << syntax;
}

TEST(ConfigFile, ValuesKeepTheirTomlTypeAndLine) {
  auto f = Parse("# comment\n[server]\nport = 7000\nhost = \"h\"\n[server.tls]\nenabled = false\n"
                 "[limits]\nrequest_timeout_seconds = 2.5\n");
  ASSERT_TRUE(f.ok()) << ErrorOf(f);
  ASSERT_NE(f->Find("server.port"), nullptr);
  EXPECT_EQ(f->Find("server.port")->kind, FileValue::Kind::kInteger);
  EXPECT_EQ(f->Find("server.port")->integer, 7000);
  EXPECT_EQ(f->Find("server.port")->line, 3);
  EXPECT_EQ(f->Find("server.host")->text, "h");
  EXPECT_EQ(f->Find("server.tls.enabled")->kind, FileValue::Kind::kBool);
  EXPECT_DOUBLE_EQ(f->Find("limits.request_timeout_seconds")->number, 2.5);
  EXPECT_EQ(f->Find("server.auth"), nullptr);
  EXPECT_EQ(f->Where("server.port"), "server.port in /etc/m.toml (line 3)");
}

// Every section and key of the reference mosaicod's documented config.toml is accepted.
TEST(ConfigFile, TheReferenceSchemaIsAccepted) {
  const char* reference = R"(
[server]
host = "127.0.0.1"
port = 6726
gzip_enabled = false
api_key_enabled = false
max_batch_size = 8192
default_parallelism = 8
max_concurrent_writes = 8

[server.tls]
enabled = false
certificate_file = "/path/to/cert.pem"
private_key_file = "/path/to/key.pem"

[server.grpc]
max_message_size = 50000000

[database]
url = "postgresql://localhost:5432/mosaico"
user = "postgres"
password_file = "/run/secrets/db_password"
max_connections = 19

[store]
endpoint = "https://s3.example.com"
bucket = "mosaico"
access_key = "access-key"
secret_key_file = "/run/secrets/store_secret_key"

[query_engine]
memory_pool_size = 0
max_concurrent_chunk_queries = 4
max_size_plain_list_eq = 1024

[encoding]
parquet_in_memory_encoding_buffer_size = 75000000

[store_optimizer]
time_interval = 0
max_chunk_size = 256000000
memory_pool_size = 0

[cleanup]
time_interval = 0
retention_duration = 86400

[logging]
level = "warning"
format = "pretty"
)";
  EXPECT_TRUE(Parse(reference).ok()) << ErrorOf(Parse(reference));
}

class ConfigSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("config-search-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Write(const std::string& relative) {
    fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "[server]\n";
    return p.string();
  }
  ConfigSearch Etc() const { return ConfigSearch{(root_ / "etc").string()}; }
  fs::path root_;
};

TEST_F(ConfigSearchTest, FlagThenVariableThenXdgThenHomeThenEtc) {
  const std::string etc = Write("etc/mosaicod/config.toml");
  const std::string home = Write("home/.config/mosaicod/config.toml");
  const std::string xdg = Write("xdg/mosaicod/config.toml");
  const std::string named = Write("named.toml");
  const std::string flag = Write("flag.toml");
  const std::string home_dir = (root_ / "home").string(), xdg_dir = (root_ / "xdg").string();
  Environment all({{"MOSAICOD_CONFIG_FILE", named}, {"XDG_CONFIG_HOME", xdg_dir}, {"HOME", home_dir}});
  EXPECT_EQ(FindConfigFile(flag, all, Etc()).ValueOrDie(), flag);
  EXPECT_EQ(FindConfigFile(std::nullopt, all, Etc()).ValueOrDie(), named);
  Environment no_named({{"XDG_CONFIG_HOME", xdg_dir}, {"HOME", home_dir}});
  EXPECT_EQ(FindConfigFile(std::nullopt, no_named, Etc()).ValueOrDie(), xdg);
  Environment empty_xdg({{"XDG_CONFIG_HOME", ""}, {"HOME", home_dir}});
  EXPECT_EQ(FindConfigFile(std::nullopt, empty_xdg, Etc()).ValueOrDie(), home);
  fs::remove(xdg);
  EXPECT_EQ(FindConfigFile(std::nullopt, no_named, Etc()).ValueOrDie(), etc);  // an XDG dir without the file
  EXPECT_EQ(FindConfigFile(std::nullopt, Environment(), Etc()).ValueOrDie(), etc);
  fs::remove(etc);
  EXPECT_EQ(FindConfigFile(std::nullopt, Environment(), Etc()).ValueOrDie(), std::nullopt);
}

TEST_F(ConfigSearchTest, ANamedFileMustExist) {
  const std::string missing = (root_ / "missing.toml").string();
  Write("etc/mosaicod/config.toml");
  auto by_flag = FindConfigFile(missing, Environment(), Etc());
  ASSERT_FALSE(by_flag.ok());
  EXPECT_EQ(by_flag.status().message(), "--config: no such file '" + missing + "'");
  auto by_env = FindConfigFile(std::nullopt, Environment({{"MOSAICOD_CONFIG_FILE", missing}}), Etc());
  ASSERT_FALSE(by_env.ok());
  EXPECT_EQ(by_env.status().message(), "MOSAICOD_CONFIG_FILE: no such file '" + missing + "'");
}

TEST_F(ConfigSearchTest, LoadReadsTheFile) {
  const std::string path = Write("c.toml");
  auto f = ConfigFile::Load(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->path(), path);
  EXPECT_FALSE(ConfigFile::Load((root_ / "nope.toml").string()).ok());
}

}  // namespace
}  // namespace mosaicod

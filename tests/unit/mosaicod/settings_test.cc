// The settings registry and its resolution (apps/mosaicod/settings.h): precedence, spellings, groups, types.
#include "settings.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "test_resolve.h"

namespace mosaicod {
namespace {

using test_support::ErrorOf;
using test_support::kServer;
using test_support::Resolve;

std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(Settings, RegistryNamesAreUniqueAndEveryRowIsComplete) {
  std::set<std::string> keys, flags, envs;
  for (const auto& s : Registry()) {
    for (const auto& k : s.FileKeys()) EXPECT_TRUE(keys.insert(k).second) << "file key twice: " << k;
    for (const auto& e : s.EnvNames()) {
      EXPECT_TRUE(envs.insert(e).second) << "variable twice: " << e;
      EXPECT_EQ(e.rfind("MOSAICOD_", 0), 0u) << e;
    }
    std::string names = s.flag + "," + s.file_flag;
    for (size_t start = 0; start < names.size();) {
      size_t end = names.find(',', start);
      if (end == std::string::npos) end = names.size();
      const std::string f = names.substr(start, end - start);
      if (!f.empty()) EXPECT_TRUE(flags.insert(f).second) << "flag twice: " << f;
      start = end + 1;
    }
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_NE(s.scope, 0u) << s.key;
    if (s.ignored.empty()) EXPECT_TRUE(s.bind.apply && s.bind.show) << s.key << " has no binding";
    if (s.type == SettingType::kBool && !s.flag.empty()) EXPECT_EQ(s.flag.find(','), std::string::npos) << s.key;
    if (!s.group.empty()) {
      int members = 0;
      for (const auto& o : Registry()) members += o.group == s.group;
      EXPECT_GE(members, 2) << "group " << s.group << " of " << s.key << " has one member";
    }
  }
}

TEST(Settings, DefaultsAreTheServerConfigDefaults) {
  auto r = Resolve(kAllScopes, {}, {});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const mosaico::server::ServerConfig defaults;
  EXPECT_EQ(r->options.server.port, defaults.port);
  EXPECT_EQ(r->options.server.host, defaults.host);
  EXPECT_EQ(r->options.server.grpc_max_decode_message_size, 64LL << 20);
  EXPECT_EQ(r->options.server.grpc_target_encode_message_size, 4LL << 20);
  EXPECT_EQ(r->options.log_level, "info");
  for (const auto& s : r->resolution.settings) EXPECT_EQ(s.origin.level, Origin::kDefault) << s.setting->key;
  EXPECT_EQ(FindSetting("server.port")->DefaultText(), "6726");
  EXPECT_EQ(FindSetting("limits.max_message_mb")->DefaultText(), "64");
}

TEST(Settings, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const std::string toml = "[server]\nport = 7001\nhost = \"10.0.0.1\"\n[logging]\nlevel = \"debug\"\n";
  auto file_only = Resolve(kServer, {}, {}, toml);
  ASSERT_TRUE(file_only.ok()) << ErrorOf(file_only);
  EXPECT_EQ(file_only->options.server.port, 7001);
  EXPECT_EQ(file_only->resolution.OriginOf("server.port"), "server.port in test.toml (line 2)");

  auto env = Resolve(kServer, {}, {{"MOSAICOD_PORT", "7002"}}, toml);
  ASSERT_TRUE(env.ok()) << ErrorOf(env);
  EXPECT_EQ(env->options.server.port, 7002);
  EXPECT_EQ(env->options.server.host, "10.0.0.1");  // the file still gives what the environment does not
  EXPECT_EQ(env->resolution.OriginOf("server.port"), "MOSAICOD_PORT");

  auto flag = Resolve(kServer, {{"server.port", "7003"}}, {{"MOSAICOD_PORT", "7002"}}, toml);
  ASSERT_TRUE(flag.ok()) << ErrorOf(flag);
  EXPECT_EQ(flag->options.server.port, 7003);
  EXPECT_EQ(flag->options.log_level, "debug");
  EXPECT_EQ(flag->resolution.OriginOf("server.port"), "--port");
  EXPECT_EQ(flag->resolution.OriginOf("server.auth"), "default");
}

TEST(Settings, AnEmptyVariableCountsAsUnset) {
  auto r = Resolve(kServer, {}, {{"MOSAICOD_PORT", ""}}, "[server]\nport = 7001\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.port, 7001);
}

TEST(Settings, ReferenceVariableNamesAreAccepted) {
  auto r = Resolve(kServer, {},
                   {{"MOSAICOD_DB_URL", "sqlite:///srv/m/catalog.db"},
                    {"MOSAICOD_TLS_CERT_FILE", "/c.pem"},
                    {"MOSAICOD_TLS_PRIVATE_KEY_FILE", "/k.pem"},
                    {"MOSAICOD_TLS_ENABLED", "true"},
                    {"MOSAICOD_API_KEY_ENABLED", "true"},
                    {"MOSAICOD_LOG_LEVEL", "warning"},
                    {"MOSAICOD_LOG_FORMAT", "json"},
                    {"MOSAICOD_MAX_GRPC_MESSAGE_SIZE", "8388608"},
                    {"MOSAICOD_CLEANUP_RETENTION_DURATION", "600"},
                    {"MOSAICOD_PARQUET_IN_MEMORY_ENCODING_BUFFER_SIZE", "33554432"},
                    {"MOSAICOD_STORE_OPTIMIZER_MAX_CHUNK_SIZE", "268435456"}});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const auto& s = r->options.server;
  EXPECT_EQ(s.catalog_url, "sqlite:///srv/m/catalog.db");
  EXPECT_EQ(s.tls_cert_path, "/c.pem");
  EXPECT_EQ(s.tls_key_path, "/k.pem");
  EXPECT_EQ(s.auth_mode, "on");
  EXPECT_EQ(r->options.log_level, "warning");
  EXPECT_EQ(r->options.log_format, "json");
  EXPECT_EQ(s.grpc_max_decode_message_size, 8LL << 20);
  EXPECT_EQ(s.grpc_max_encode_message_size, 8LL << 20);
  EXPECT_EQ(s.grpc_target_encode_message_size, 4LL << 20);
  EXPECT_EQ(s.gc_min_age_seconds, 600);
  EXPECT_EQ(s.chunk_target_bytes, 32LL << 20);
  EXPECT_DOUBLE_EQ(s.compact_chunk_size_mb, 256);
}

TEST(Settings, ReferenceLevelNamesAndCaseAreAccepted) {
  for (const auto& [given, stored] : std::map<std::string, std::string>{
           {"WARNING", "warning"}, {"warn", "warn"}, {"Trace", "trace"}, {"error", "error"}}) {
    auto r = Resolve(kGlobal, {}, {{"MOSAICOD_LOG_LEVEL", given}});
    ASSERT_TRUE(r.ok()) << given << ": " << ErrorOf(r);
    EXPECT_EQ(r->options.log_level, stored);
  }
  auto bad = Resolve(kGlobal, {}, {{"MOSAICOD_LOG_LEVEL", "loud"}});
  EXPECT_EQ(ErrorOf(bad), "MOSAICOD_LOG_LEVEL='loud': 'loud' is not one of trace, debug, info, warning, warn, error");
  auto pretty = Resolve(kGlobal, {{"logging.format", "pretty"}}, {});
  ASSERT_TRUE(pretty.ok());
  EXPECT_EQ(pretty->options.log_format, "pretty");
}

TEST(Settings, TwoSpellingsAtOneLevelAreAnError) {
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_CATALOG", "sqlite:///a.db"}, {"MOSAICOD_DB_URL", "sqlite:///b.db"}})),
            "MOSAICOD_CATALOG and MOSAICOD_DB_URL are all set and configure the same setting (database.url); set only "
            "one");
  EXPECT_NE(ErrorOf(Resolve(kServer, {}, {}, "[cleanup]\ngc_min_age_seconds = 1\nretention_duration = 2\n"))
                .find("cleanup.gc_min_age_seconds and cleanup.retention_duration configure the same setting"),
            std::string::npos);
  // Group members (different units): the higher level wins, the same level is an error naming both.
  auto r = Resolve(kServer, {{"limits.max_message_mb", "2"}}, {{"MOSAICOD_MAX_GRPC_MESSAGE_SIZE", "8388608"}});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.grpc_max_decode_message_size, 2LL << 20);
  EXPECT_EQ(r->resolution.Find("server.grpc.max_message_size")->overridden_by, "--max-message-mb");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_MAX_MESSAGE_MB", "2"}, {"MOSAICOD_MAX_GRPC_MESSAGE_SIZE", "8388608"}})),
            "MOSAICOD_MAX_GRPC_MESSAGE_SIZE and MOSAICOD_MAX_MESSAGE_MB say the same thing "
            "(server.grpc.max_message_size and limits.max_message_mb); give one of them");
  auto api = Resolve(kServer, {}, {{"MOSAICOD_API_KEY_ENABLED", "false"}}, "[server]\nauth = \"on\"\n");
  ASSERT_TRUE(api.ok()) << ErrorOf(api);
  EXPECT_EQ(api->options.server.auth_mode, "off");  // the variable outranks the file
}

TEST(Settings, ValuesAreTypeAndRangeChecked) {
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_PORT", "12ab"}})), "MOSAICOD_PORT='12ab': not an integer");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {{"server.port", "70000"}}, {})), "--port='70000': 70000 is out of range [0, 65535]");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_TLS_ENABLED", "maybe"}})),
            "MOSAICOD_TLS_ENABLED='maybe': not a boolean (true/false, 1/0, yes/no, on/off)");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {}, "[server]\nport = \"6726\"\n")),
            "server.port in test.toml (line 2): expected an integer, got a string");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {}, "[limits]\nmax_message_mb = true\n")),
            "limits.max_message_mb in test.toml (line 2): expected a number, got a boolean");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {}, "[ingest]\nchunk_size_mb = 0\n")),
            "ingest.chunk_size_mb in test.toml (line 2): 0 is out of range [1, 4096]");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {}, "[server]\nauth = \"sometimes\"\n")),
            "server.auth in test.toml (line 2): 'sometimes' is not one of auto, on, off");
  // An integer is a fine float; a float is no integer.
  auto r = Resolve(kServer, {}, {}, "[limits]\nmax_message_mb = 2\nrequest_timeout_seconds = 1.5\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_DOUBLE_EQ(r->options.server.request_timeout_seconds, 1.5);
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {}, "[server]\nport = 1.5\n")),
            "server.port in test.toml (line 2): expected an integer, got a float");
}

TEST(Settings, BooleansAndSwitches) {
  for (const auto& t : {"1", "true", "YES", "on"}) {
    auto r = Resolve(kServer, {}, {{"MOSAICOD_REBUILD_IF_MISSING", t}});
    ASSERT_TRUE(r.ok()) << t;
    EXPECT_TRUE(r->options.rebuild_if_missing) << t;
  }
  auto off = Resolve(kServer, {{"query.pruning", "false"}}, {}, "[query]\npruning = true\n");  // --no-query-pruning
  ASSERT_TRUE(off.ok()) << ErrorOf(off);
  EXPECT_FALSE(off->options.server.query_pruning);
}

TEST(Settings, SecretsComeFromFilesOrVariablesNeverFromTheConfigFileText) {
  const std::string secret = TempFile("store_secret", "s3cr3t\n\n");
  auto file = Resolve(kServer, {}, {}, "[store]\nsecret_key_file = \"" + secret + "\"\n");
  ASSERT_TRUE(file.ok()) << ErrorOf(file);
  EXPECT_EQ(file->options.server.store_s3.secret_key, "s3cr3t");
  auto env_file = Resolve(kServer, {}, {{"MOSAICOD_STORE_SECRET_KEY_FILE", secret}});
  ASSERT_TRUE(env_file.ok()) << ErrorOf(env_file);
  EXPECT_EQ(env_file->options.server.store_s3.secret_key, "s3cr3t");
  auto env = Resolve(kServer, {}, {{"MOSAICOD_STORE_SECRET_KEY", "plain"}},
                     "[store]\nsecret_key_file = \"" + secret + "\"\n");
  ASSERT_TRUE(env.ok()) << ErrorOf(env);
  EXPECT_EQ(env->options.server.store_s3.secret_key, "plain");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_STORE_SECRET_KEY", "a"}, {"MOSAICOD_STORE_SECRET_KEY_FILE", secret}})),
            "MOSAICOD_STORE_SECRET_KEY and MOSAICOD_STORE_SECRET_KEY_FILE are all set and configure the same setting "
            "(store.secret_key); set only one");
  EXPECT_NE(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_DB_PASSWORD_FILE", "/nonexistent/pw"}}))
                .find("MOSAICOD_DB_PASSWORD_FILE: cannot read the file '/nonexistent/pw'"),
            std::string::npos);
  // The access key may sit in the file (the reference's store.access_key), or in a file of its own.
  auto access = Resolve(kServer, {}, {}, "[store]\naccess_key = \"AKIA\"\n");
  ASSERT_TRUE(access.ok()) << ErrorOf(access);
  EXPECT_EQ(access->options.server.store_s3.access_key, "AKIA");
}

TEST(Settings, ReferenceSettingsWithoutCounterpartAreWarnedAboutNotApplied) {
  auto r = Resolve(kServer, {}, {{"MOSAICOD_GZIP_ENABLED", "true"}},
                   "[query_engine]\nmax_concurrent_chunk_queries = 19\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  ASSERT_EQ(r->resolution.warnings.size(), 2u);
  EXPECT_NE(r->resolution.warnings[0].find("event=config_ignored setting=MOSAICOD_GZIP_ENABLED key=server.gzip_enabled"),
            std::string::npos);
  EXPECT_NE(r->resolution.warnings[1].find("setting=query_engine.max_concurrent_chunk_queries in test.toml (line 2)"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_MAX_CONCURRENT_CHUNK_QUERIES", "many"}})),
            "MOSAICOD_MAX_CONCURRENT_CHUNK_QUERIES='many': not an integer");
}

TEST(Settings, TheReferencesMaxDbConnectionsSizesThePostgresPool) {
  auto defaults = Resolve(kServer, {}, {});
  ASSERT_TRUE(defaults.ok()) << ErrorOf(defaults);
  EXPECT_EQ(defaults->options.server.catalog_pool_size, 10);  // the reference's default
  auto from_env = Resolve(kServer, {}, {{"MOSAICOD_MAX_DB_CONNECTIONS", "19"}});
  ASSERT_TRUE(from_env.ok()) << ErrorOf(from_env);
  EXPECT_EQ(from_env->options.server.catalog_pool_size, 19);
  EXPECT_TRUE(from_env->resolution.warnings.empty());
  auto from_file = Resolve(kServer, {}, {}, "[database]\nmax_connections = 3\n");
  ASSERT_TRUE(from_file.ok()) << ErrorOf(from_file);
  EXPECT_EQ(from_file->options.server.catalog_pool_size, 3);
  auto from_flag = Resolve(kServer, {{"database.max_connections", "7"}}, {{"MOSAICOD_MAX_DB_CONNECTIONS", "19"}});
  ASSERT_TRUE(from_flag.ok()) << ErrorOf(from_flag);
  EXPECT_EQ(from_flag->options.server.catalog_pool_size, 7);
  EXPECT_NE(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_MAX_DB_CONNECTIONS", "0"}})).find("MOSAICOD_MAX_DB_CONNECTIONS"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_MAX_DB_CONNECTIONS", "many"}})),
            "MOSAICOD_MAX_DB_CONNECTIONS='many': not an integer");
}

TEST(Settings, OnlyTheCommandsScopeIsRead) {
  // A bad server setting does not stop `mosaicod check` (storage scope).
  auto r = Resolve(kGlobal | kStorage, {}, {{"MOSAICOD_PORT", "nope"}, {"MOSAICOD_DATA_DIR", "/srv/m"}});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.data_dir, "/srv/m");
  EXPECT_EQ(r->resolution.Find("server.port"), nullptr);
  auto cleanup = Resolve(kGlobal | kStorage | kCleanup, {{"cleanup.time_interval", "30"}}, {});
  ASSERT_TRUE(cleanup.ok()) << ErrorOf(cleanup);
  EXPECT_DOUBLE_EQ(cleanup->options.cleanup_interval_seconds, 30);
}

TEST(Settings, FormatNumberReadsBack) {
  EXPECT_EQ(FormatNumber(64), "64");
  EXPECT_EQ(FormatNumber(0.25), "0.25");
  EXPECT_EQ(FormatNumber(1.0 / 16), "0.0625");
  EXPECT_EQ(FormatNumber(-1), "-1");
  EXPECT_EQ(std::stod(FormatNumber(0.1 + 0.2)), 0.1 + 0.2);
}

}  // namespace
}  // namespace mosaicod

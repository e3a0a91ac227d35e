// The rules across settings and the reference's environment (apps/mosaicod/env_compat.h).
#include "env_compat.h"

#include <gtest/gtest.h>

#include "test_resolve.h"

namespace mosaicod {
namespace {

using test_support::ErrorOf;
using test_support::kServer;
using test_support::Resolve;

TEST(EnvCompat, FileEndpointAndBucketAreALocalStore) {
  auto r = Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "file:///var/lib/m"}, {"MOSAICOD_STORE_BUCKET", "data"}});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.ResolvedStoreUri(), "/var/lib/m/data");
  EXPECT_EQ(r->options.server.store_s3.endpoint, "");
  auto root = Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "file:///"}, {"MOSAICOD_STORE_BUCKET", "data"}});
  ASSERT_TRUE(root.ok()) << ErrorOf(root);
  EXPECT_EQ(root->options.server.store_uri, "/data");
  auto no_bucket = Resolve(kServer, {}, {}, "[store]\nendpoint = \"file:///srv/store/\"\n");
  ASSERT_TRUE(no_bucket.ok()) << ErrorOf(no_bucket);
  EXPECT_EQ(no_bucket->options.server.store_uri, "/srv/store");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "file://relative/dir"}})),
            "MOSAICOD_STORE_ENDPOINT='file://relative/dir': give an absolute path, file:///dir");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {{"store.uri", "/other"}}, {{"MOSAICOD_STORE_ENDPOINT", "file:///srv"}})),
            "--store and MOSAICOD_STORE_ENDPOINT both name the store (a file:// endpoint is a local store); give one "
            "of them");
}

TEST(EnvCompat, HttpEndpointAndBucketAreAnS3Store) {
  auto r = Resolve(kServer, {},
                   {{"MOSAICOD_STORE_ENDPOINT", "http://127.0.0.1:9000/"}, {"MOSAICOD_STORE_BUCKET", "mosaico"},
                    {"MOSAICOD_STORE_ACCESS_KEY", "ak"}, {"MOSAICOD_STORE_SECRET_KEY", "sk"}});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.store_uri, "s3://mosaico");
  EXPECT_EQ(r->options.server.store_s3.endpoint, "127.0.0.1:9000");
  EXPECT_EQ(r->options.server.store_s3.scheme, "http");
  EXPECT_EQ(r->options.server.store_s3.access_key, "ak");
  EXPECT_EQ(r->options.server.store_s3.secret_key, "sk");
  // An s3:// store given our way keeps its prefix; the endpoint only says where the server is.
  auto ours = Resolve(kServer, {{"store.uri", "s3://b/prefix"}}, {{"MOSAICOD_STORE_ENDPOINT", "https://minio:9000"}});
  ASSERT_TRUE(ours.ok()) << ErrorOf(ours);
  EXPECT_EQ(ours->options.server.store_uri, "s3://b/prefix");
  EXPECT_EQ(ours->options.server.store_s3.scheme, "https");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "http://minio:9000"}})),
            "MOSAICOD_STORE_ENDPOINT='http://minio:9000' is an S3 server: name the bucket with store.bucket "
            "(MOSAICOD_STORE_BUCKET) or store.uri = s3://bucket");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "http://minio:9000/bucket"}})),
            "MOSAICOD_STORE_ENDPOINT='http://minio:9000/bucket': expected http(s)://host[:port] without a path (the "
            "bucket is store.bucket)");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {{"store.scheme", "https"}},
                            {{"MOSAICOD_STORE_ENDPOINT", "http://m:1"}, {"MOSAICOD_STORE_BUCKET", "b"}})),
            "--store-scheme='https' contradicts MOSAICOD_STORE_ENDPOINT='http://m:1'");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "ftp://m:1"}})),
            "MOSAICOD_STORE_ENDPOINT='ftp://m:1': expected file:///dir, http(s)://host:port, host:port or s3://bucket");
}

TEST(EnvCompat, OurHostPortEndpointAndS3Endpoints) {
  auto ours = Resolve(kServer, {{"store.uri", "s3://b/p"}, {"store.endpoint", "127.0.0.1:9000"}}, {});
  ASSERT_TRUE(ours.ok()) << ErrorOf(ours);
  EXPECT_EQ(ours->options.server.store_s3.endpoint, "127.0.0.1:9000");
  EXPECT_EQ(ours->options.server.store_s3.scheme, "https");
  auto s3 = Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "s3://bucket/pre"}});
  ASSERT_TRUE(s3.ok()) << ErrorOf(s3);
  EXPECT_EQ(s3->options.server.store_uri, "s3://bucket/pre");
  auto bare = Resolve(kServer, {}, {{"MOSAICOD_STORE_ENDPOINT", "s3://"}, {"MOSAICOD_STORE_BUCKET", "b"}});
  ASSERT_TRUE(bare.ok()) << ErrorOf(bare);
  EXPECT_EQ(bare->options.server.store_uri, "s3://b");
  auto aws = Resolve(kServer, {}, {{"MOSAICOD_STORE_BUCKET", "b"}});
  ASSERT_TRUE(aws.ok()) << ErrorOf(aws);
  EXPECT_EQ(aws->options.server.store_uri, "s3://b");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {{"store.uri", "/d"}}, {{"MOSAICOD_STORE_BUCKET", "b"}})),
            "--store and MOSAICOD_STORE_BUCKET both name the store (a bucket makes the store s3://<bucket>); give "
            "one of them");
}

TEST(EnvCompat, TlsEnabledNeedsCertificateAndKey) {
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_TLS_ENABLED", "true"}, {"MOSAICOD_TLS_CERT_FILE", "/c"}})),
            "TLS is enabled (MOSAICOD_TLS_ENABLED) but server.tls.private_key_file (--tls-key, "
            "MOSAICOD_TLS_PRIVATE_KEY_FILE) is not set");
  auto off = Resolve(kServer, {}, {{"MOSAICOD_TLS_ENABLED", "false"}, {"MOSAICOD_TLS_CERT_FILE", "/c"},
                                   {"MOSAICOD_TLS_PRIVATE_KEY_FILE", "/k"}});
  ASSERT_TRUE(off.ok()) << ErrorOf(off);
  EXPECT_EQ(off->options.server.tls_cert_path, "");
  auto implicit = Resolve(kServer, {{"server.tls.certificate_file", "/c"}, {"server.tls.private_key_file", "/k"}}, {});
  ASSERT_TRUE(implicit.ok()) << ErrorOf(implicit);
  EXPECT_EQ(implicit->options.server.tls_cert_path, "/c");
  auto flag = Resolve(kServer, {{"server.tls.enabled", "true"}}, {}, "[server.tls]\ncertificate_file = \"/c\"\n");
  EXPECT_EQ(ErrorOf(flag).rfind("TLS is enabled (--tls) but server.tls.private_key_file", 0), 0u) << ErrorOf(flag);
}

TEST(EnvCompat, DatabaseCredentialsGoToLibpqNotTheUrl) {
  auto r = Resolve(kServer, {}, {{"MOSAICOD_DB_URL", "postgresql://db:5432/mosaico"}, {"MOSAICOD_DB_USER", "m"},
                                 {"MOSAICOD_DB_PASSWORD", "pw"}});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.catalog_url, "postgresql://db:5432/mosaico");
  EXPECT_EQ(r->options.libpq_env, (std::map<std::string, std::string>{{"PGPASSWORD", "pw"}, {"PGUSER", "m"}}));
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_DB_URL", "postgresql://u@db/m"}, {"MOSAICOD_DB_USER", "m"}})),
            "MOSAICOD_DB_USER and the user in MOSAICOD_DB_URL both name the database user; give one of them");
  EXPECT_EQ(ErrorOf(Resolve(kServer, {}, {{"MOSAICOD_DB_URL", "postgresql://u:x@db/m"}, {"MOSAICOD_DB_PASSWORD", "y"}})),
            "MOSAICOD_DB_PASSWORD and the password in MOSAICOD_DB_URL both give the database password; give one of "
            "them");
  auto sqlite = Resolve(kServer, {}, {{"MOSAICOD_DB_URL", "sqlite:///tmp/c.db"}, {"MOSAICOD_DB_USER", "m"}});
  ASSERT_TRUE(sqlite.ok()) << ErrorOf(sqlite);
  EXPECT_TRUE(sqlite->options.libpq_env.empty());
  ASSERT_EQ(sqlite->resolution.warnings.size(), 1u);
  EXPECT_NE(sqlite->resolution.warnings[0].find("the catalog is SQLite"), std::string::npos);
}

TEST(EnvCompat, MessageSizes) {
  auto r = Resolve(kServer, {{"limits.max_message_mb", "0.5"}}, {});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->options.server.grpc_max_encode_message_size, 512 << 10);
  EXPECT_EQ(r->options.server.grpc_target_encode_message_size, 256 << 10);
  auto target = Resolve(kServer, {}, {{"MOSAICOD_TARGET_GRPC_ENCODE_MESSAGE_SIZE", "1048576"}});
  ASSERT_TRUE(target.ok()) << ErrorOf(target);
  EXPECT_EQ(target->options.server.grpc_target_encode_message_size, 1 << 20);
  EXPECT_EQ(ErrorOf(Resolve(kServer, {{"limits.max_message_mb", "1"}}, {{"MOSAICOD_TARGET_MESSAGE_SIZE", "2097152"}})),
            "MOSAICOD_TARGET_MESSAGE_SIZE=2097152 exceeds the largest message, 1048576 bytes");
}

TEST(EnvCompat, UnknownMosaicodVariablesAreNamedWithASuggestion) {
  Environment env({{"MOSAICOD_PROT", "1"}, {"MOSAICOD_PORT", "1"}, {"MOSAICOD_SOMETHING_ELSE", "x"},
                   {"MOSAICOD_EMPTY", ""}, {"MOSAICOD_CONFIG_FILE", "/x"}, {"MOSAICOD_CRASH_AT", "p"},
                   {"MOSAICOD_DB_PASSWORD_FILE", "/pw"}, {"OTHER_PORT", "1"}});
  const auto unknown = UnknownMosaicodVariables(env);
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0], std::make_pair(std::string("MOSAICOD_PROT"), std::string("MOSAICOD_PORT")));
  EXPECT_EQ(unknown[1], std::make_pair(std::string("MOSAICOD_SOMETHING_ELSE"), std::string()));
}

}  // namespace
}  // namespace mosaicod

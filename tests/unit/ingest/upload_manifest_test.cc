#include "mosaico/ingest/upload_manifest.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "ingest/test_util.h"
#include "mosaico/core/json.h"

namespace mosaico::ingest {
namespace {

using catalog::ChunkRecord;
using catalog::ColumnStats;
using testing::Contains;

void ExpectSameChunks(const std::vector<ChunkRecord>& a, const std::vector<ChunkRecord>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].object_key, b[i].object_key);
    EXPECT_EQ(a[i].row_count, b[i].row_count);
    EXPECT_EQ(a[i].size_bytes, b[i].size_bytes);
    EXPECT_EQ(a[i].ts_min, b[i].ts_min);
    EXPECT_EQ(a[i].ts_max, b[i].ts_max);
    EXPECT_EQ(a[i].checksum, b[i].checksum);
    EXPECT_EQ(a[i].stats, b[i].stats);
  }
}

UploadManifest Sample() {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  UploadManifest m;
  m.upload_id = "01JABCDEFGHJKMNPQRSTVWXYZ0";
  m.topic = "front/imu";
  m.row_count = 9007199254740993;  // 2^53 + 1: not representable as a double
  ChunkRecord c0;
  c0.index = 0;
  c0.object_key = "sequences/s/topics/front%2Fimu/uploads/01J/chunk-000000.parquet";
  c0.row_count = 3;
  c0.size_bytes = 1234;
  c0.ts_min = kMin;
  c0.ts_max = kMax;
  c0.checksum = "0a1b2c3d";
  ColumnStats i;
  i.column = "timestamp_ns";
  i.kind = ColumnStats::Kind::kInt;
  i.min_int = kMin;
  i.max_int = kMax;
  ColumnStats f;
  f.column = "acceleration.x";
  f.kind = ColumnStats::Kind::kFloat;
  f.min_float = -std::numeric_limits<double>::infinity();
  f.max_float = 0.1 + 0.2;  // 0.30000000000000004
  f.null_count = 2;
  ColumnStats f2;
  f2.column = "tiny";
  f2.kind = ColumnStats::Kind::kFloat;
  f2.min_float = std::numeric_limits<double>::denorm_min();
  f2.max_float = std::numeric_limits<double>::infinity();
  ColumnStats s;
  s.column = "frame_id";
  s.kind = ColumnStats::Kind::kString;
  s.min_str = "quote\" backslash\\ newline\n";
  s.max_str = "\xc3\xa9t\xc3\xa9 \xf0\x9f\xa4\x96";
  ColumnStats b;
  b.column = "valid";
  b.kind = ColumnStats::Kind::kBool;
  b.min_int = 0;
  b.max_int = 1;
  ColumnStats none;
  none.column = "all_null";
  none.kind = ColumnStats::Kind::kString;
  none.null_count = 3;
  c0.stats = {i, f, f2, s, b, none};
  ChunkRecord c1 = c0;
  c1.index = 1;
  c1.stats.clear();
  m.chunks = {c0, c1};
  return m;
}

TEST(UploadManifest, RoundTripIsExact) {
  UploadManifest m = Sample();
  const std::string text = m.Serialize();
  auto back = UploadManifest::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
  EXPECT_EQ(back->version, 1);
  EXPECT_EQ(back->upload_id, m.upload_id);
  EXPECT_EQ(back->topic, m.topic);
  EXPECT_EQ(back->row_count, m.row_count);
  ExpectSameChunks(back->chunks, m.chunks);
  EXPECT_EQ(back->Serialize(), text);
}

TEST(UploadManifest, DocumentShape) {
  auto j = Json::parse(Sample().Serialize());
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["topic"], "front/imu");
  EXPECT_EQ(j["row_count"].get<int64_t>(), 9007199254740993);
  const auto& c = j["chunks"][0];
  for (const char* key : {"index", "object_key", "row_count", "size_bytes", "ts_min", "ts_max", "checksum", "stats"}) {
    EXPECT_TRUE(c.contains(key)) << key;
  }
  EXPECT_EQ(c["stats"][0]["kind"], "int");
  EXPECT_EQ(c["stats"][1]["kind"], "float");
  EXPECT_EQ(c["stats"][1]["min"], "-inf");
  EXPECT_EQ(c["stats"][3]["kind"], "string");
  EXPECT_EQ(c["stats"][4]["kind"], "bool");
  EXPECT_TRUE(c["stats"][5]["min"].is_null());
  EXPECT_EQ(c["stats"][5]["null_count"], 3);
}

TEST(UploadManifest, EmptyUpload) {
  UploadManifest m;
  m.upload_id = "u";
  m.topic = "t";
  auto back = UploadManifest::Parse(m.Serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->chunks.empty());
  EXPECT_EQ(back->row_count, 0);
}

TEST(UploadManifest, ParseErrorsAreInvalidArgumentNamingTheField) {
  const std::string good = Sample().Serialize();
  auto mutate = [&](auto&& fn) {
    Json j = Json::parse(good);
    fn(j);
    return j.dump();
  };
  struct Case {
    std::string text;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {mutate([](Json& j) { j["version"] = 2; }), "version 2 is not supported"},
      {mutate([](Json& j) { j.erase("upload_id"); }), "upload_id is missing"},
      {mutate([](Json& j) { j["topic"] = 5; }), "topic must be a string"},
      {mutate([](Json& j) { j["row_count"] = 1.5; }), "row_count must be an integer"},
      {mutate([](Json& j) { j["row_count"] = 18446744073709551615ull; }), "row_count is out of int64 range"},
      {mutate([](Json& j) { j["chunks"] = Json::object(); }), "chunks must be an array"},
      {mutate([](Json& j) { j["chunks"][1]["ts_min"] = "0"; }), "chunks[1].ts_min must be an integer"},
      {mutate([](Json& j) { j["chunks"][0]["index"] = -1; }), "chunks[0].index is out of range"},
      {mutate([](Json& j) { j["chunks"][0].erase("stats"); }), "chunks[0].stats must be an array"},
      {mutate([](Json& j) { j["chunks"][0]["stats"][2]["kind"] = "decimal"; }),
       "chunks[0].stats[2].kind must be one of int, float, string, bool (got 'decimal')"},
      {mutate([](Json& j) { j["chunks"][0]["stats"][1]["max"] = "big"; }),
       "chunks[0].stats[1].max must be a number, \"inf\" or \"-inf\""},
      {mutate([](Json& j) { j["chunks"][0]["stats"][0]["min"] = 0.5; }), "chunks[0].stats[0].min must be an integer"},
      {mutate([](Json& j) { j["chunks"][0]["stats"][3]["max"] = 7; }), "chunks[0].stats[3].max must be a string"},
      {mutate([](Json& j) { j["chunks"][0]["stats"][4].erase("null_count"); }),
       "chunks[0].stats[4].null_count is missing"},
  };
  for (const auto& c : cases) {
    auto r = UploadManifest::Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
    EXPECT_TRUE(Contains(r.status().message(), c.expect)) << r.status().message() << " / expected: " << c.expect;
    EXPECT_TRUE(Contains(r.status().message(), "upload manifest")) << r.status().message();
  }
}

}  // namespace
}  // namespace mosaico::ingest

#include "mosaico/ingest/schema_check.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "ingest/test_util.h"

namespace mosaico::ingest {
namespace {

using testing::Contains;
using testing::Meta;
using testing::RobotSchema;

std::shared_ptr<arrow::Schema> WithField(const std::shared_ptr<arrow::Schema>& s, int i,
                                         std::shared_ptr<arrow::Field> f) {
  return s->SetField(i, std::move(f)).ValueOrDie();
}

TEST(ValidateTopicSchema, AcceptsNonNullableInt64Timestamp) {
  EXPECT_TRUE(ValidateTopicSchema(*RobotSchema()).ok());
  EXPECT_TRUE(ValidateTopicSchema(*arrow::schema({arrow::field("v", arrow::utf8()),
                                                  arrow::field("timestamp_ns", arrow::int64(), false)}))
                  .ok());
}

TEST(ValidateTopicSchema, RejectsMissingWrongTypeNullableOrDuplicate) {
  struct Case {
    std::shared_ptr<arrow::Schema> schema;
    std::string expect;
  };
  std::vector<Case> cases = {
      {arrow::schema({arrow::field("ts", arrow::int64(), false)}), "missing the required field 'timestamp_ns'"},
      {arrow::schema({}), "missing the required field 'timestamp_ns'"},
      {arrow::schema({arrow::field("timestamp_ns", arrow::int32(), false)}), "must be of type int64, got int32"},
      {arrow::schema({arrow::field("timestamp_ns", arrow::timestamp(arrow::TimeUnit::NANO), false)}),
       "must be of type int64, got timestamp[ns]"},
      {arrow::schema({arrow::field("timestamp_ns", arrow::int64(), true)}), "must be non-nullable"},
      {arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                      arrow::field("timestamp_ns", arrow::int64(), false)}),
       "2 fields named 'timestamp_ns'"},
  };
  for (const auto& c : cases) {
    auto st = ValidateTopicSchema(*c.schema);
    ASSERT_FALSE(st.ok()) << c.schema->ToString();
    EXPECT_TRUE(st.IsInvalid());
    EXPECT_TRUE(Contains(st.message(), c.expect)) << st.message();
    EXPECT_TRUE(Contains(st.message(), "timestamp_ns")) << st.message();
  }
}

// A type Parquet cannot store is refused when the schema arrives (issue 11): before the snapshot binds the topic.
TEST(ValidateTopicSchema, RejectsTypesParquetCannotStoreNamingTheField) {
  auto ts = arrow::field("timestamp_ns", arrow::int64(), false);
  auto dense = arrow::dense_union({arrow::field("i", arrow::int32()), arrow::field("s", arrow::utf8())});
  auto st = ValidateTopicSchema(*arrow::schema({ts, arrow::field("ok", arrow::float64()), arrow::field("u", dense)}));
  ASSERT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("field 'u' has type dense_union"), std::string::npos) << st.message();
  auto nested = ValidateTopicSchema(*arrow::schema({ts, arrow::field("pose", arrow::struct_({arrow::field("u", dense)}))}));
  ASSERT_TRUE(nested.IsInvalid());
  EXPECT_NE(nested.message().find("field 'pose'"), std::string::npos) << nested.message();
  // What the SDK's models use is storable: structs, lists, fixed-size lists, binary, strings, dictionaries.
  EXPECT_TRUE(ValidateTopicSchema(*arrow::schema(
                  {ts, arrow::field("v", arrow::struct_({arrow::field("x", arrow::float64())})),
                   arrow::field("l", arrow::list(arrow::float32())), arrow::field("f", arrow::fixed_size_list(arrow::float64(), 9)),
                   arrow::field("b", arrow::binary()), arrow::field("s", arrow::utf8()),
                   arrow::field("d", arrow::dictionary(arrow::int32(), arrow::utf8()))}))
                  .ok());
}

TEST(CheckSameSchema, EqualSchemasPassAndSchemaMetadataIsIgnored) {
  auto a = RobotSchema();
  EXPECT_TRUE(CheckSameSchema(*a, *RobotSchema(), "seq/imu").ok());
  EXPECT_TRUE(CheckSameSchema(*a, *a->WithMetadata(Meta({"other"}, {"x"})), "seq/imu").ok());
  EXPECT_TRUE(CheckSameSchema(*a, *a->RemoveMetadata(), "seq/imu").ok());
}

TEST(CheckSameSchema, NamesFirstDifferingNestedChildAndTypes) {
  auto expected = RobotSchema();
  auto acc = arrow::struct_({arrow::field("x", arrow::float32(), true, Meta({"unit"}, {"m/s2"})),
                             arrow::field("y", arrow::float64()), arrow::field("z", arrow::float64())});
  auto actual = WithField(expected, 1, expected->field(1)->WithType(acc));
  // Also change a later field: only the first difference is reported.
  actual = WithField(actual, 3, arrow::field("frame_id", arrow::large_utf8()));
  auto st = CheckSameSchema(*expected, *actual, "seq/imu");
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "schema mismatch for topic 'seq/imu': field 1 'acceleration': child 'acceleration.x': type: expected "
            "double got float");
}

TEST(CheckSameSchema, TopLevelTypeDifference) {
  auto expected = RobotSchema();
  auto actual = WithField(expected, 3, arrow::field("frame_id", arrow::large_utf8()));
  auto st = CheckSameSchema(*expected, *actual, "seq/imu");
  EXPECT_EQ(st.message(), "schema mismatch for topic 'seq/imu': field 3 'frame_id': type: expected string got large_string");

  // Different number of struct children: the whole types are shown.
  auto small = arrow::struct_({arrow::field("x", arrow::float64(), true, Meta({"unit"}, {"m/s2"}))});
  st = CheckSameSchema(*expected, *WithField(expected, 1, expected->field(1)->WithType(small)), "seq/imu");
  EXPECT_TRUE(Contains(st.message(), "field 1 'acceleration': type: expected struct<x: double, y: double, z: "
                                     "double> got struct<x: double>"))
      << st.message();
}

TEST(CheckSameSchema, NameNullabilityAndMetadataDifferences) {
  auto expected = RobotSchema();
  auto st = CheckSameSchema(*expected, *WithField(expected, 4, arrow::field("is_valid", arrow::boolean())), "s/t");
  EXPECT_EQ(st.message(), "schema mismatch for topic 's/t': field 4 'valid': name: expected 'valid' got 'is_valid'");

  st = CheckSameSchema(*expected, *WithField(expected, 4, arrow::field("valid", arrow::boolean(), false)), "s/t");
  EXPECT_EQ(st.message(), "schema mismatch for topic 's/t': field 4 'valid': nullability: expected nullable got not null");

  st = CheckSameSchema(*expected, *WithField(expected, 1, expected->field(1)->RemoveMetadata()), "s/t");
  EXPECT_EQ(st.message(),
            "schema mismatch for topic 's/t': field 1 'acceleration': field metadata: expected {ros_type: "
            "'geometry_msgs/Vector3'} got {}");

  // Metadata of a nested child.
  auto acc = arrow::struct_({arrow::field("x", arrow::float64(), true, Meta({"unit"}, {"g"})),
                             arrow::field("y", arrow::float64()), arrow::field("z", arrow::float64())});
  st = CheckSameSchema(*expected, *WithField(expected, 1, expected->field(1)->WithType(acc)), "s/t");
  EXPECT_EQ(st.message(),
            "schema mismatch for topic 's/t': field 1 'acceleration': child 'acceleration.x': field metadata: "
            "expected {unit: 'm/s2'} got {unit: 'g'}");
}

TEST(CheckSameSchema, FieldOrderAndCount) {
  auto expected = RobotSchema();
  // Swapped fields 3 and 4: field 3 is the first that differs.
  auto fields = expected->fields();
  std::swap(fields[3], fields[4]);
  auto st = CheckSameSchema(*expected, *arrow::schema(fields), "s/t");
  EXPECT_TRUE(Contains(st.message(), "field 3 'frame_id': name: expected 'frame_id' got 'valid'")) << st.message();

  auto extra = expected->AddField(expected->num_fields(), arrow::field("extra", arrow::int8())).ValueOrDie();
  st = CheckSameSchema(*expected, *extra, "s/t");
  EXPECT_EQ(st.message(), "schema mismatch for topic 's/t': field 9 'extra': not in the topic schema (expected 9 "
                          "fields, got 10)");

  auto missing = expected->RemoveField(8).ValueOrDie();
  st = CheckSameSchema(*expected, *missing, "s/t");
  EXPECT_EQ(st.message(), "schema mismatch for topic 's/t': field 8 'seq': missing (expected 9 fields, got 8)");
}

TEST(CheckSameSchema, ListAndMapChildren) {
  auto expected = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                                 arrow::field("pts", arrow::list(arrow::field("item", arrow::float32(), true,
                                                                              Meta({"unit"}, {"m"}))))});
  auto actual = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                               arrow::field("pts", arrow::list(arrow::field("item", arrow::float32())))});
  auto st = CheckSameSchema(*expected, *actual, "s/t");
  EXPECT_EQ(st.message(),
            "schema mismatch for topic 's/t': field 1 'pts': child 'pts.item': field metadata: expected {unit: 'm'} "
            "got {}");

  auto m1 = arrow::schema({arrow::field("m", arrow::map(arrow::utf8(), arrow::int32()))});
  auto m2 = arrow::schema({arrow::field("m", arrow::map(arrow::utf8(), arrow::int64()))});
  st = CheckSameSchema(*m1, *m2, "s/t");
  EXPECT_TRUE(Contains(st.message(), "field 0 'm': child 'm.entries': child 'm.entries.value': type: expected int32 "
                                     "got int64"))
      << st.message();
}

TEST(SchemaIpc, RoundTripKeepsAllMetadata) {
  auto s = RobotSchema()->AddField(1, arrow::field("label", arrow::dictionary(arrow::int8(), arrow::utf8()), true,
                                                   Meta({"k"}, {"v"})))
               .ValueOrDie();
  auto ipc = SerializeSchema(*s);
  ASSERT_TRUE(ipc.ok()) << ipc.status().ToString();
  auto back = DeserializeSchema(*ipc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE((*back)->Equals(*s, /*check_metadata=*/true)) << (*back)->ToString(true);
  EXPECT_TRUE(CheckSameSchema(*s, **back, "s/t").ok());
  // Deterministic bytes: the same schema serializes the same way.
  EXPECT_EQ(*SerializeSchema(**back), *ipc);
}

TEST(SchemaIpc, GarbageIsInvalidArgument) {
  for (std::string bad : {std::string(), std::string("not a schema"), std::string(16, '\xff')}) {
    auto r = DeserializeSchema(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
    EXPECT_TRUE(Contains(r.status().message(), "invalid schema snapshot")) << r.status().ToString();
  }
}

}  // namespace
}  // namespace mosaico::ingest

// RequireNullFreeFields (the schema a chunk is stored with) and ChunkWriter's use of it: which fields become
// required, that data is shared, and what the Parquet file then holds (definition levels only where needed).
#include "mosaico/ingest/chunk_nullability.h"

#include <arrow/api.h>
#include <arrow/util/bitmap_builders.h>
#include <gtest/gtest.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>

#include "ingest/test_util.h"
#include "mosaico/ingest/chunk_writer.h"

namespace mosaico::ingest {
namespace {

using testing::ArrayOf;
using testing::AsTopic;
using testing::ReadParquet;
using testing::TempDir;

std::shared_ptr<arrow::DataType> XyType() {
  return arrow::struct_({arrow::field("x", arrow::float64()), arrow::field("y", arrow::float64())});
}

// timestamp_ns, xy{x, y}, pose{position{x, y}}, ranges list<float32>, tags map<utf8, int32>, nothing (null type),
// count int64 declared required.
std::shared_ptr<arrow::Schema> Schema() {
  auto pose = arrow::struct_({arrow::field("position", XyType())});
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                        arrow::field("xy", XyType(), true, testing::Meta({"unit"}, {"m"})),
                        arrow::field("pose", pose), arrow::field("ranges", arrow::list(arrow::float32())),
                        arrow::field("tags", arrow::map(arrow::utf8(), arrow::int32())),
                        arrow::field("nothing", arrow::null()), arrow::field("count", arrow::int64(), false)},
                       testing::Meta({"mosaico:ontology"}, {"test"}));
}

// Three rows of Schema(); the JSON of xy and pose given, the rest without nulls.
std::shared_ptr<arrow::Table> Rows(const std::string& xy, const std::string& pose) {
  auto s = Schema();
  return arrow::Table::Make(
      s, {ArrayOf(s->field(0)->type(), "[1, 2, 3]"), ArrayOf(s->field(1)->type(), xy),
          ArrayOf(s->field(2)->type(), pose), ArrayOf(s->field(3)->type(), "[[1.5], [], [null]]"),
          ArrayOf(s->field(4)->type(), R"([[["a", 1]], [], [["b", null]]])"), std::make_shared<arrow::NullArray>(3),
          ArrayOf(s->field(6)->type(), "[7, 8, 9]")});
}

const std::string kXy = R"([{"x": 1, "y": 2}, {"x": 3, "y": 4}, {"x": 5, "y": 6}])";
const std::string kPose = R"([{"position": {"x": 1, "y": 2}}, {"position": {"x": 3, "y": 4}}, {"position": null}])";

const arrow::Field& Child(const arrow::Field& f, const std::string& name) {
  return *static_cast<const arrow::StructType&>(*f.type()).GetFieldByName(name);
}

TEST(RequireNullFreeFieldsTest, NullFreeStructsAndTheirChildrenBecomeRequired) {
  auto table = Rows(kXy, R"([{"position": {"x": 1, "y": 2}}, {"position": {"x": 3, "y": 4}}, {"position": {"x": 5, "y": 6}}])");
  ASSERT_OK_AND_ASSIGN(auto strict, RequireNullFreeFields(table));
  const auto& s = *strict->schema();
  EXPECT_FALSE(s.GetFieldByName("xy")->nullable());
  EXPECT_FALSE(Child(*s.GetFieldByName("xy"), "x").nullable());
  EXPECT_FALSE(Child(*s.GetFieldByName("xy"), "y").nullable());
  const auto& position = Child(*s.GetFieldByName("pose"), "position");
  EXPECT_FALSE(s.GetFieldByName("pose")->nullable());
  EXPECT_FALSE(position.nullable());
  EXPECT_FALSE(Child(position, "x").nullable());
  EXPECT_FALSE(Child(position, "y").nullable());
  // A list or map field without nulls is required; its items keep their declared nullability.
  EXPECT_FALSE(s.GetFieldByName("ranges")->nullable());
  EXPECT_TRUE(s.GetFieldByName("ranges")->type()->Equals(*arrow::list(arrow::float32())));
  EXPECT_FALSE(s.GetFieldByName("tags")->nullable());
  EXPECT_TRUE(s.GetFieldByName("tags")->type()->Equals(*arrow::map(arrow::utf8(), arrow::int32())));
  // Null type: always null, never required. Declared required: stays so.
  EXPECT_TRUE(s.GetFieldByName("nothing")->nullable());
  EXPECT_FALSE(s.GetFieldByName("count")->nullable());
  // Field and schema metadata are kept.
  EXPECT_TRUE(s.GetFieldByName("xy")->metadata()->Equals(*table->schema()->GetFieldByName("xy")->metadata()));
  EXPECT_TRUE(s.metadata()->Equals(*table->schema()->metadata()));
  ASSERT_OK(strict->ValidateFull());
  ASSERT_OK_AND_ASSIGN(auto back, AsTopic(strict, table->schema()));
  EXPECT_TRUE(back->Equals(*table));
}

TEST(RequireNullFreeFieldsTest, AStructWithANullKeepsItselfAndItsChildrenNullable) {
  // pose's third row is null; its children hold no null anywhere (the child slot under the null is a value).
  auto s = Schema();
  auto x = ArrayOf(arrow::float64(), "[1, 3, 5]");
  auto y = ArrayOf(arrow::float64(), "[2, 4, 6]");
  auto position = arrow::StructArray::Make({x, y}, XyType()->fields()).ValueOrDie();
  const std::vector<uint8_t> valid = {1, 1, 0};
  std::shared_ptr<arrow::Buffer> validity = arrow::internal::BytesToBits(valid).ValueOrDie();
  auto pose = std::make_shared<arrow::StructArray>(s->field(2)->type(), 3, arrow::ArrayVector{position}, validity);
  ASSERT_EQ(pose->null_count(), 1);
  ASSERT_EQ(pose->field(0)->null_count(), 0);
  auto base = Rows(kXy, kPose);
  ASSERT_OK_AND_ASSIGN(auto table, base->SetColumn(2, s->field(2), std::make_shared<arrow::ChunkedArray>(pose)));
  ASSERT_OK_AND_ASSIGN(auto strict, RequireNullFreeFields(table));
  const auto& p = *strict->schema()->GetFieldByName("pose");
  EXPECT_TRUE(p.Equals(*s->field(2))) << p.ToString();  // exactly as declared, children included
  EXPECT_FALSE(strict->schema()->GetFieldByName("xy")->nullable());
}

TEST(RequireNullFreeFieldsTest, AChildWithANullStaysNullableUnderARequiredParent) {
  auto table = Rows(R"([{"x": 1, "y": 2}, {"x": 3, "y": null}, {"x": 5, "y": 6}])", kPose);
  ASSERT_OK_AND_ASSIGN(auto strict, RequireNullFreeFields(table));
  const auto& xy = *strict->schema()->GetFieldByName("xy");
  EXPECT_FALSE(xy.nullable());
  EXPECT_FALSE(Child(xy, "x").nullable());
  EXPECT_TRUE(Child(xy, "y").nullable());
  // pose has no null, its position one: pose required, position and its children as declared.
  const auto& pose = *strict->schema()->GetFieldByName("pose");
  EXPECT_FALSE(pose.nullable());
  EXPECT_TRUE(Child(pose, "position").Equals(*Schema()->field(2)->type()->field(0)));
  ASSERT_OK(strict->ValidateFull());
  ASSERT_OK_AND_ASSIGN(auto back, AsTopic(strict, table->schema()));
  EXPECT_TRUE(back->Equals(*table));
}

TEST(RequireNullFreeFieldsTest, EveryBatchCountsAndSlicedAwayNullsDoNot) {
  // A null in the second batch of the column keeps xy.y nullable.
  auto a = Rows(kXy, kPose);
  auto b = Rows(R"([{"x": 1, "y": null}, {"x": 3, "y": 4}, {"x": 5, "y": 6}])", kPose);
  ASSERT_OK_AND_ASSIGN(auto both, arrow::ConcatenateTables({a, b}));
  ASSERT_EQ(both->column(1)->num_chunks(), 2);
  ASSERT_OK_AND_ASSIGN(auto strict, RequireNullFreeFields(both));
  EXPECT_TRUE(Child(*strict->schema()->GetFieldByName("xy"), "y").nullable());
  // The same batch sliced past its null: the struct's slice decides, not the child's whole buffer.
  auto sliced = b->Slice(1);
  ASSERT_OK_AND_ASSIGN(strict, RequireNullFreeFields(sliced));
  EXPECT_FALSE(Child(*strict->schema()->GetFieldByName("xy"), "y").nullable());
  ASSERT_OK(strict->ValidateFull());
  ASSERT_OK_AND_ASSIGN(auto back, AsTopic(strict, sliced->schema()));
  EXPECT_TRUE(back->Equals(*sliced));
}

TEST(RequireNullFreeFieldsTest, DataIsSharedAndANullEverywhereReturnsTheSameTable) {
  auto table = Rows(kXy, kPose);
  ASSERT_OK_AND_ASSIGN(auto strict, RequireNullFreeFields(table));
  for (int i = 0; i < table->num_columns(); ++i) {
    const auto& before = table->column(i)->chunk(0)->data();
    const auto& after = strict->column(i)->chunk(0)->data();
    ASSERT_EQ(before->buffers.size(), after->buffers.size());
    for (size_t b = 0; b < before->buffers.size(); ++b) EXPECT_EQ(before->buffers[b], after->buffers[b]) << i;
  }
  // Only fields that hold nulls (or are declared required): nothing to change.
  auto s = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("v", arrow::float64())});
  auto nulls = arrow::Table::Make(s, {ArrayOf(arrow::int64(), "[1, 2]"), ArrayOf(arrow::float64(), "[1, null]")});
  ASSERT_OK_AND_ASSIGN(auto same, RequireNullFreeFields(nulls));
  EXPECT_EQ(same, nulls);
}

// Definition levels of the leaf `path` in a chunk's Parquet schema.
int16_t MaxDefinitionLevel(store::ObjectStore& store, const std::string& key, const std::string& path) {
  auto md = parquet::ParquetFileReader::Open(store.OpenRead(key).ValueOrDie())->metadata();
  const int column = md->schema()->ColumnIndex(path);
  EXPECT_GE(column, 0) << path;
  return column < 0 ? -1 : md->schema()->Column(column)->max_definition_level();
}

// ChunkWriter stores each chunk's null-free fields required: Parquet then writes no definition levels for them
// (max level 0), and fields holding nulls keep theirs. The file reads back equal to the rows under the topic schema.
TEST(ChunkWriterNullabilityTest, ChunksStoreTheirNullFreeLeavesWithoutDefinitionLevels) {
  TempDir dir;
  auto store = store::ObjectStore::Open(dir.path()).ValueOrDie();
  auto schema = arrow::schema(
      {arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("xy", XyType()), arrow::field("v", arrow::float64())});
  auto rows = [&](const std::string& xy, const std::string& v) {
    return arrow::RecordBatch::Make(schema, 3, {ArrayOf(arrow::int64(), "[3, 1, 2]"), ArrayOf(XyType(), xy),
                                                ArrayOf(arrow::float64(), v)});
  };
  struct Case {
    std::string xy, v;
    int16_t x_level, y_level, v_level;
  };
  const std::vector<Case> cases = {
      {kXy, "[1, 2, 3]", 0, 0, 0},                                                   // no null at all
      {R"([{"x": 1, "y": null}, {"x": 3, "y": 4}, {"x": 5, "y": 6}])", "[1, 2, 3]", 0, 1, 0},  // a null child
      {R"([{"x": 1, "y": 2}, null, {"x": 5, "y": 6}])", "[1, null, 3]", 2, 2, 1},   // a null struct
  };
  int upload = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.xy);
    const std::string id = "UPLOAD" + std::to_string(upload++);
    ChunkWriter writer(store, "seq", "topic", id, schema);
    auto batch = rows(c.xy, c.v);
    ASSERT_OK(writer.Append(batch));
    ASSERT_OK_AND_ASSIGN(auto chunks, writer.Finish());
    ASSERT_EQ(chunks.size(), 1u);
    const auto& key = chunks[0].object_key;
    EXPECT_EQ(MaxDefinitionLevel(*store, key, "timestamp_ns"), 0);
    EXPECT_EQ(MaxDefinitionLevel(*store, key, "xy.x"), c.x_level);
    EXPECT_EQ(MaxDefinitionLevel(*store, key, "xy.y"), c.y_level);
    EXPECT_EQ(MaxDefinitionLevel(*store, key, "v"), c.v_level);
    ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store, key));
    ASSERT_OK_AND_ASSIGN(auto as_topic, AsTopic(table, schema));
    ASSERT_OK_AND_ASSIGN(auto sorted_input, arrow::Table::FromRecordBatches({rows(c.xy, c.v)}));
    // Rows come back sorted by timestamp: 1, 2, 3 are input rows 1, 2, 0.
    auto expected = arrow::ConcatenateTables({sorted_input->Slice(1), sorted_input->Slice(0, 1)}).ValueOrDie();
    EXPECT_TRUE(as_topic->Equals(*expected->CombineChunks().ValueOrDie())) << as_topic->ToString();
    // Statistics still count the nulls of the chunk.
    for (const auto& s : chunks[0].stats) {
      if (s.column == "v") EXPECT_EQ(s.null_count, c.v_level == 0 ? 0 : 1);
    }
  }
}

}  // namespace
}  // namespace mosaico::ingest

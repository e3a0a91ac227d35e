// Flight form of a topic's columns (server/flight_schema.h): top-level utf8 / large_utf8 travel as utf8_view, with
// names, order, nullability and metadata kept; nested strings and binaries as uploaded; batches agree with the
// announced schema and a converted slice carries only its own bytes.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "mosaico/server/flight_schema.h"

namespace mosaico::server {
namespace {

std::shared_ptr<arrow::KeyValueMetadata> Meta(const std::string& k, const std::string& v) {
  return arrow::key_value_metadata({k}, {v});
}

// Like the SDK's String, Image and a struct with a header: top-level text, nested text, binary.
std::shared_ptr<arrow::Schema> StoredSchema() {
  auto header = arrow::struct_({arrow::field("frame_id", arrow::utf8(), true, Meta("description", "frame")),
                                arrow::field("seq", arrow::int64())});
  return arrow::schema(
      {arrow::field("timestamp_ns", arrow::int64(), false, Meta("description", "record time")),
       arrow::field("data", arrow::utf8(), false, Meta("description", "the text")),
       arrow::field("label", arrow::large_utf8(), true),
       arrow::field("header", header, true, Meta("description", "header")),
       arrow::field("tags", arrow::list(arrow::utf8())),
       arrow::field("payload", arrow::binary(), true, Meta("description", "bytes")),
       arrow::field("names", arrow::dictionary(arrow::int32(), arrow::utf8()))},
      Meta("schema-level", "kept"));
}

TEST(FlightSchemaTest, TopLevelTextBecomesStringViewAndNothingElseChanges) {
  const auto stored = StoredSchema();
  const auto flight = FlightSchemaOf(stored);
  ASSERT_EQ(flight->num_fields(), stored->num_fields());
  for (int i = 0; i < stored->num_fields(); ++i) {
    const auto& s = stored->field(i);
    const auto& f = flight->field(i);
    EXPECT_EQ(f->name(), s->name());
    EXPECT_EQ(f->nullable(), s->nullable()) << s->name();
    EXPECT_TRUE(f->HasMetadata() == s->HasMetadata() && (!s->HasMetadata() || f->metadata()->Equals(*s->metadata())))
        << s->name();
    const bool text = s->name() == "data" || s->name() == "label";
    if (text) {
      EXPECT_EQ(f->type()->id(), arrow::Type::STRING_VIEW) << s->name();
    } else {
      EXPECT_TRUE(f->type()->Equals(*s->type(), /*check_metadata=*/true)) << s->name() << ": " << f->type()->ToString();
    }
  }
  ASSERT_NE(flight->metadata(), nullptr);
  EXPECT_TRUE(flight->metadata()->Equals(*stored->metadata()));
  // the nested frame_id stays utf8, with its metadata
  const auto& header = static_cast<const arrow::StructType&>(*flight->GetFieldByName("header")->type());
  EXPECT_EQ(header.field(0)->type()->id(), arrow::Type::STRING);
  EXPECT_TRUE(header.field(0)->metadata()->Equals(*Meta("description", "frame")));
}

TEST(FlightSchemaTest, SchemaWithoutTopLevelTextIsReturnedAsIs) {
  auto stored = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                               arrow::field("h", arrow::struct_({arrow::field("frame_id", arrow::utf8())})),
                               arrow::field("img", arrow::binary())});
  EXPECT_EQ(FlightSchemaOf(stored), stored);
  auto empty = arrow::schema({});
  EXPECT_EQ(FlightSchemaOf(empty), empty);
}

std::shared_ptr<arrow::RecordBatch> TextBatch(const std::vector<std::optional<std::string>>& values) {
  arrow::StringBuilder text;
  arrow::LargeStringBuilder large;
  arrow::Int64Builder ts;
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_TRUE(ts.Append(static_cast<int64_t>(i)).ok());
    if (values[i]) {
      EXPECT_TRUE(text.Append(*values[i]).ok());
      EXPECT_TRUE(large.Append(*values[i] + "!").ok());
    } else {
      EXPECT_TRUE(text.AppendNull().ok());
      EXPECT_TRUE(large.AppendNull().ok());
    }
  }
  auto schema = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                               arrow::field("data", arrow::utf8(), true, Meta("description", "the text")),
                               arrow::field("label", arrow::large_utf8())});
  return arrow::RecordBatch::Make(schema, static_cast<int64_t>(values.size()),
                                  {*ts.Finish(), *text.Finish(), *large.Finish()});
}

void ExpectSameValues(const arrow::Array& view, const arrow::Array& stored) {
  ASSERT_EQ(view.length(), stored.length());
  for (int64_t i = 0; i < view.length(); ++i) {
    ASSERT_EQ(view.IsNull(i), stored.IsNull(i)) << i;
    if (view.IsNull(i)) continue;
    const auto got = static_cast<const arrow::StringViewArray&>(view).GetView(i);
    const auto want = stored.type_id() == arrow::Type::STRING
                          ? static_cast<const arrow::StringArray&>(stored).GetView(i)
                          : static_cast<const arrow::LargeStringArray&>(stored).GetView(i);
    EXPECT_EQ(got, want) << i;
  }
}

TEST(FlightSchemaTest, BatchesCarryTheAnnouncedSchemaAndTheSameValues) {
  const std::string long_value(100, 'x');
  auto batch = TextBatch({std::string("a"), std::nullopt, std::string(""), std::string("exactly12byt"),
                          std::string("thirteen byte"), long_value, std::string("\xc3\xa9t\xc3\xa9")});
  const auto flight = FlightSchemaOf(batch->schema());
  auto out = ToFlightBatch(batch, flight);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE((*out)->ValidateFull().ok());
  EXPECT_TRUE((*out)->schema()->Equals(*flight, /*check_metadata=*/true));
  EXPECT_EQ((*out)->column(0), batch->column(0));  // unchanged columns are shared
  ExpectSameValues(*(*out)->column(1), *batch->column(1));
  ExpectSameValues(*(*out)->column(2), *batch->column(2));
}

TEST(FlightSchemaTest, AConvertedSliceHoldsOnlyItsOwnBytes) {
  std::vector<std::optional<std::string>> values;
  for (int i = 0; i < 1000; ++i) values.push_back(std::string(50, static_cast<char>('a' + i % 26)));
  auto batch = TextBatch(values)->Slice(10, 3);
  auto out = ToFlightBatch(batch, FlightSchemaOf(batch->schema()));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectSameValues(*(*out)->column(1), *batch->column(1));
  const auto& data = (*out)->column_data(1);
  int64_t variadic = 0;
  for (size_t b = 2; b < data->buffers.size(); ++b) variadic += data->buffers[b] ? data->buffers[b]->size() : 0;
  EXPECT_LE(variadic, 3 * 50 + 64) << "a 3-row slice must not carry the whole 50 KB buffer";
}

TEST(FlightSchemaTest, ReaderConvertsEveryBatchAndKeepsReadersWithoutText) {
  auto batch = TextBatch({std::string("one"), std::nullopt, std::string("a longer value here")});
  auto inner = arrow::RecordBatchReader::Make({batch, batch->Slice(1)}, batch->schema());
  ASSERT_TRUE(inner.ok());
  auto reader = FlightFormReader(*inner);
  EXPECT_TRUE(reader->schema()->Equals(*FlightSchemaOf(batch->schema()), /*check_metadata=*/true));
  int batches = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> b;
    ASSERT_TRUE(reader->ReadNext(&b).ok());
    if (!b) break;
    ++batches;
    EXPECT_TRUE(b->schema()->Equals(*reader->schema(), /*check_metadata=*/true));
    EXPECT_EQ(b->column(1)->type_id(), arrow::Type::STRING_VIEW);
  }
  EXPECT_EQ(batches, 2);
  EXPECT_TRUE(reader->Close().ok());

  auto numbers = arrow::RecordBatchReader::Make({}, arrow::schema({arrow::field("timestamp_ns", arrow::int64())}));
  ASSERT_TRUE(numbers.ok());
  EXPECT_EQ(FlightFormReader(*numbers), *numbers);
}

TEST(FlightSchemaTest, ABatchOfAnotherShapeIsRefused) {
  auto batch = TextBatch({std::string("x")});
  auto other = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                              arrow::field("data", arrow::int32()), arrow::field("label", arrow::utf8_view())});
  EXPECT_TRUE(ToFlightBatch(batch, other).status().IsInvalid());
  EXPECT_TRUE(ToFlightBatch(batch, arrow::schema({})).status().IsInvalid());
}

}  // namespace
}  // namespace mosaico::server

// Flight form of a topic's columns (contract in flight_schema.h).
#include "mosaico/server/flight_schema.h"

#include <limits>
#include <utility>
#include <vector>

#include <arrow/array.h>
#include <arrow/builder.h>

namespace mosaico::server {
namespace {

bool IsStoredText(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRING || type.id() == arrow::Type::LARGE_STRING;
}

// A compact utf8_view copy of a utf8 / large_utf8 array (possibly a slice).
template <typename ArrayType>
arrow::Result<std::shared_ptr<arrow::Array>> ToStringView(const ArrayType& in) {
  arrow::StringViewBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Reserve(in.length()));
  int64_t out_of_line = 0;  // bytes of values too long to live inside their view
  for (int64_t i = 0; i < in.length(); ++i) {
    if (in.IsValid(i) && in.value_length(i) > arrow::BinaryViewType::kInlineSize) out_of_line += in.value_length(i);
  }
  if (out_of_line <= std::numeric_limits<int32_t>::max()) {
    ARROW_RETURN_NOT_OK(builder.ReserveData(out_of_line));  // one data block
  }
  for (int64_t i = 0; i < in.length(); ++i) {
    if (in.IsNull(i)) {
      ARROW_RETURN_NOT_OK(builder.AppendNull());
    } else {
      ARROW_RETURN_NOT_OK(builder.Append(in.GetView(i)));
    }
  }
  return builder.Finish();
}

class FlightFormBatchReader : public arrow::RecordBatchReader {
 public:
  FlightFormBatchReader(std::shared_ptr<arrow::RecordBatchReader> inner, std::shared_ptr<arrow::Schema> flight)
      : inner_(std::move(inner)), flight_(std::move(flight)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return flight_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(inner_->ReadNext(&batch));
    if (batch == nullptr) {
      *out = nullptr;
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(*out, ToFlightBatch(batch, flight_));
    return arrow::Status::OK();
  }

  arrow::Status Close() override { return inner_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::shared_ptr<arrow::Schema> flight_;
};

}  // namespace

std::shared_ptr<arrow::Schema> FlightSchemaOf(const std::shared_ptr<arrow::Schema>& stored) {
  bool changed = false;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  fields.reserve(stored->num_fields());
  for (const auto& field : stored->fields()) {
    if (IsStoredText(*field->type())) {
      fields.push_back(field->WithType(arrow::utf8_view()));  // keeps name, nullability and metadata
      changed = true;
    } else {
      fields.push_back(field);
    }
  }
  if (!changed) return stored;
  return arrow::schema(std::move(fields), stored->metadata());
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ToFlightBatch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                                 const std::shared_ptr<arrow::Schema>& flight) {
  if (batch->num_columns() != flight->num_fields()) {
    return arrow::Status::Invalid("Flight form: a batch of ", batch->num_columns(), " columns for a schema of ",
                                  flight->num_fields(), " fields");
  }
  std::vector<std::shared_ptr<arrow::Array>> columns = batch->columns();
  for (int i = 0; i < batch->num_columns(); ++i) {
    const arrow::DataType& type = *columns[i]->type();
    if (type.Equals(*flight->field(i)->type())) continue;
    if (flight->field(i)->type()->id() != arrow::Type::STRING_VIEW || !IsStoredText(type)) {
      return arrow::Status::Invalid("Flight form: column '", flight->field(i)->name(), "' is ", type.ToString(),
                                    ", announced as ", flight->field(i)->type()->ToString());
    }
    if (type.id() == arrow::Type::STRING) {
      ARROW_ASSIGN_OR_RAISE(columns[i], ToStringView(static_cast<const arrow::StringArray&>(*columns[i])));
    } else {
      ARROW_ASSIGN_OR_RAISE(columns[i], ToStringView(static_cast<const arrow::LargeStringArray&>(*columns[i])));
    }
  }
  return arrow::RecordBatch::Make(flight, batch->num_rows(), std::move(columns));
}

std::shared_ptr<arrow::RecordBatchReader> FlightFormReader(std::shared_ptr<arrow::RecordBatchReader> inner) {
  std::shared_ptr<arrow::Schema> stored = inner->schema();
  std::shared_ptr<arrow::Schema> flight = FlightSchemaOf(stored);
  if (flight == stored) return inner;
  return std::make_shared<FlightFormBatchReader>(std::move(inner), std::move(flight));
}

}  // namespace mosaico::server

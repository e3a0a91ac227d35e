// RowBuilder: appends rows to a schema's columns one value at a time, by dotted field path, and hands out the rows
// gathered so far as a RecordBatch. Values are checked against the field's type when set (a double into an int16
// field, a string into a float field, ... is InvalidArgument naming the path); a required (not nullable) field left
// unset is InvalidArgument at Append; an unset nullable field, or a struct none of whose fields was set, is null.
//
//   RowBuilder rows(models::IMU().schema);
//   rows.Set("acceleration.x", 0.1); rows.Set("acceleration.y", 0.0); ...
//   ARROW_RETURN_NOT_OK(rows.Append(timestamp_ns));   // sets timestamp_ns and ends the row
//
// Scalars: bool, integers, floating point, strings (utf8) and bytes (binary); lists of numbers or strings for list
// and fixed-size-list fields. Lists of structs are not settable here: write RecordBatches for those models.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>

namespace mosaico::client {

class RowBuilder {
 public:
  explicit RowBuilder(std::shared_ptr<arrow::Schema> schema);
  ~RowBuilder();
  RowBuilder(RowBuilder&&) noexcept;
  RowBuilder& operator=(RowBuilder&&) noexcept;

  /// The status of the construction: InvalidArgument when the schema has a type this builder cannot fill.
  const arrow::Status& status() const;
  const std::shared_ptr<arrow::Schema>& schema() const;

  arrow::Status Set(std::string_view path, bool value);
  arrow::Status Set(std::string_view path, double value);
  arrow::Status Set(std::string_view path, std::string_view value);
  arrow::Status Set(std::string_view path, const char* value) { return Set(path, std::string_view(value)); }
  arrow::Status Set(std::string_view path, const std::string& value) { return Set(path, std::string_view(value)); }
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>>>
  arrow::Status Set(std::string_view path, Int value) {
    if constexpr (std::is_signed_v<Int>) return SetSigned(path, static_cast<int64_t>(value));
    else return SetUnsigned(path, static_cast<uint64_t>(value));
  }
  arrow::Status Set(std::string_view path, float value) { return Set(path, static_cast<double>(value)); }
  /// binary fields (e.g. Image.data, CompressedImage.data)
  arrow::Status SetBytes(std::string_view path, const void* data, size_t size);
  arrow::Status Set(std::string_view path, const std::vector<double>& values);
  arrow::Status Set(std::string_view path, const std::vector<int64_t>& values);
  arrow::Status Set(std::string_view path, const std::vector<std::string>& values);
  arrow::Status SetNull(std::string_view path);

  /// Ends the row (timestamp_ns = `timestamp_ns`); on error the row is discarded and the builder stays usable.
  arrow::Status Append(int64_t timestamp_ns);
  /// Discards the values set since the last Append.
  void ClearRow();

  int64_t num_rows() const;
  /// Bytes the rows gathered so far will take (data buffers; an estimate of their IPC size).
  int64_t estimated_bytes() const;
  /// The rows appended so far (then the builder is empty).
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Flush();

 private:
  arrow::Status SetSigned(std::string_view path, int64_t value);
  arrow::Status SetUnsigned(std::string_view path, uint64_t value);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mosaico::client

#include "mosaico/ingest/chunk_codec.h"

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include <arrow/api.h>
#include <arrow/util/compression.h>

namespace mosaico::ingest {
namespace {

bool IsBlobType(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::BINARY: case arrow::Type::LARGE_BINARY: case arrow::Type::BINARY_VIEW:
    case arrow::Type::FIXED_SIZE_BINARY:
      return true;
    default:
      return false;
  }
}

template <typename ArrayType>
void AppendValues(const arrow::Array& array, std::string* sample) {
  const auto& values = static_cast<const ArrayType&>(array);
  for (int64_t i = 0; i < values.length() && static_cast<int64_t>(sample->size()) < kCodecSampleBytes; ++i) {
    if (values.IsNull(i)) continue;
    const std::string_view v = values.GetView(i);
    const size_t room = static_cast<size_t>(kCodecSampleBytes) - sample->size();
    sample->append(v.data(), std::min(v.size(), room));
  }
}

bool IsFloatType(arrow::Type::type id) { return id == arrow::Type::FLOAT || id == arrow::Type::DOUBLE; }

// The first non-null values of a float/double column, up to kFloatSampleBytes, byte-stream-split as Parquet's
// BYTE_STREAM_SPLIT encoding stores them (byte k of every value, then byte k+1, ...). Sets *values.
template <typename ArrayType>
std::string FloatSample(const arrow::ArrayVector& chunks, int64_t* values) {
  using T = typename ArrayType::value_type;
  constexpr int64_t kWidth = sizeof(T);
  std::vector<T> picked;
  const int64_t cap = kFloatSampleBytes / kWidth;
  for (const auto& chunk : chunks) {
    const auto& array = static_cast<const ArrayType&>(*chunk);
    for (int64_t i = 0; i < array.length() && static_cast<int64_t>(picked.size()) < cap; ++i) {
      if (!array.IsNull(i)) picked.push_back(array.Value(i));
    }
    if (static_cast<int64_t>(picked.size()) >= cap) break;
  }
  const int64_t n = static_cast<int64_t>(picked.size());
  *values = n;
  std::string out(static_cast<size_t>(n * kWidth), '\0');
  const auto* in = reinterpret_cast<const uint8_t*>(picked.data());
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t b = 0; b < kWidth; ++b) out[static_cast<size_t>(b * n + i)] = static_cast<char>(in[i * kWidth + b]);
  }
  return out;
}

// The bytes of the first non-null values of a blob column, up to kCodecSampleBytes.
std::string Sample(const arrow::ArrayVector& chunks) {
  std::string sample;
  for (const auto& chunk : chunks) {
    if (static_cast<int64_t>(sample.size()) >= kCodecSampleBytes) break;
    switch (chunk->type_id()) {
      case arrow::Type::BINARY: AppendValues<arrow::BinaryArray>(*chunk, &sample); break;
      case arrow::Type::LARGE_BINARY: AppendValues<arrow::LargeBinaryArray>(*chunk, &sample); break;
      case arrow::Type::BINARY_VIEW: AppendValues<arrow::BinaryViewArray>(*chunk, &sample); break;
      case arrow::Type::FIXED_SIZE_BINARY: AppendValues<arrow::FixedSizeBinaryArray>(*chunk, &sample); break;
      default: break;
    }
  }
  return sample;
}

class Chooser {
 public:
  Chooser(arrow::util::Codec* zstd, arrow::util::Codec* lz4, std::vector<ColumnCodecChoice>* out)
      : zstd_(zstd), lz4_(lz4), out_(out) {}

  // Walks structs depth-first (the Parquet leaf order); lists, maps and unions are not entered.
  arrow::Status Visit(const std::string& path, const arrow::ArrayVector& chunks) {
    if (chunks.empty()) return arrow::Status::OK();
    const auto& type = chunks.front()->type();
    if (type->id() == arrow::Type::STRUCT) {
      for (int f = 0; f < type->num_fields(); ++f) {
        arrow::ArrayVector children;
        children.reserve(chunks.size());
        for (const auto& chunk : chunks) children.push_back(static_cast<const arrow::StructArray&>(*chunk).field(f));
        ARROW_RETURN_NOT_OK(Visit(path + "." + type->field(f)->name(), children));
      }
      return arrow::Status::OK();
    }
    ColumnCodecChoice choice;
    choice.path = path;
    if (IsFloatType(type->id())) {
      choice.kind = CodecColumnKind::kFloat;
      int64_t values = 0;
      const std::string sample = type->id() == arrow::Type::DOUBLE ? FloatSample<arrow::DoubleArray>(chunks, &values)
                                                                    : FloatSample<arrow::FloatArray>(chunks, &values);
      choice.sample_bytes = static_cast<int64_t>(sample.size());
      if (values >= kMinFloatSampleValues) {
        ARROW_ASSIGN_OR_RAISE(choice.zstd_saving, Saving(zstd_, sample));
        if (choice.zstd_saving < kMinFloatZstdSaving) {
          choice.codec = arrow::Compression::UNCOMPRESSED;
        } else {
          ARROW_ASSIGN_OR_RAISE(choice.lz4_saving, Saving(lz4_, sample));
          if (choice.lz4_saving >= choice.zstd_saving * kMinLz4ShareOfZstdSaving) {
            choice.codec = arrow::Compression::LZ4;
          }
        }
      }
      out_->push_back(std::move(choice));
      return arrow::Status::OK();
    }
    if (!IsBlobType(type->id())) return arrow::Status::OK();
    const std::string sample = Sample(chunks);
    choice.sample_bytes = static_cast<int64_t>(sample.size());
    if (!sample.empty()) {
      ARROW_ASSIGN_OR_RAISE(choice.zstd_saving, Saving(zstd_, sample));
      if (choice.zstd_saving < kMinZstdSaving) choice.codec = arrow::Compression::UNCOMPRESSED;
    }
    out_->push_back(std::move(choice));
    return arrow::Status::OK();
  }

 private:
  // 1 - compressed / sampled bytes.
  arrow::Result<double> Saving(arrow::util::Codec* codec, const std::string& sample) {
    const auto* input = reinterpret_cast<const uint8_t*>(sample.data());
    const auto size = static_cast<int64_t>(sample.size());
    const int64_t bound = codec->MaxCompressedLen(size, input);
    buffer_.resize(static_cast<size_t>(bound));
    ARROW_ASSIGN_OR_RAISE(int64_t compressed, codec->Compress(size, input, bound, buffer_.data()));
    return 1.0 - static_cast<double>(compressed) / static_cast<double>(size);
  }

  arrow::util::Codec* zstd_;
  arrow::util::Codec* lz4_;
  std::vector<ColumnCodecChoice>* out_;
  std::vector<uint8_t> buffer_;
};

bool HasChoosableLeaf(const arrow::DataType& type) {
  if (type.id() == arrow::Type::STRUCT) {
    for (const auto& f : type.fields()) {
      if (HasChoosableLeaf(*f->type())) return true;
    }
    return false;
  }
  return IsBlobType(type.id()) || IsFloatType(type.id());
}

}  // namespace

arrow::Result<std::vector<ColumnCodecChoice>> ChooseChunkCodecs(const arrow::Table& table, int zstd_level) {
  std::vector<ColumnCodecChoice> out;
  bool any = false;
  for (const auto& field : table.schema()->fields()) any = any || HasChoosableLeaf(*field->type());
  if (!any) return out;
  ARROW_ASSIGN_OR_RAISE(auto zstd, arrow::util::Codec::Create(arrow::Compression::ZSTD, zstd_level));
  // LZ4 (raw block format, Parquet's LZ4_RAW) at its default level, as the Parquet writer uses it.
  ARROW_ASSIGN_OR_RAISE(auto lz4, arrow::util::Codec::Create(arrow::Compression::LZ4));
  Chooser chooser(zstd.get(), lz4.get(), &out);
  for (int i = 0; i < table.num_columns(); ++i) {
    ARROW_RETURN_NOT_OK(chooser.Visit(table.schema()->field(i)->name(), table.column(i)->chunks()));
  }
  return out;
}

std::vector<std::string> UncompressedColumns(const std::vector<ColumnCodecChoice>& choices) {
  std::vector<std::string> out;
  for (const auto& c : choices) {
    if (!c.compressed()) out.push_back(c.path);
  }
  return out;
}

std::vector<ColumnCodec> ColumnCodecs(const std::vector<ColumnCodecChoice>& choices) {
  std::vector<ColumnCodec> out;
  for (const auto& c : choices) {
    if (c.codec != arrow::Compression::ZSTD) out.push_back({c.path, c.codec});
  }
  return out;
}

}  // namespace mosaico::ingest

#include "mosaico/store/checksum.h"

#include <cstdio>

#include <arrow/util/crc32.h>

namespace mosaico::store {

uint32_t Crc32Update(uint32_t prev, const void* data, int64_t size) {
  if (size <= 0) return prev;
  return arrow::internal::crc32(prev, data, static_cast<size_t>(size));
}

std::string Crc32ToHex(uint32_t crc) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc);
  return std::string(hex, 8);
}

std::string Crc32Hex(const arrow::Buffer& data) { return Crc32ToHex(Crc32Update(0, data.data(), data.size())); }

ChecksumOutputStream::ChecksumOutputStream(std::shared_ptr<arrow::io::OutputStream> inner)
    : inner_(std::move(inner)) {
  set_mode(arrow::io::FileMode::WRITE);
}

ChecksumOutputStream::~ChecksumOutputStream() = default;

arrow::Status ChecksumOutputStream::Write(const void* data, int64_t nbytes) {
  ARROW_RETURN_NOT_OK(inner_->Write(data, nbytes));
  crc_ = Crc32Update(crc_, data, nbytes);
  bytes_ += nbytes;
  return arrow::Status::OK();
}

arrow::Status ChecksumOutputStream::Write(const std::shared_ptr<arrow::Buffer>& data) {
  // Forward the owned buffer so a buffering inner stream can avoid a copy.
  ARROW_RETURN_NOT_OK(inner_->Write(data));
  crc_ = Crc32Update(crc_, data->data(), data->size());
  bytes_ += data->size();
  return arrow::Status::OK();
}

arrow::Status ChecksumOutputStream::Flush() { return inner_->Flush(); }

arrow::Status ChecksumOutputStream::Close() {
  if (inner_->closed()) return arrow::Status::OK();
  return inner_->Close();
}

arrow::Status ChecksumOutputStream::Abort() {
  if (inner_->closed()) return arrow::Status::OK();
  return inner_->Abort();
}

arrow::Result<int64_t> ChecksumOutputStream::Tell() const { return bytes_; }

bool ChecksumOutputStream::closed() const { return inner_->closed(); }

}  // namespace mosaico::store

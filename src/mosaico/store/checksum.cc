#include "mosaico/store/checksum.h"

#include <algorithm>
#include <cstdio>

#include <isa-l/crc.h>

namespace mosaico::store {

uint32_t Crc32Update(uint32_t prev, const void* data, int64_t size) {
  if (size <= 0) return prev;
  // ISA-L's folding CRC (PCLMULQDQ/VPCLMULQDQ where the CPU has them): ~9 GB/s against ~3 GB/s for Arrow's
  // table-driven crc32 on the development VM; on a blob upload the checksum was 7.6 % of the daemon's CPU.
  // Same polynomial, same pre/post inversion, so the values are zlib's and the older chunks' (tested).
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint32_t crc = prev;
  while (size > 0) {  // its length parameter is 64-bit, but keep each call bounded
    const auto piece = static_cast<uint64_t>(std::min<int64_t>(size, int64_t{1} << 30));
    crc = crc32_gzip_refl(crc, bytes, piece);
    bytes += piece;
    size -= static_cast<int64_t>(piece);
  }
  return crc;
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

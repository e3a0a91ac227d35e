// CRC32 checksums of stored objects.
//
// The checksum of an object is the CRC32 (zlib polynomial 0x04C11DB7, the value zlib's crc32() and arrow::internal::crc32 give; computed with ISA-L)
// of all its bytes, rendered as exactly 8 lowercase hex digits ("%08x", e.g. "0a1b2c3d"). This is the string
// catalog::ChunkRecord::checksum and upload.json carry, so a chunk can be verified by re-reading its object.
//
// ChecksumOutputStream computes that checksum while an object is being streamed to the store: it forwards every
// write to an inner stream unchanged and accumulates the CRC32 and the byte count of what went through.
// Closing (or aborting) it closes (aborts) the inner stream. Not thread-safe (neither are arrow output streams).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>

namespace mosaico::store {

// Running CRC32: pass 0 as `prev` for the first piece.
uint32_t Crc32Update(uint32_t prev, const void* data, int64_t size);
// 8 lowercase hex digits.
std::string Crc32ToHex(uint32_t crc);
// Crc32ToHex(CRC32 of the whole buffer).
std::string Crc32Hex(const arrow::Buffer& data);

class ChecksumOutputStream : public arrow::io::OutputStream {
 public:
  // REQUIRES: inner != nullptr.
  explicit ChecksumOutputStream(std::shared_ptr<arrow::io::OutputStream> inner);
  ~ChecksumOutputStream() override;

  using arrow::io::Writable::Write;  // keep Write(std::string_view)
  arrow::Status Write(const void* data, int64_t nbytes) override;
  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override;
  arrow::Status Flush() override;
  arrow::Status Close() override;
  arrow::Status Abort() override;
  // Bytes written through this stream (not the inner stream's position).
  arrow::Result<int64_t> Tell() const override;
  bool closed() const override;

  uint32_t crc32() const { return crc_; }
  std::string checksum_hex() const { return Crc32ToHex(crc_); }
  int64_t bytes_written() const { return bytes_; }

 private:
  std::shared_ptr<arrow::io::OutputStream> inner_;
  uint32_t crc_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace mosaico::store

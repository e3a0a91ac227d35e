#include "mosaico/store/checksum.h"

#include <arrow/io/memory.h>
#include <gtest/gtest.h>

namespace mosaico::store {
namespace {

TEST(Crc32Hex, KnownValues) {
  // The standard CRC-32 check value (zlib / IEEE 802.3).
  EXPECT_EQ(Crc32Hex(*arrow::Buffer::FromString("123456789")), "cbf43926");
  EXPECT_EQ(Crc32Hex(*arrow::Buffer::FromString("")), "00000000");
  EXPECT_EQ(Crc32ToHex(0x0000abcd), "0000abcd");  // zero-padded, lowercase
}

TEST(Crc32Hex, RunningUpdateEqualsWhole) {
  const std::string data = "the quick brown fox jumps over the lazy dog";
  uint32_t crc = Crc32Update(0, data.data(), 10);
  crc = Crc32Update(crc, data.data() + 10, static_cast<int64_t>(data.size()) - 10);
  EXPECT_EQ(Crc32ToHex(crc), Crc32Hex(*arrow::Buffer::FromString(data)));
}

TEST(ChecksumOutputStream, ForwardsBytesAndChecksumsThem) {
  auto inner = arrow::io::BufferOutputStream::Create().ValueOrDie();
  ChecksumOutputStream out(inner);
  EXPECT_FALSE(out.closed());
  ASSERT_TRUE(out.Write("hello ", 6).ok());
  ASSERT_TRUE(out.Write(arrow::Buffer::FromString("checksummed")).ok());
  ASSERT_TRUE(out.Write(std::string_view(" world")).ok());
  ASSERT_TRUE(out.Flush().ok());
  EXPECT_EQ(out.bytes_written(), 23);
  EXPECT_EQ(*out.Tell(), 23);
  EXPECT_EQ(out.checksum_hex(), Crc32Hex(*arrow::Buffer::FromString("hello checksummed world")));

  ASSERT_TRUE(out.Close().ok());
  EXPECT_TRUE(out.closed());
  EXPECT_TRUE(inner->closed());
  EXPECT_TRUE(out.Close().ok());  // idempotent
}

TEST(ChecksumOutputStream, MatchesChecksumOfInnerBytes) {
  auto inner = arrow::io::BufferOutputStream::Create().ValueOrDie();
  auto out = std::make_shared<ChecksumOutputStream>(inner);
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = "piece-" + std::to_string(i) + ";";
    expected += piece;
    ASSERT_TRUE(out->Write(piece.data(), static_cast<int64_t>(piece.size())).ok());
  }
  auto bytes = inner->Finish().ValueOrDie();  // Finish closes the inner stream and hands back its bytes
  EXPECT_EQ(bytes->ToString(), expected);
  EXPECT_EQ(out->checksum_hex(), Crc32Hex(*bytes));
  EXPECT_EQ(out->bytes_written(), bytes->size());
  EXPECT_TRUE(out->closed());
}

TEST(ChecksumOutputStream, AbortAbortsInner) {
  auto inner = arrow::io::BufferOutputStream::Create().ValueOrDie();
  ChecksumOutputStream out(inner);
  ASSERT_TRUE(out.Write("x", 1).ok());
  ASSERT_TRUE(out.Abort().ok());
  EXPECT_TRUE(inner->closed());
}

}  // namespace
}  // namespace mosaico::store

#include "mosaico/store/checksum.h"

#include <random>
#include <vector>

#include <arrow/io/memory.h>
#include <arrow/util/crc32.h>
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

TEST(Crc32Update, EqualsArrowsCrc32AtEveryLengthAndSplit) {
  // Chunks written before the checksum moved to ISA-L carry Arrow's values: both must agree everywhere, including
  // unaligned starts, lengths below and around the folding block sizes, and running updates split anywhere.
  std::mt19937 rng(7);
  std::vector<unsigned char> data(3 << 20);
  for (auto& b : data) b = static_cast<unsigned char>(rng());
  for (int64_t len : {1, 3, 15, 16, 17, 63, 64, 65, 255, 256, 257, 4095, 4096, 65537, 1 << 20, 3 << 20}) {
    for (int64_t offset : {0, 1, 7}) {
      if (offset + len > static_cast<int64_t>(data.size())) continue;
      const unsigned char* p = data.data() + offset;
      const uint32_t expected = arrow::internal::crc32(0, p, static_cast<size_t>(len));
      ASSERT_EQ(Crc32Update(0, p, len), expected) << "len " << len << " offset " << offset;
      const int64_t cut = static_cast<int64_t>(rng() % static_cast<uint32_t>(len));
      ASSERT_EQ(Crc32Update(Crc32Update(0, p, cut), p + cut, len - cut), expected) << "len " << len << " cut " << cut;
    }
  }
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

// StripeLedger: the bookkeeping of one striped upload (docs/PROTOCOL_NOTES.md, "Striped uploads"): which of its
// declared stripes are open, closed or missing, the chunks each closed stripe wrote, and whether the upload
// failed or committed. No I/O, not thread-safe (StripedUpload holds it under its mutex).
//
// Contract:
//  - ValidateFields checks a descriptor's pair: 1 <= stripes <= kMaxStripes (INVALID_ARGUMENT naming 'stripes'),
//    0 <= stripe < stripes (INVALID_ARGUMENT naming 'stripe').
//  - Open(index, stripes) admits a stripe: refused when the upload failed (ABORTED, with the failure), committed
//    or committing (FAILED_PRECONDITION naming 'stripe'), `stripes` differs from the declared count
//    (INVALID_ARGUMENT naming 'stripes'), the index is out of range (INVALID_ARGUMENT naming 'stripe') or already
//    open/closed (ALREADY_EXISTS naming 'stripe'). A refused Open changes nothing.
//  - Close(index, chunks, rows) records an open stripe's clean end; returns true when that close completed the
//    set (every index closed): the caller then commits (state kCommitting) and reports Committed() or Fail().
//  - Fail(reason) makes the upload failed (first reason kept); returns false when it had already ended
//    (failed or committed). StreamEnded(index) forgets an open stripe that ended without Close (after a Fail).
//  - AllChunks(): every closed stripe's chunks ordered by (stripe, chunk index), i.e. by chunk index, since stripe
//    s writes indices FirstChunkIndex(s) + k, k < kChunkIndexSpan. Ties in timestamp_ns between chunks are read
//    back in chunk index order (read/sorted_merge_reader.h), hence "by stripe, then sending order".
#pragma once

#include <cstdint>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::ingest {

class StripeLedger {
 public:
  static constexpr int kMaxStripes = 64;
  static constexpr int32_t kChunkIndexSpan = 1000000;  // chunks per stripe; chunk-%06d names stay 6 digits for 0
  enum class State { kOpen, kCommitting, kCommitted, kFailed };

  static arrow::Status ValidateFields(int64_t stripes, int64_t stripe);
  static int32_t FirstChunkIndex(int stripe) { return stripe * kChunkIndexSpan; }

  explicit StripeLedger(int stripes);

  arrow::Status Open(int index, int stripes);
  arrow::Result<bool> Close(int index, std::vector<catalog::ChunkRecord> chunks, int64_t rows);
  bool Fail(arrow::Status reason);
  void StreamEnded(int index);
  void Committed() { state_ = State::kCommitted; }

  State state() const { return state_; }
  const arrow::Status& failure() const { return failure_; }
  int stripes() const { return static_cast<int>(stripe_.size()); }
  int open_streams() const { return open_; }
  int64_t rows() const { return rows_; }
  std::vector<int> waiting_for() const;  // indices not closed yet, ascending
  std::vector<catalog::ChunkRecord> AllChunks() const;

 private:
  enum class Stripe { kMissing, kOpen, kClosed };
  std::vector<Stripe> stripe_;
  std::vector<std::vector<catalog::ChunkRecord>> chunks_;
  State state_ = State::kOpen;
  arrow::Status failure_;
  int open_ = 0;
  int closed_ = 0;
  int64_t rows_ = 0;
};

}  // namespace mosaico::ingest

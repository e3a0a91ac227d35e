#include "mosaico/ingest/stripe_ledger.h"

#include <algorithm>
#include <string>

#include "mosaico/core/errors.h"

namespace mosaico::ingest {

arrow::Status StripeLedger::ValidateFields(int64_t stripes, int64_t stripe) {
  if (stripes < 1 || stripes > kMaxStripes) {
    return InvalidArgument("field 'stripes' must be an integer from 1 to " + std::to_string(kMaxStripes) + " (got " +
                           std::to_string(stripes) + ")");
  }
  if (stripe < 0 || stripe >= stripes) {
    return InvalidArgument("field 'stripe' must be an integer from 0 to " + std::to_string(stripes - 1) +
                           " ('stripes' is " + std::to_string(stripes) + "; got " + std::to_string(stripe) + ")");
  }
  return arrow::Status::OK();
}

StripeLedger::StripeLedger(int stripes)
    : stripe_(static_cast<size_t>(std::max(stripes, 1)), Stripe::kMissing), chunks_(stripe_.size()) {}

arrow::Status StripeLedger::Open(int index, int stripes) {
  switch (state_) {
    case State::kOpen: break;
    case State::kFailed: return Aborted("the striped upload was aborted: " + failure_.message());
    case State::kCommitting:
    case State::kCommitted:
      return FailedPrecondition("field 'stripe': stripe " + std::to_string(index) +
                                " arrived after the striped upload completed (every stripe closed)");
  }
  if (stripes != this->stripes()) {
    return InvalidArgument("field 'stripes' is " + std::to_string(stripes) + " but the upload in progress declared " +
                           std::to_string(this->stripes()) + " stripes");
  }
  ARROW_RETURN_NOT_OK(ValidateFields(stripes, index));
  if (stripe_[index] != Stripe::kMissing) {
    return AlreadyExists("field 'stripe': stripe " + std::to_string(index) + " of the upload in progress is already " +
                         (stripe_[index] == Stripe::kOpen ? "streaming" : "closed"));
  }
  stripe_[index] = Stripe::kOpen;
  ++open_;
  return arrow::Status::OK();
}

arrow::Result<bool> StripeLedger::Close(int index, std::vector<catalog::ChunkRecord> chunks, int64_t rows) {
  if (index < 0 || index >= stripes() || stripe_[index] != Stripe::kOpen) {
    return arrow::Status::Invalid("stripe ", index, " is not open");  // a caller bug, not client input
  }
  if (state_ == State::kFailed) return Aborted("the striped upload was aborted: " + failure_.message());
  stripe_[index] = Stripe::kClosed;
  --open_;
  ++closed_;
  rows_ += rows;
  chunks_[index] = std::move(chunks);
  if (closed_ < stripes()) return false;
  state_ = State::kCommitting;
  return true;
}

bool StripeLedger::Fail(arrow::Status reason) {
  if (state_ == State::kFailed || state_ == State::kCommitted) return false;
  state_ = State::kFailed;
  failure_ = std::move(reason);
  return true;
}

void StripeLedger::StreamEnded(int index) {
  if (index < 0 || index >= stripes() || stripe_[index] != Stripe::kOpen) return;
  stripe_[index] = Stripe::kMissing;
  --open_;
}

std::vector<int> StripeLedger::waiting_for() const {
  std::vector<int> out;
  for (int i = 0; i < stripes(); ++i) {
    if (stripe_[i] != Stripe::kClosed) out.push_back(i);
  }
  return out;
}

std::vector<catalog::ChunkRecord> StripeLedger::AllChunks() const {
  std::vector<catalog::ChunkRecord> out;
  for (const auto& part : chunks_) out.insert(out.end(), part.begin(), part.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const catalog::ChunkRecord& a, const catalog::ChunkRecord& b) { return a.index < b.index; });
  return out;
}

}  // namespace mosaico::ingest

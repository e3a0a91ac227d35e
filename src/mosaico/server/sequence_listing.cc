#include "mosaico/server/sequence_listing.h"

#include <algorithm>

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"

namespace mosaico::server {
namespace fl = arrow::flight;

arrow::Result<ListCriteria> ParseListCriteria(const fl::Criteria* criteria) {
  ListCriteria out;
  if (criteria == nullptr || criteria->expression.empty()) return out;
  const Json j = Json::parse(criteria->expression, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("ListFlights criteria: expected empty or a JSON object {\"after\", \"limit\"}");
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "after" && value.is_string()) {
      out.after = value.get<std::string>();
    } else if (key == "limit" && value.is_number_integer() && value.get<int64_t>() >= 0) {
      out.limit = value.get<int64_t>();
    } else {
      return InvalidArgument("ListFlights criteria: '" + key +
                             "' is not one of \"after\" (a name) and \"limit\" (an integer >= 0)");
    }
  }
  return out;
}

SequenceListing::SequenceListing(std::shared_ptr<catalog::Catalog> catalog, FlightInfoBuilder builder,
                                 ListCriteria criteria)
    : catalog_(std::move(catalog)),
      builder_(std::move(builder)),
      after_(std::move(criteria.after)),
      remaining_(criteria.limit) {}

arrow::Result<std::unique_ptr<fl::FlightInfo>> SequenceListing::Next() {
  if (remaining_ && *remaining_ <= 0) return nullptr;
  if (next_ == page_.size()) {
    if (exhausted_) return nullptr;
    const int64_t want = remaining_ ? std::min(*remaining_, kPageSize) : kPageSize;
    ARROW_ASSIGN_OR_RAISE(page_, catalog_->ListSequencesPage(after_, want));
    next_ = 0;
    exhausted_ = static_cast<int64_t>(page_.size()) < want;
    if (page_.empty()) return nullptr;
    after_ = page_.back().name;
  }
  ARROW_ASSIGN_OR_RAISE(auto info, builder_.ForListing(page_[next_++]));
  if (remaining_) --*remaining_;
  return std::make_unique<fl::FlightInfo>(std::move(info));
}

}  // namespace mosaico::server

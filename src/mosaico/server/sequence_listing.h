// SequenceListing: the reply stream of ListFlights, read from the catalog one page at a time.
//
// Contract:
//  - One FlightInfo per sequence (FlightInfoBuilder::ForListing), ordered by name, fetched from the catalog in
//    pages of kPageSize (Catalog::ListSequencesPage) as the stream is consumed: the daemon never holds the whole
//    catalog for a listing, and the first reply costs one page whatever the catalog holds. A sequence created or
//    deleted while a listing streams may or may not appear in it.
//  - Criteria (optional): empty -> every sequence. Otherwise a JSON object {"after": "<name>", "limit": N}, both
//    optional: only sequences whose name sorts after `after`, at most N (N >= 0). A client pages through the catalog
//    by passing the last name it got as `after`. Anything else is INVALID_ARGUMENT (ParseListCriteria).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/flight/server.h>
#include <arrow/flight/types.h>
#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/server/flight_info_builder.h"

namespace mosaico::server {

struct ListCriteria {
  std::string after;             // names sorting after this one ("": from the first)
  std::optional<int64_t> limit;  // at most this many (unset: all)
};

arrow::Result<ListCriteria> ParseListCriteria(const arrow::flight::Criteria* criteria);

class SequenceListing : public arrow::flight::FlightListing {
 public:
  static constexpr int64_t kPageSize = 1000;

  SequenceListing(std::shared_ptr<catalog::Catalog> catalog, FlightInfoBuilder builder, ListCriteria criteria);

  // The next sequence's FlightInfo; nullptr at the end.
  arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> Next() override;

 private:
  std::shared_ptr<catalog::Catalog> catalog_;
  FlightInfoBuilder builder_;
  std::string after_;
  std::optional<int64_t> remaining_;
  std::vector<catalog::SequenceRecord> page_;
  size_t next_ = 0;
  bool exhausted_ = false;  // the catalog returned a short page: nothing follows
};

}  // namespace mosaico::server

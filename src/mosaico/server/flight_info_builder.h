// Builds the FlightInfo replies of GetFlightInfo / ListFlights, with the JSON app_metadata the SDK parses
// (mosaicolabs/platform/app_metadata.py):
//  - sequence: FlightInfo.app_metadata = {"resource_locator","created_at_ns","user_metadata",
//      "sessions":[{"locator","created_at_ns","completed_at_ns","locked","topics":["<seq>/<topic>",...]}]},
//    one endpoint per topic (ordered by name), empty schema.
//  - topic: exactly one endpoint; FlightInfo.schema = the topic's schema snapshot in Flight form (FlightTopicSchema).
//  - striped (descriptor "stripes": N > 1): each topic's single endpoint becomes up to N consecutive endpoints, the
//    stripes of read/topic_stripes.h in time order, each with its own ticket (the stripe's sub-window: a ticket
//    like any other, valid on any connection or daemon) and the topic's app_metadata plus
//    "stripe": {"index","count","timestamp_ns_start","timestamp_ns_end","estimated_bytes"}; FlightInfo.ordered =
//    true. Concatenating a topic's stripe streams in endpoint order gives exactly its unstriped stream.
//  - locations: none with one daemon (clients reuse their connection); with several live daemons registered
//    (--advertise-uri), every endpoint lists all their uris, rotated per endpoint and per reply (peer_directory.h).
//  - every endpoint: opaque ticket (locator + window) and app_metadata {"resource_locator","created_at_ns",
//      "completed_at_ns","locked","ontology_tag","serialization_format","user_metadata",
//      "data_info":{"total_bytes","total_chunks_count","total_row_count","interval":{"start_ns","end_ns"}|null},
//      "time_window_info": null | {"row_count","interval"|null}}   (time_window_info only when a window is asked)
#pragma once

#include <memory>
#include <vector>

#include <arrow/flight/types.h>
#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/server/flight_requests.h"
#include "mosaico/server/peer_directory.h"
#include "mosaico/store/object_store.h"

namespace mosaico::server {

class FlightInfoBuilder {
 public:
  FlightInfoBuilder(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store)
      : catalog_(std::move(catalog)), store_(std::move(store)) {}

  // Several daemons (server/peer_directory.h): endpoints list the live daemons' uris, rotated per reply. Unset,
  // or fewer than two live: no locations (the caller's connection). Set before the service takes calls.
  void set_peers(std::shared_ptr<PeerDirectory> peers) { peers_ = std::move(peers); }
  // The writer's row-group size (--row-group-rows): striping reads no footer of a chunk this small.
  void set_row_group_rows(int64_t rows) { row_group_rows_ = rows; }

  arrow::Result<arrow::flight::FlightInfo> ForRequest(const arrow::flight::FlightDescriptor& descriptor,
                                                      const DataRequest& request);
  // The light per-sequence entry of ListFlights: descriptor PATH [seq], no endpoints.
  arrow::Result<arrow::flight::FlightInfo> ForListing(const catalog::SequenceRecord& seq);

 private:
  arrow::Result<arrow::flight::FlightInfo> ForSequence(const arrow::flight::FlightDescriptor& descriptor,
                                                       const DataRequest& request);
  arrow::Result<arrow::flight::FlightInfo> ForTopic(const arrow::flight::FlightDescriptor& descriptor,
                                                    const DataRequest& request);
  struct TopicEndpoints {
    std::vector<arrow::flight::FlightEndpoint> endpoints;  // one, or the stripes in order
    std::string metadata;                                  // the topic's endpoint app_metadata (no "stripe")
    int64_t rows = 0;
    int64_t bytes = 0;
  };
  // `summary`: the topic's data summary (ForSequence asks for all of its topics' in one catalog call).
  arrow::Result<TopicEndpoints> EndpointsOf(const catalog::TopicRecord& topic, const catalog::TopicDataSummary& summary,
                                            const DataRequest& request);

  arrow::Status AddLocations(std::vector<arrow::flight::FlightEndpoint>* endpoints) const;

  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::shared_ptr<PeerDirectory> peers_;
  int64_t row_group_rows_ = 0;
};

// The topic's schema snapshot (as uploaded); an empty schema when no upload ever opened.
arrow::Result<std::shared_ptr<arrow::Schema>> TopicSchema(const catalog::TopicRecord& topic);
// What GetSchema / GetFlightInfo announce and DoGet streams: TopicSchema in Flight form (server/flight_schema.h).
arrow::Result<std::shared_ptr<arrow::Schema>> FlightTopicSchema(const catalog::TopicRecord& topic);

}  // namespace mosaico::server

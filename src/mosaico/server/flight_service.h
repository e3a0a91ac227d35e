// MosaicoFlightService: the Arrow Flight face of mosaicod. One method per RPC, each thin: decode the request,
// call the component that does the work (lifecycle/, ingest/, read/), encode the reply, and map errors to
// gRPC statuses (status_mapping.h). Every RPC is logged (debug on success, warn on client errors, error on
// internal ones) with its target locator.
//
//   ListFlights    one FlightInfo per sequence, descriptor PATH [seq]
//   GetFlightInfo  sequence or topic metadata + tickets (flight_info_builder.h)
//   GetSchema      a topic's schema snapshot (empty schema for a sequence)
//   DoPut          one upload into one topic (ingest/topic_upload.h), or one stripe of a striped upload
//                  (striped_put.h; docs/PROTOCOL_NOTES.md "Striped uploads")
//   DoGet          a topic's rows, sorted by timestamp_ns, trimmed to the ticket's window (read/)
//   DoAction       JSON actions (actions/action_registry.h)
//   ListActions    the registered action names
// Limits (limits.h): DoPut, DoGet and streaming actions hold one of --max-concurrent-streams slots; actions and
// GetFlightInfo stop at --request-timeout-seconds; a DoPut pausing longer than --upload-idle-timeout-seconds is
// aborted; messages, action bodies, descriptors and tickets are size-checked before they are decoded further.
// Every DoPut draws on one ingest memory budget (--ingest-memory-mb, ingest/memory_budget.h): a stream over it
// waits before reading its next message, and the wait does not count as the client's idle time.
#pragma once

#include <memory>

#include <arrow/flight/server.h>

#include "mosaico/auth/authenticator.h"
#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/ingest/memory_budget.h"
#include "mosaico/ingest/striped_uploads.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/server/actions/action_registry.h"
#include "mosaico/server/flight_info_builder.h"
#include "mosaico/server/limits.h"
#include "mosaico/server/server_config.h"

namespace mosaico::server {

class MosaicoFlightService : public arrow::flight::FlightServerBase {
 public:
  MosaicoFlightService(ServerConfig config, std::shared_ptr<lifecycle::Lifecycle> lifecycle);
  ~MosaicoFlightService() override;  // logs what the ingest memory budget saw (event=ingest_memory_summary)
  // Several daemons (server/peer_directory.h): GetFlightInfo endpoints list the live ones. Before Init.
  void set_peers(std::shared_ptr<PeerDirectory> peers) { info_builder_.set_peers(std::move(peers)); }

  arrow::Status ListFlights(const arrow::flight::ServerCallContext& context, const arrow::flight::Criteria* criteria,
                            std::unique_ptr<arrow::flight::FlightListing>* listings) override;
  arrow::Status GetFlightInfo(const arrow::flight::ServerCallContext& context,
                              const arrow::flight::FlightDescriptor& request,
                              std::unique_ptr<arrow::flight::FlightInfo>* info) override;
  arrow::Status GetSchema(const arrow::flight::ServerCallContext& context,
                          const arrow::flight::FlightDescriptor& request,
                          std::unique_ptr<arrow::flight::SchemaResult>* schema) override;
  arrow::Status DoPut(const arrow::flight::ServerCallContext& context,
                      std::unique_ptr<arrow::flight::FlightMessageReader> reader,
                      std::unique_ptr<arrow::flight::FlightMetadataWriter> writer) override;
  arrow::Status DoGet(const arrow::flight::ServerCallContext& context, const arrow::flight::Ticket& request,
                      std::unique_ptr<arrow::flight::FlightDataStream>* stream) override;
  arrow::Status DoAction(const arrow::flight::ServerCallContext& context, const arrow::flight::Action& action,
                         std::unique_ptr<arrow::flight::ResultStream>* result) override;
  arrow::Status ListActions(const arrow::flight::ServerCallContext& context,
                            std::vector<arrow::flight::ActionType>* actions) override;

 private:
  arrow::Status DoPutImpl(const arrow::flight::ServerCallContext& context, arrow::flight::FlightMessageReader* reader,
                          arrow::flight::FlightMetadataWriter* writer, std::string* target);
  arrow::Status DoGetImpl(const arrow::flight::Ticket& request, std::unique_ptr<arrow::flight::FlightDataStream>* stream,
                          std::string* target);
  // The serialized result frames of one action, in order.
  arrow::Result<std::vector<std::string>> RunAction(const arrow::flight::ServerCallContext& context,
                                                    const arrow::flight::Action& action);

  ServerConfig config_;
  std::shared_ptr<lifecycle::Lifecycle> lifecycle_;
  FlightInfoBuilder info_builder_;
  const ActionRegistry& actions_;
  StreamSlots stream_slots_;  // --max-concurrent-streams (limits.h)
  std::shared_ptr<ingest::MemoryBudget> ingest_budget_;  // --ingest-memory-mb; null: no budget
  std::shared_ptr<ingest::EncodeExecutor> encoder_;      // encodes the chunks of every upload (chunk_writer.h)
  std::unique_ptr<ingest::StripedUploads> striped_uploads_;  // striped DoPuts in progress (striped_put.h)
};

}  // namespace mosaico::server

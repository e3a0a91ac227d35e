// mosaico::client -- the C++ client of mosaicod (and of any server speaking the mosaicolabs 0.7.0 protocol).
//
//   ARROW_ASSIGN_OR_RAISE(auto client, mosaico::client::Client::Connect({"grpc://127.0.0.1:6726"}));
//
// A Client is a cheap handle (copies share one connection); it is safe to use from several threads, except that a
// SessionWriter / TopicWriter / reader belongs to one thread at a time. Every call returns arrow::Status/Result; a
// server error keeps the server's message and maps its gRPC code (NOT_FOUND -> KeyError with "not found", ...): see
// README "C++ client".
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <nlohmann/json.hpp>

#include "mosaico/client/model.h"
#include "mosaico/client/query.h"
#include "mosaico/client/types.h"
#include "mosaico/client/writer.h"

namespace mosaico::client {

struct ConnectOptions {
  /// grpc://host:port or grpc+tls://host:port
  std::string uri = "grpc://127.0.0.1:6726";
  /// PEM file of the CA that signed the server's certificate (grpc+tls); empty: the system's roots.
  std::string tls_ca_file;
  /// Sent as the `mosaico-api-key-token` header on every call when not empty.
  std::string api_key;
  /// How long Connect keeps probing `info` before giving up.
  std::chrono::milliseconds connect_timeout{5000};
  /// Deadline of each call (actions, GetFlightInfo, DoGet/DoPut streams); 0: none.
  std::chrono::milliseconds call_timeout{0};
};

struct ReadOptions {
  TimeWindow window;
  /// Ask the server for up to this many stripes (endpoints) per topic, fetched in parallel and delivered in order;
  /// 1 (or a server that answers one endpoint) reads one stream.
  int stripes = 1;
  /// Batches buffered ahead per stripe.
  int prefetch_batches = 4;
};

class ClientCore;

class Client {
 public:
  /// Connects and waits (up to connect_timeout) for the server's `info` to answer.
  static arrow::Result<Client> Connect(ConnectOptions options);
  /// Connect with the defaults but the URI.
  static arrow::Result<Client> Connect(const std::string& uri);

  const ServerInfo& server_info() const;
  const ConnectOptions& options() const;

  // -- writing --------------------------------------------------------------------------------------------------
  /// sequence_create + session_create: a new sequence with its metadata and its first upload session.
  arrow::Result<std::unique_ptr<SessionWriter>> CreateSequence(const std::string& name,
                                                               const nlohmann::json& user_metadata = nlohmann::json::object(),
                                                               WriterOptions options = {});
  /// session_create on an existing sequence: a further upload session (the SDK's sequence_update).
  arrow::Result<std::unique_ptr<SessionWriter>> CreateSession(const std::string& sequence, WriterOptions options = {});

  // -- reading --------------------------------------------------------------------------------------------------
  arrow::Result<std::vector<SequenceSummary>> ListSequences() const;
  arrow::Result<SequenceInfo> DescribeSequence(const std::string& name, const TimeWindow& window = {}) const;
  arrow::Result<TopicInfo> DescribeTopic(const std::string& locator, const TimeWindow& window = {}) const;
  /// The topic's rows (sorted by timestamp_ns) in the window. Columns as served: top-level strings as string_view.
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> ReadTopic(const std::string& locator,
                                                                     const ReadOptions& options = {}) const;
  /// Every topic of the sequence merged by timestamp_ns (ties: topic order): columns `timestamp_ns`, `topic`
  /// (the topic's name, "/imu") and one nullable struct column per topic, named as the topic, holding its fields
  /// (without timestamp_ns) on its rows and null on the others.
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> ReadSequence(const std::string& name,
                                                                        const ReadOptions& options = {}) const;

  // -- queries --------------------------------------------------------------------------------------------------
  arrow::Result<QueryResult> RunQuery(const Query& query) const;
  arrow::Result<std::vector<Cluster>> Clusterize(const ClusterizeRequest& request) const;
  arrow::Result<std::vector<Cluster>> Intersect(const IntersectRequest& request) const;

  // -- notifications (locator: "<sequence>" or "<sequence>/<topic>") ------------------------------------------------
  arrow::Status CreateNotification(const std::string& locator, const std::string& message,
                                   const std::string& type = "error") const;
  arrow::Result<std::vector<Notification>> ListNotifications(const std::string& locator) const;
  arrow::Status PurgeNotifications(const std::string& locator) const;

  // -- deletes --------------------------------------------------------------------------------------------------
  arrow::Status DeleteSequence(const std::string& name) const;
  arrow::Status DeleteSession(const std::string& session_locator) const;
  arrow::Status DeleteTopic(const std::string& locator) const;

  /// Any action: its JSON reply's `response` (null when none).
  arrow::Result<nlohmann::json> Action(const std::string& name, const nlohmann::json& body) const;

 private:
  explicit Client(std::shared_ptr<ClientCore> core);
  std::shared_ptr<ClientCore> core_;
};

}  // namespace mosaico::client

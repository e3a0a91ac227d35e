// Writing: a SessionWriter is one upload session of a sequence (sequence_create + session_create, or
// session_create on an existing sequence); its TopicWriters each own one DoPut stream.
//
//   auto session = client.CreateSequence("run_42", {{"robot", "r7"}});
//   auto* imu = *(*session)->CreateTopic("sensors/imu", models::IMU());
//   imu->rows().Set("acceleration.x", 0.1); ... imu->AppendRow(t_ns);      // or imu->Write(record_batch)
//   ARROW_RETURN_NOT_OK((*session)->Finalize());
//
// Batching: rows and small batches are gathered and sent as messages of at most `max_batch_bytes` (default 0.9 x
// the server's decode limit, as the SDK); a batch of 1 MiB or more goes out as it is (no copy); a larger one than the
// limit is split; one record that alone exceeds the limit is dropped,
// counted (dropped_records) and reported as a topic notification, and the writer goes on, as the SDK does.
// Error policies (the SDK's SessionLevelErrorPolicy): on Abort (explicit, or a SessionWriter destroyed before
// Finalize) kReport closes the topics without flushing, sends a sequence notification with the reason and finalizes
// the session; kDelete deletes the session and everything it wrote.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>
#include <nlohmann/json.hpp>

#include "mosaico/client/model.h"
#include "mosaico/client/row_builder.h"

namespace mosaico::client {

class ClientCore;

enum class ErrorPolicy { kReport, kDelete };

struct WriterOptions {
  ErrorPolicy on_error = ErrorPolicy::kReport;
  /// Largest message sent on a DoPut stream; 0: 0.9 x the server's grpc_max_decode_message_size.
  int64_t max_batch_bytes = 0;
  /// Upload every topic over this many DoPut streams at once (each its own connection and thread; the server's
  /// striped upload, docs/PROTOCOL_NOTES.md "Striped uploads"): messages go to the stripes in turn, and the upload
  /// commits when all are closed. Rows with equal timestamp_ns then come back by stripe, not in sending order.
  /// 1: one stream, as the SDK.
  int stripes = 1;
};

class TopicWriter {
 public:
  ~TopicWriter();
  TopicWriter(const TopicWriter&) = delete;
  TopicWriter& operator=(const TopicWriter&) = delete;

  const std::string& locator() const;   ///< "<sequence>/<topic>"
  const Model& model() const;

  /// Sends `batch` (same field names and types as the topic's schema; InvalidArgument otherwise), split or gathered
  /// to the message size.
  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch);
  /// The typed row builder of this topic; AppendRow ends a row and sends a message when one is full.
  RowBuilder& rows();
  arrow::Status AppendRow(int64_t timestamp_ns);
  /// Sends what is gathered.
  arrow::Status Flush();
  /// Flushes and closes the stream; the server's verdict on the upload is its status.
  arrow::Status Finalize();

  bool is_open() const;
  int64_t rows_written() const;
  int64_t batches_written() const;
  int64_t bytes_written() const;
  int64_t dropped_records() const;      ///< records larger than the message limit, dropped
  const std::string& last_error() const;

 private:
  friend class SessionWriter;
  struct Impl;
  explicit TopicWriter(std::unique_ptr<Impl> impl);
  arrow::Status Close(bool flush);
  std::unique_ptr<Impl> impl_;
};

class SessionWriter {
 public:
  /// An unfinished session is aborted with the error policy (reason "SessionWriter destroyed before Finalize").
  ~SessionWriter();
  SessionWriter(const SessionWriter&) = delete;
  SessionWriter& operator=(const SessionWriter&) = delete;

  const std::string& sequence_name() const;
  const std::string& session_locator() const;   ///< "<sequence>:<id>"

  /// topic_create + DoPut. `topic` is the path inside the sequence ("sensors/imu" or "/sensors/imu").
  /// The returned writer belongs to this session (valid until the session object is destroyed).
  arrow::Result<TopicWriter*> CreateTopic(const std::string& topic, const Model& model,
                                          const nlohmann::json& user_metadata = nlohmann::json::object());
  /// The writer of a topic created by this session, or nullptr.
  TopicWriter* topic(const std::string& topic) const;

  /// Finalizes every topic (flush, close) then the session (locks it). A failure aborts with the policy and is
  /// returned.
  arrow::Status Finalize();
  /// Applies the error policy now (see above) with `reason`.
  arrow::Status Abort(const std::string& reason);
  bool finished() const;

 private:
  friend class Client;
  struct Impl;
  explicit SessionWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mosaico::client

// Plain value types the client returns: server info, sequence / session / topic descriptions, notifications,
// query results and time windows. All times are nanoseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>
#include <nlohmann/json.hpp>

namespace mosaico::client {

/// A half-open time window [start_ns, end_ns) over `timestamp_ns`; either end may be open.
struct TimeWindow {
  std::optional<int64_t> start_ns;
  std::optional<int64_t> end_ns;
};

/// An inclusive interval of timestamps as the server reports it.
struct Interval {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

/// The `info` action's reply.
struct ServerInfo {
  std::string version;
  int64_t max_decode_message_size = 0;   ///< the largest message the server accepts (bytes)
  int64_t max_encode_message_size = 0;
  nlohmann::json raw;                    ///< the whole reply
};

struct SessionInfo {
  std::string locator;                   ///< "<sequence>:<id>"
  int64_t created_at_ns = 0;
  std::optional<int64_t> completed_at_ns;
  bool locked = false;
  std::vector<std::string> topics;       ///< full topic locators "<sequence>/<topic>"
};

/// One sequence of a listing (ListSequences): no sessions, no topics.
struct SequenceSummary {
  std::string name;
  int64_t created_at_ns = 0;
  nlohmann::json user_metadata;
};

struct TopicInfo {
  std::string locator;                   ///< "<sequence>/<topic>"
  std::string ontology_tag;
  std::string serialization_format;
  int64_t created_at_ns = 0;
  std::optional<int64_t> completed_at_ns;
  bool locked = false;
  nlohmann::json user_metadata;
  int64_t total_bytes = 0;
  int64_t total_row_count = 0;
  std::optional<Interval> interval;      ///< first / last timestamp_ns, none when the topic is empty
  std::optional<int64_t> window_row_count;  ///< rows in the asked window (when one was asked)
  std::shared_ptr<arrow::Schema> schema; ///< as served (top-level strings as string_view: docs/PROTOCOL_NOTES.md)
};

struct SequenceInfo {
  std::string name;
  int64_t created_at_ns = 0;
  nlohmann::json user_metadata;
  std::vector<SessionInfo> sessions;
  std::vector<TopicInfo> topics;         ///< every topic of the sequence, in the server's endpoint order
};

struct Notification {
  std::string name;                      ///< "<sequence>" or "<sequence>/<topic>"
  std::string notification_type;         ///< "error", ...
  std::string msg;
  std::string created_datetime;
};

struct QueryTopicResult {
  std::string locator;                   ///< "<sequence>/<topic>"
  std::string ontology_tag;
  std::optional<Interval> timestamp_range;
};

struct QueryItem {
  std::string sequence;
  std::vector<QueryTopicResult> topics;
};

struct QueryResult {
  std::vector<QueryItem> items;
};

/// A time window where a topic filter matched (topic_filter_clusterize / topic_filter_intersect).
struct Cluster {
  int64_t id = 0;
  Interval range;
};

}  // namespace mosaico::client

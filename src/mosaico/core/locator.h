// Resource locators: the names that address sequences, topics and sessions on every channel.
//
// Grammar (documented in docs/LOCATORS.md):
//   segment   := [A-Za-z0-9] [A-Za-z0-9._-]*          (so never "", "." or "..")
//   sequence  := segment                                e.g. "run_2023_01"
//   topic     := sequence "/" segment ("/" segment)*    e.g. "run_2023_01/sensors/lidar_front"
//   session   := sequence ":" [A-Za-z0-9]+              e.g. "run_2023_01:01KQ9XQ0HJ3V39F87CBP6PYA1T"
// Leading and trailing '/' are stripped before parsing ("/front/imu/" == "front/imu"); anything else that does
// not match (empty segments "//", "..", control characters, spaces, ...) is INVALID_ARGUMENT naming the locator.
// A whole locator is at most kMaxLocatorLength bytes. Each name must also fit one file name of the store
// (kMaxStoredNameBytes, the usual file-system limit): a sequence name as it is, a topic path as the store layout
// writes it, one directory with every '/' written as "%2F" (store/layout.h EncodeTopic; StoredTopicNameBytes).
// Longer names are INVALID_ARGUMENT naming the locator and the limit, on every store kind.
#pragma once

#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaico {

inline constexpr size_t kMaxLocatorLength = 512;
inline constexpr size_t kMaxStoredNameBytes = 255;

// Bytes the store layout's directory name of `topic_path` takes (each '/' becomes the 3 bytes "%2F").
size_t StoredTopicNameBytes(std::string_view topic_path);

struct TopicLocator {
  std::string sequence;  // sequence name
  std::string topic;     // topic path relative to the sequence, no leading '/': "front/imu"

  // "seq/front/imu": the resource locator used on the wire.
  std::string ToString() const { return sequence + "/" + topic; }
  // "/front/imu": the way the SDK shows topic names.
  std::string DisplayName() const { return "/" + topic; }
  bool operator==(const TopicLocator&) const = default;
};

struct SessionLocator {
  std::string sequence;
  std::string id;
  std::string ToString() const { return sequence + ":" + id; }
  bool operator==(const SessionLocator&) const = default;
};

// A resource locator as found in descriptors and tickets: either a sequence or a topic.
struct ResourceLocator {
  std::string sequence;
  std::string topic;  // empty for a sequence
  bool is_topic() const { return !topic.empty(); }
  std::string ToString() const { return is_topic() ? sequence + "/" + topic : sequence; }
};

// `field` names the JSON field the value came from, for error messages.
arrow::Result<std::string> ParseSequenceName(std::string_view text, std::string_view field = "locator");
arrow::Result<std::string> ParseTopicPath(std::string_view text, std::string_view field = "topic");
arrow::Result<TopicLocator> ParseTopicLocator(std::string_view text, std::string_view field = "locator");
arrow::Result<SessionLocator> ParseSessionLocator(std::string_view text, std::string_view field = "locator");
arrow::Result<ResourceLocator> ParseResourceLocator(std::string_view text,
                                                    std::string_view field = "resource_locator");

}  // namespace mosaico

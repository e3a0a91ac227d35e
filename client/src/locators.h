// Locator helpers (internal): topic names as the SDK writes them.
#pragma once

#include <string>

namespace mosaico::client {

/// "/front/imu/" -> "front/imu" (the SDK strips leading and trailing slashes).
inline std::string NormalizeTopic(const std::string& topic) {
  size_t b = 0, e = topic.size();
  while (b < e && topic[b] == '/') ++b;
  while (e > b && topic[e - 1] == '/') --e;
  return topic.substr(b, e - b);
}

/// "seq/front/imu" -> "/front/imu" (how the SDK shows a topic's name).
inline std::string TopicNameOf(const std::string& locator) {
  auto slash = locator.find('/');
  return slash == std::string::npos ? std::string("/") : locator.substr(slash);
}

}  // namespace mosaico::client

// Limits on query requests, so that no request can make the daemon work or allocate without bound.
// Exceeding one is INVALID_ARGUMENT naming the key and the limit (docs/QUERY.md, "Grammar").
#pragma once

#include <cstdint>

namespace mosaico::query {

inline constexpr int64_t kMaxInValues = 10000;          // elements of one $in list
inline constexpr int64_t kMaxMatchPatternBytes = 256;   // one $match pattern, as sent (the reference's limit)
inline constexpr int64_t kMaxKeySegments = 64;          // dotted segments of one key (plus list specifiers)
inline constexpr int64_t kMaxKeyBytes = 4096;           // one key
inline constexpr int64_t kMaxConditions = 256;          // conditions of one query (or one clusterize body)
inline constexpr int64_t kMaxIntersectTopics = 1024;    // topics of one intersect body
inline constexpr int64_t kMaxListIndex = 2147483647;    // N of a [N] specifier

}  // namespace mosaico::query

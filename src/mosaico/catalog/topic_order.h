// Ordering FindTopics' rows (catalog.h: by sequence name, then topic name, both in byte order, like SQLite's
// BINARY collation and PostgreSQL's COLLATE "C"), shared by the catalog backends.
//
// Contract:
//  - SortTopicMatches puts `rows` in that order; (sequence, topic) names are unique, so the order is total.
//  - Cost: rows already in order cost one comparison each. Otherwise rows are grouped by sequence id (the runs of
//    consecutive rows of one sequence sorted by id, no hash table), the groups sorted by sequence name and the few
//    topics of each group by name: 20k sequence names sorted instead of 200k rows for a 200k-topic answer of 20k
//    sequences, however the rows of a sequence are spread. Rows are permuted in place, each moved once (no second
//    copy of a result that can hold a million rows).
#pragma once

#include <vector>

#include "mosaico/catalog/topic_filter.h"

namespace mosaico::catalog {

void SortTopicMatches(std::vector<TopicMatch>* rows);

}  // namespace mosaico::catalog

#include "mosaico/catalog/topic_order.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace mosaico::catalog {

// Groups: the rows of one sequence, wherever they are (a PostgreSQL hash join returns topics in id order, and
// topics of concurrently created sequences interleave by id), found by sorting the runs of rows by sequence id.
// A group carries its name's first 16 bytes, so most comparisons never touch the (large, cold) rows. order[k] is
// the row that goes to position k; the rows are then permuted cycle by cycle.
void SortTopicMatches(std::vector<TopicMatch>* rows) {
  std::vector<TopicMatch>& out = *rows;
  const auto by_name = [](const TopicMatch& a, const TopicMatch& b) {
    const int by_sequence = a.sequence_name.compare(b.sequence_name);
    return by_sequence != 0 ? by_sequence < 0 : a.topic_name < b.topic_name;
  };
  if (std::is_sorted(out.begin(), out.end(), by_name)) return;
  struct Group {
    uint64_t key[2];  // the name's first 16 bytes, big-endian, zero-padded: orders like memcmp where they differ
    uint32_t first;   // a row of the group (its name)
    uint32_t count;
  };
  const auto make_group = [&](uint32_t i) {
    Group group{{0, 0}, i, 0};
    const std::string& name = out[i].sequence_name;
    for (size_t j = 0; j < 16; ++j) {
      const uint64_t byte = j < name.size() ? static_cast<unsigned char>(name[j]) : 0;
      group.key[j / 8] = (group.key[j / 8] << 8) | byte;
    }
    return group;
  };
  // Runs: consecutive rows of one sequence (rows mostly come grouped). Sorted by sequence id, the runs of one
  // sequence are adjacent and make one group: no hash table, so no allocation per group (a 20k-topic answer of
  // 20k sequences is 20k runs).
  struct Run {
    int64_t sequence_id;
    uint32_t first, end;  // rows [first, end)
  };
  std::vector<Run> runs;
  for (uint32_t i = 0; i < out.size(); ++i) {
    if (i != 0 && out[i].sequence_id == out[i - 1].sequence_id) continue;
    if (!runs.empty()) runs.back().end = i;
    runs.push_back({out[i].sequence_id, i, static_cast<uint32_t>(out.size())});
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
    return a.sequence_id != b.sequence_id ? a.sequence_id < b.sequence_id : a.first < b.first;
  });
  std::vector<Group> groups;
  std::vector<uint32_t> row_group(out.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    if (r == 0 || runs[r].sequence_id != runs[r - 1].sequence_id) groups.push_back(make_group(runs[r].first));
    const auto g = static_cast<uint32_t>(groups.size() - 1);
    for (uint32_t i = runs[r].first; i < runs[r].end; ++i) row_group[i] = g;
    groups[g].count += runs[r].end - runs[r].first;
  }
  std::vector<uint32_t> group_order(groups.size());
  for (uint32_t g = 0; g < group_order.size(); ++g) group_order[g] = g;
  std::sort(group_order.begin(), group_order.end(), [&](uint32_t x, uint32_t y) {
    const Group& a = groups[x];
    const Group& b = groups[y];
    if (a.key[0] != b.key[0]) return a.key[0] < b.key[0];
    if (a.key[1] != b.key[1]) return a.key[1] < b.key[1];
    return out[a.first].sequence_name < out[b.first].sequence_name;
  });
  std::vector<uint32_t> next(groups.size());  // next free position of each group's slice
  uint32_t position = 0;
  for (uint32_t g : group_order) {
    next[g] = position;
    position += groups[g].count;
  }
  std::vector<uint32_t> order(out.size());  // order[k]: the row that goes to position k
  for (uint32_t i = 0; i < out.size(); ++i) order[next[row_group[i]]++] = i;
  const auto by_topic = [&](uint32_t a, uint32_t b) { return out[a].topic_name < out[b].topic_name; };
  position = 0;
  for (uint32_t g : group_order) {
    const auto first = order.begin() + position;
    const auto last = first + groups[g].count;
    if (!std::is_sorted(first, last, by_topic)) std::sort(first, last, by_topic);
    position += groups[g].count;
  }
  // In place, cycle by cycle; a placed position is marked by order[k] = k.
  for (uint32_t k = 0; k < order.size(); ++k) {
    if (order[k] == k) continue;
    TopicMatch held = std::move(out[k]);
    uint32_t j = k;
    while (order[j] != k) {
      const uint32_t from = order[j];
      out[j] = std::move(out[from]);
      order[j] = j;
      j = from;
    }
    out[j] = std::move(held);
    order[j] = j;
  }
}

}  // namespace mosaico::catalog

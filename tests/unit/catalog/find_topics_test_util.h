// Shared by the FindTopics tests: predicate/filter builders and a fixture that creates sequences and topics with
// given metadata and returns matches as "sequence/topic" strings.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {

using Op = PredicateOp;
using S = std::string;
using Names = std::vector<std::string>;

inline ScalarPredicate P(Op op, std::vector<ScalarValue> args = {}) { return {op, std::move(args)}; }

inline std::vector<std::string> Key(const std::string& dotted) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    out.push_back(dotted.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

inline TopicFilter SeqField(EntityField f, ScalarPredicate p) {
  TopicFilter filter;
  filter.sequence.fields.push_back({f, std::move(p)});
  return filter;
}
inline TopicFilter TopicField(EntityField f, ScalarPredicate p) {
  TopicFilter filter;
  filter.topic.fields.push_back({f, std::move(p)});
  return filter;
}
inline TopicFilter SeqMeta(const std::string& key, ScalarPredicate p) {
  TopicFilter filter;
  filter.sequence.metadata.push_back({Key(key), std::move(p)});
  return filter;
}
inline TopicFilter TopicMeta(const std::string& key, ScalarPredicate p) {
  TopicFilter filter;
  filter.topic.metadata.push_back({Key(key), std::move(p)});
  return filter;
}

class FindTopicsFixture : public CatalogTest {
 protected:
  SequenceRecord Seq(const std::string& name, const std::string& metadata = "{}", int64_t created = 100) {
    auto r = catalog_->CreateSequence(name, metadata, created);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    sessions_[name] = MustCreateSession(name, "S");
    return r.ok() ? *r : SequenceRecord{};
  }

  TopicRecord Topic(const std::string& sequence, const std::string& name, const std::string& tag = "imu",
                    const std::string& metadata = "{}", int64_t created = 300) {
    TopicRecord t = TopicFor(sessions_.at(sequence), name);
    t.ontology_tag = tag;
    t.user_metadata_json = metadata;
    t.created_at_ns = created;
    auto r = catalog_->CreateTopic(t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TopicRecord{};
  }

  // "seq/topic" of every match, in the returned order.
  Names Find(const TopicFilter& filter) {
    auto r = catalog_->FindTopics(filter);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Names out;
    if (!r.ok()) return {"<error>"};
    for (const TopicMatch& m : *r) out.push_back(m.sequence_name + "/" + m.topic_name);
    return out;
  }

  std::map<std::string, SessionRecord> sessions_;
};

// FindTopicsFixture on each backend (catalog_test_util.h, OnEachBackend).
class FindTopicsTest : public OnEachBackend<FindTopicsFixture> {};

}  // namespace mosaico::catalog::testing

// FindTopics / SchemasOfOntologyTag: every operator on every field, ontology tags, ordering, the committed time
// range of each match, and the two SQL shapes (sequence-driven or topic-driven). Metadata: find_topics_metadata_test.
#include "catalog/find_topics_test_util.h"

namespace mosaico::catalog::testing {
namespace {

// ------------------------------------------------------------------------------------ shape of the reply

TEST_P(FindTopicsTest, EmptyFilterReturnsEveryTopicOrderedBySequenceThenTopicBytes) {
  Seq("b_seq");
  Seq("a_seq");
  Seq("B_upper");  // 'B' (0x42) sorts before 'a' (0x61)
  Seq("no_topics");
  Topic("b_seq", "z");
  Topic("b_seq", "a/b");
  Topic("b_seq", "a");
  Topic("a_seq", "imu");
  Topic("B_upper", "gps");
  EXPECT_EQ(Find({}), (Names{"B_upper/gps", "a_seq/imu", "b_seq/a", "b_seq/a/b", "b_seq/z"}));
}

// The order whatever the rows' order out of the database: sequences created out of name order, names that share
// their first 16 bytes or differ only beyond them or in length, topics created interleaved across sequences
// (a sequence's topics not contiguous by id) and out of name order; both SQL shapes (topic-driven: no sequence
// condition; sequence-driven), with a tag condition that keeps some topics of each sequence.
TEST_P(FindTopicsTest, OrderHoldsForInterleavedRowsAndLongSharedPrefixes) {
  const std::vector<std::string> seqs = {"prefix_0123456789abcdef_b", "prefix_0123456789abcdef", "z", "prefix_0123456789abcdeg",
                                         "prefix_0123456789abcdef_a", "A", "prefix_0123456789abcde"};
  for (const auto& q : seqs) Seq(q, R"({"k": 1})");
  const std::vector<std::string> topics = {"m", "b", "z/x", "a", "z"};
  Names all;
  for (const auto& t : topics) {
    for (const auto& q : seqs) {
      Topic(q, t, t == "b" || t == "z" ? "gps" : "imu");
      all.push_back(q + "/" + t);
    }
  }
  std::sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    const auto sa = a.find('/'), sb = b.find('/');  // by sequence name, then topic name (not by locator)
    const int c = a.substr(0, sa).compare(b.substr(0, sb));
    return c != 0 ? c < 0 : a.substr(sa + 1) < b.substr(sb + 1);
  });
  EXPECT_EQ(Find({}), all);
  EXPECT_EQ(Find(SeqMeta("k", P(Op::kEq, {int64_t{1}}))), all);
  Names gps;
  for (const auto& n : all) {
    if (n.ends_with("/b") || n.ends_with("/z")) gps.push_back(n);  // topics "b" and "z"
  }
  TopicFilter seq_and_tag = SeqMeta("k", P(Op::kEq, {int64_t{1}}));
  seq_and_tag.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {std::string("gps")})});
  EXPECT_EQ(Find(seq_and_tag), gps);
  TopicFilter tag_only;
  tag_only.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {std::string("gps")})});
  EXPECT_EQ(Find(tag_only), gps);
}

TEST_P(FindTopicsTest, EmptyCatalogFindsNothing) { EXPECT_TRUE(Find({}).empty()); }

TEST_P(FindTopicsTest, MatchCarriesIdsTagSchemaAndCommittedInterval) {
  SequenceRecord seq = Seq("run");
  TopicRecord with_data = Topic("run", "cam", "camera");
  TopicRecord no_data = Topic("run", "imu", "imu");
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(with_data.id, std::string("ipc\0bytes", 9)));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(with_data.id, "up1",
                                              {Chunk(0, 50, 90), Chunk(1, 10, 60), Chunk(2, 70, 200)}));

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto matches, catalog_->FindTopics({}));
  ASSERT_EQ(matches.size(), 2u);
  const TopicMatch& cam = matches[0];
  EXPECT_EQ(cam.sequence_id, seq.id);
  EXPECT_EQ(cam.sequence_name, "run");
  EXPECT_EQ(cam.topic_id, with_data.id);
  EXPECT_EQ(cam.topic_name, "cam");
  EXPECT_EQ(cam.ontology_tag, "camera");
  EXPECT_EQ(cam.schema_ipc, std::optional<std::string>(std::string("ipc\0bytes", 9)));
  EXPECT_EQ(cam.ts_min, std::optional<int64_t>(10));   // min over chunks' ts_min
  EXPECT_EQ(cam.ts_max, std::optional<int64_t>(200));  // max over chunks' ts_max
  const TopicMatch& imu = matches[1];
  EXPECT_EQ(imu.topic_id, no_data.id);
  EXPECT_FALSE(imu.schema_ipc.has_value());
  EXPECT_FALSE(imu.ts_min.has_value());
  EXPECT_FALSE(imu.ts_max.has_value());
}


// Without with_schemas neither backend reads schema snapshots (kilobytes per row); the rest of the match is the same.
TEST_P(FindTopicsTest, SchemasAreReadOnlyWhenAsked) {
  Seq("run", R"({"site":"lab"})");
  TopicRecord cam = Topic("run", "cam", "camera");
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(cam.id, std::string("ipc\0bytes", 9)));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(cam.id, "up1", {Chunk(0, 50, 90)}));
  for (TopicFilter filter : {TopicFilter{}, SeqMeta("site", P(Op::kEq, {S("lab")}))}) {
    filter.with_schemas = false;
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto without, catalog_->FindTopics(filter));
    filter.with_schemas = true;
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto with, catalog_->FindTopics(filter));
    ASSERT_EQ(without.size(), 1u);
    ASSERT_EQ(with.size(), 1u);
    EXPECT_FALSE(without[0].schema_ipc.has_value());
    EXPECT_EQ(with[0].schema_ipc, std::optional<std::string>(std::string("ipc\0bytes", 9)));
    EXPECT_EQ(without[0].topic_id, cam.id);
    EXPECT_EQ(without[0].ts_min, std::optional<int64_t>(50));
    EXPECT_EQ(without[0].ts_max, std::optional<int64_t>(90));
  }
}
// ------------------------------------------------------------------------------------------ name fields

class NameFieldTest : public FindTopicsTest {
 protected:
  void SetUp() override {
    FindTopicsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* s : {"alpha", "beta", "gamma", "run_1", "run_22", "Zulu"}) {
      Seq(s);
      Topic(s, "t");
    }
  }
  Names Seqs(ScalarPredicate p) {
    Names out;
    for (const std::string& l : Find(SeqField(EntityField::kName, std::move(p)))) {
      out.push_back(l.substr(0, l.find('/')));
    }
    return out;
  }
};

TEST_P(NameFieldTest, EveryOperatorOnSequenceName) {
  EXPECT_EQ(Seqs(P(Op::kEq, {S("beta")})), (Names{"beta"}));
  EXPECT_EQ(Seqs(P(Op::kNeq, {S("beta")})), (Names{"Zulu", "alpha", "gamma", "run_1", "run_22"}));
  EXPECT_EQ(Seqs(P(Op::kLt, {S("beta")})), (Names{"Zulu", "alpha"}));
  EXPECT_EQ(Seqs(P(Op::kLeq, {S("beta")})), (Names{"Zulu", "alpha", "beta"}));
  EXPECT_EQ(Seqs(P(Op::kGt, {S("gamma")})), (Names{"run_1", "run_22"}));
  EXPECT_EQ(Seqs(P(Op::kGeq, {S("gamma")})), (Names{"gamma", "run_1", "run_22"}));
  EXPECT_EQ(Seqs(P(Op::kBetween, {S("alpha"), S("gamma")})), (Names{"alpha", "beta", "gamma"}));
  EXPECT_EQ(Seqs(P(Op::kOutside, {S("alpha"), S("gamma")})), (Names{"Zulu", "run_1", "run_22"}));
  EXPECT_EQ(Seqs(P(Op::kIn, {S("gamma"), S("Zulu"), S("nope")})), (Names{"Zulu", "gamma"}));
  EXPECT_EQ(Seqs(P(Op::kIn, {})), Names{});
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("run_#")})), (Names{"run_1"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("run_*")})), (Names{"run_1", "run_22"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("[a-b]*")})), (Names{"alpha", "beta"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("gamma")})), (Names{"gamma"}));  // no wildcard: whole-name equality
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("gam")})), Names{});
  EXPECT_EQ(Seqs(P(Op::kExists, {ScalarValue()})), (Names{"Zulu", "alpha", "beta", "gamma", "run_1", "run_22"}));
  EXPECT_EQ(Seqs(P(Op::kNotExists, {ScalarValue()})), Names{});
}

// The literal prefix of a $match is pushed down as a byte range (SQLite) or a LIKE (PostgreSQL): LIKE's own
// special characters and non-ASCII prefixes must stay literal.
TEST_P(NameFieldTest, GlobPrefixesWithLikeSpecialsAndNonAscii) {
  for (const char* s : {"a_b1", "a%b2", "axb3", "a\\b4", "ab", "\xc3\xa9t\xc3\xa9", "\xc3\xa9z"}) {
    Seq(s);
    Topic(s, "t");
  }
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("a_b*")})), (Names{"a_b1"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("a%*")})), (Names{"a%b2"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("a\\*")})), (Names{"a\\b4"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("a?b#")})), (Names{"a%b2", "a\\b4", "a_b1", "axb3"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("\xc3\xa9t*")})), (Names{"\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("\xc3\xa9*")})), (Names{"\xc3\xa9t\xc3\xa9", "\xc3\xa9z"}));
  EXPECT_EQ(Seqs(P(Op::kMatch, {S("ab*")})), (Names{"ab"}));
}

TEST_P(NameFieldTest, ArgumentsOfAnotherKindNeverMatch) {
  Seq("5");
  Topic("5", "t");
  EXPECT_EQ(Seqs(P(Op::kEq, {int64_t{5}})), Names{});   // no SQL affinity: 5 is not '5'
  EXPECT_EQ(Seqs(P(Op::kEq, {S("5")})), (Names{"5"}));
  EXPECT_EQ(Seqs(P(Op::kIn, {int64_t{5}, S("beta")})), (Names{"beta"}));
  EXPECT_EQ(Seqs(P(Op::kNeq, {int64_t{5}})), Names{});
  EXPECT_EQ(Seqs(P(Op::kGt, {true})), Names{});
}

TEST_P(NameFieldTest, LongInListsMatchExactly) {
  std::vector<ScalarValue> many;
  for (int i = 0; i < 500; ++i) many.emplace_back("missing_" + std::to_string(i));
  many.emplace_back(S("run_22"));
  many.emplace_back(S("alpha"));
  many.emplace_back(S("alpha"));  // duplicates are harmless
  EXPECT_EQ(Seqs(P(Op::kIn, many)), (Names{"alpha", "run_22"}));
}

TEST_P(NameFieldTest, TopicNameComparesVerbatim) {
  Seq("s");
  Topic("s", "front/imu");
  Topic("s", "front/cam");
  Topic("s", "rear/imu");
  auto topics = [&](ScalarPredicate p) { return Find(TopicField(EntityField::kName, std::move(p))); };
  EXPECT_EQ(topics(P(Op::kEq, {S("front/imu")})), (Names{"s/front/imu"}));
  EXPECT_EQ(topics(P(Op::kEq, {S("/front/imu")})), Names{});  // the parser strips '/', not the catalog
  EXPECT_EQ(topics(P(Op::kMatch, {S("*/imu")})), (Names{"s/front/imu", "s/rear/imu"}));
  EXPECT_EQ(topics(P(Op::kMatch, {S("front/*")})), (Names{"s/front/cam", "s/front/imu"}));
  EXPECT_EQ(topics(P(Op::kLt, {S("front/d")})), (Names{"s/front/cam"}));
  EXPECT_EQ(topics(P(Op::kIn, {S("rear/imu"), S("t")})).size(), 7u);  // 6 sequences' "t" + rear/imu
}

// with_leading_slash (what the query parser sets on topic-name $match): the predicate sees '/' + the stored name,
// the name as the SDK shows it. Both backends, with and without wildcards, and behind a sequence condition.
TEST_P(NameFieldTest, TopicNameWithLeadingSlash) {
  Seq("s");
  Topic("s", "front/imu");
  Topic("s", "front/cam");
  Topic("s", "rear/imu");
  auto slashed = [&](ScalarPredicate p, bool behind_sequence = false) {
    TopicFilter f = TopicField(EntityField::kName, std::move(p));
    f.topic.fields[0].with_leading_slash = true;
    if (behind_sequence) f.sequence.fields.push_back({EntityField::kName, P(Op::kEq, {S("s")})});
    return Find(f);
  };
  for (bool behind : {false, true}) {
    EXPECT_EQ(slashed(P(Op::kMatch, {S("?front/*")}), behind), (Names{"s/front/cam", "s/front/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kMatch, {S("?ront/imu")}), behind), Names{}) << behind;  // '?' is the '/'
    EXPECT_EQ(slashed(P(Op::kMatch, {S("/front/imu")}), behind), (Names{"s/front/imu"})) << behind;  // no wildcard
    EXPECT_EQ(slashed(P(Op::kMatch, {S("front/imu")}), behind), Names{}) << behind;
    EXPECT_EQ(slashed(P(Op::kMatch, {S("//front/imu")}), behind), Names{}) << behind;
    EXPECT_EQ(slashed(P(Op::kMatch, {S("[/]rear*")}), behind), (Names{"s/rear/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kMatch, {S("*/imu")}), behind), (Names{"s/front/imu", "s/rear/imu"})) << behind;
    // A literal prefix narrows the search by a name range first (both backends); the glob decides.
    EXPECT_EQ(slashed(P(Op::kMatch, {S("/front/*")}), behind), (Names{"s/front/cam", "s/front/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kMatch, {S("/re*u")}), behind), (Names{"s/rear/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kMatch, {S("/rear/imu*")}), behind), (Names{"s/rear/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kEq, {S("/rear/imu")}), behind), (Names{"s/rear/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kIn, {S("/rear/imu"), S("front/cam")}), behind), (Names{"s/rear/imu"})) << behind;
    EXPECT_EQ(slashed(P(Op::kLt, {S("/g")}), behind), (Names{"s/front/cam", "s/front/imu"})) << behind;
  }
  // "?" alone: one character, and every stored name has at least one, so '/' + name has two or more.
  EXPECT_EQ(slashed(P(Op::kMatch, {S("?")})), Names{});
  EXPECT_EQ(slashed(P(Op::kMatch, {S("??")})).size(), 6u);  // the six sequences' "t"
  // Only names take it.
  TopicFilter bad = TopicField(EntityField::kCreatedAtNs, P(Op::kEq, {int64_t{1}}));
  bad.topic.fields[0].with_leading_slash = true;
  EXPECT_TRUE(catalog_->FindTopics(bad).status().IsInvalid());
}

TEST_P(FindTopicsTest, NamesCompareByUtf8Bytes) {
  Seq("s");
  Topic("s", "a");
  Topic("s", "\xc3\xa9");          // é U+00E9
  Topic("s", "\xef\xbd\x81");      // ａ U+FF41
  Topic("s", "\xf0\x9f\x98\x80");  // 😀 U+1F600
  EXPECT_EQ(Find({}), (Names{"s/a", "s/\xc3\xa9", "s/\xef\xbd\x81", "s/\xf0\x9f\x98\x80"}));
  EXPECT_EQ(Find(TopicField(EntityField::kName, P(Op::kGt, {S("z")}))),
            (Names{"s/\xc3\xa9", "s/\xef\xbd\x81", "s/\xf0\x9f\x98\x80"}));
  EXPECT_EQ(Find(TopicField(EntityField::kName, P(Op::kMatch, {S("?")}))).size(), 4u);  // one code point each
}

// ---------------------------------------------------------------------------------------- created_at_ns

TEST_P(FindTopicsTest, EveryOperatorOnCreatedAt) {
  for (int64_t ts : {100, 200, 300}) {
    const std::string name = "s" + std::to_string(ts);
    Seq(name, "{}", ts);
    Topic(name, "t", "imu", "{}", ts + 1);
  }
  auto seqs = [&](ScalarPredicate p) { return Find(SeqField(EntityField::kCreatedAtNs, std::move(p))); };
  EXPECT_EQ(seqs(P(Op::kEq, {int64_t{200}})), (Names{"s200/t"}));
  EXPECT_EQ(seqs(P(Op::kNeq, {int64_t{200}})), (Names{"s100/t", "s300/t"}));
  EXPECT_EQ(seqs(P(Op::kLt, {int64_t{200}})), (Names{"s100/t"}));
  EXPECT_EQ(seqs(P(Op::kLeq, {int64_t{200}})), (Names{"s100/t", "s200/t"}));
  EXPECT_EQ(seqs(P(Op::kGt, {int64_t{200}})), (Names{"s300/t"}));
  EXPECT_EQ(seqs(P(Op::kGeq, {int64_t{200}})), (Names{"s200/t", "s300/t"}));
  EXPECT_EQ(seqs(P(Op::kBetween, {int64_t{150}, int64_t{300}})), (Names{"s200/t", "s300/t"}));
  EXPECT_EQ(seqs(P(Op::kOutside, {int64_t{150}, int64_t{250}})), (Names{"s100/t", "s300/t"}));
  EXPECT_EQ(seqs(P(Op::kIn, {int64_t{100}, int64_t{300}, int64_t{7}})), (Names{"s100/t", "s300/t"}));
  EXPECT_EQ(seqs(P(Op::kMatch, {S("1*")})), Names{});  // $match on an int field never holds
  EXPECT_EQ(seqs(P(Op::kEq, {S("200")})), Names{});
  EXPECT_EQ(seqs(P(Op::kExists)).size(), 3u);
  auto topics = [&](ScalarPredicate p) { return Find(TopicField(EntityField::kCreatedAtNs, std::move(p))); };
  EXPECT_EQ(topics(P(Op::kEq, {int64_t{201}})), (Names{"s200/t"}));
  EXPECT_EQ(topics(P(Op::kBetween, {int64_t{101}, int64_t{201}})), (Names{"s100/t", "s200/t"}));
  std::vector<ScalarValue> many;
  for (int64_t i = 0; i < 100; ++i) many.emplace_back(i * 1000 + 1);  // 1, 1001, ...: none is a topic's time
  many.emplace_back(int64_t{301});
  many.emplace_back(int64_t{101});
  EXPECT_EQ(topics(P(Op::kIn, many)), (Names{"s100/t", "s300/t"}));
}

TEST_P(FindTopicsTest, CreatedAtAgainstFloatArgumentsIsExact) {
  const int64_t two53 = int64_t{1} << 53;
  Seq("big", "{}", two53 + 1);
  Topic("big", "t");
  Seq("small", "{}", 10);
  Topic("small", "t");
  auto seqs = [&](ScalarPredicate p) { return Find(SeqField(EntityField::kCreatedAtNs, std::move(p))); };
  EXPECT_EQ(seqs(P(Op::kEq, {static_cast<double>(two53)})), Names{});  // as a double 2^53+1 would equal 2^53
  EXPECT_EQ(seqs(P(Op::kGt, {static_cast<double>(two53)})), (Names{"big/t"}));
  EXPECT_EQ(seqs(P(Op::kLt, {10.5})), (Names{"small/t"}));
  EXPECT_EQ(seqs(P(Op::kEq, {10.0})), (Names{"small/t"}));
  EXPECT_EQ(seqs(P(Op::kBetween, {9.5, 10.5})), (Names{"small/t"}));
  Topic("big", "u", "imu", "{}", 500);  // a topic's creation time checked in C++ too (PostgreSQL reads its column)
  auto topics = [&](ScalarPredicate p) { return Find(TopicField(EntityField::kCreatedAtNs, std::move(p))); };
  EXPECT_EQ(topics(P(Op::kGt, {400.5})), (Names{"big/u"}));
  EXPECT_EQ(topics(P(Op::kLt, {400.5})), (Names{"big/t", "small/t"}));
}

// ----------------------------------------------------------------------------------------- ontology tag

TEST_P(FindTopicsTest, OntologyTagPredicatesAndTagSet) {
  Seq("s");
  Topic("s", "a", "IMU");
  Topic("s", "b", "GPS");
  Topic("s", "c", "Image");
  Topic("s", "d", "imu");
  auto tags = [&](ScalarPredicate p) { return Find(TopicField(EntityField::kOntologyTag, std::move(p))); };
  EXPECT_EQ(tags(P(Op::kEq, {S("IMU")})), (Names{"s/a"}));  // case-sensitive
  EXPECT_EQ(tags(P(Op::kNeq, {S("IMU")})), (Names{"s/b", "s/c", "s/d"}));
  EXPECT_EQ(tags(P(Op::kLt, {S("IMU")})), (Names{"s/b"}));
  EXPECT_EQ(tags(P(Op::kMatch, {S("I*")})), (Names{"s/a", "s/c"}));
  EXPECT_EQ(tags(P(Op::kIn, {S("GPS"), S("imu")})), (Names{"s/b", "s/d"}));
  EXPECT_EQ(tags(P(Op::kOutside, {S("H"), S("J")})), (Names{"s/b", "s/d"}));

  TopicFilter set;
  set.ontology_tags = std::vector<std::string>{"GPS", "Image", "Lidar"};
  EXPECT_EQ(Find(set), (Names{"s/b", "s/c"}));
  set.ontology_tags = std::vector<std::string>{};
  EXPECT_EQ(Find(set), Names{});
  std::vector<std::string> many;
  for (int i = 0; i < 200; ++i) many.push_back("tag" + std::to_string(i));
  many.push_back("imu");
  set.ontology_tags = many;
  EXPECT_EQ(Find(set), (Names{"s/d"}));
}

TEST_P(FindTopicsTest, RejectsMalformedFilters) {
  Seq("s");
  Topic("s", "t");
  auto st = catalog_->FindTopics(SeqField(EntityField::kOntologyTag, P(Op::kEq, {S("imu")}))).status();
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  st = catalog_->FindTopics(TopicField(EntityField::kName, P(Op::kMatch, {S("a[")}))).status();
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "topic.name")) << st.ToString();
  st = catalog_->FindTopics(SeqMeta("k", P(Op::kMatch, {S("[]")}))).status();
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "'k'")) << st.ToString();
  st = catalog_->FindTopics(SeqMeta("a..b", P(Op::kExists))).status();
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
}

// ------------------------------------------------------------------------------------- mixed conditions

TEST_P(FindTopicsTest, SequenceAndTopicConditionsCombine) {
  Seq("r1", R"({"env":{"weather":"rain"}})", 100);
  Seq("r2", R"({"env":{"weather":"rain"}})", 200);
  Seq("s1", R"({"env":{"weather":"sun"}})", 300);
  for (const char* s : {"r1", "r2", "s1"}) {
    Topic(s, "imu", "IMU");
    Topic(s, "gps", "GPS");
  }
  TopicFilter f = SeqMeta("env.weather", P(Op::kEq, {S("rain")}));
  f.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("IMU")})});
  EXPECT_EQ(Find(f), (Names{"r1/imu", "r2/imu"}));
  f.sequence.fields.push_back({EntityField::kCreatedAtNs, P(Op::kGt, {int64_t{150}})});
  EXPECT_EQ(Find(f), (Names{"r2/imu"}));
  f.ontology_tags = std::vector<std::string>{"GPS"};
  EXPECT_EQ(Find(f), Names{});
}

// With a sequence condition the SQL is driven by sequences and topic columns are written differently
// (index-bounded per sequence); every topic condition must select exactly what it selects without it.
TEST_P(FindTopicsTest, TopicConditionsAgreeWhetherOrNotSequencesDriveTheSearch) {
  for (int i = 0; i < 6; ++i) {
    const std::string seq = "s" + std::to_string(i);
    Seq(seq, i % 2 ? R"({"odd":true})" : R"({"odd":false})");
    Topic(seq, "imu", i % 3 ? "IMU" : "imu", "{}", 10 + i);
    Topic(seq, "gps", "GPS", R"({"rate":)" + std::to_string(i) + "}", 20 + i);
    Topic(seq, "cam/front", "Image", "{}", 30 + i);
  }
  const std::vector<FieldPredicate> topic_conditions = {
      {EntityField::kOntologyTag, P(Op::kEq, {S("IMU")})},
      {EntityField::kOntologyTag, P(Op::kNeq, {S("IMU")})},
      {EntityField::kOntologyTag, P(Op::kLt, {S("J")})},
      {EntityField::kOntologyTag, P(Op::kGeq, {S("Image")})},
      {EntityField::kOntologyTag, P(Op::kBetween, {S("GPS"), S("Image")})},
      {EntityField::kOntologyTag, P(Op::kOutside, {S("GPS"), S("Image")})},
      {EntityField::kOntologyTag, P(Op::kIn, {S("imu"), S("GPS")})},
      {EntityField::kOntologyTag, P(Op::kMatch, {S("I*")})},
      {EntityField::kName, P(Op::kEq, {S("gps")})},
      {EntityField::kName, P(Op::kGt, {S("d")})},
      {EntityField::kName, P(Op::kMatch, {S("cam/*")})},
      {EntityField::kCreatedAtNs, P(Op::kBetween, {int64_t{12}, int64_t{24}})},
      {EntityField::kCreatedAtNs, P(Op::kIn, {int64_t{10}, int64_t{25}, int64_t{33}})},
  };
  const TopicFilter odd = SeqMeta("odd", P(Op::kEq, {true}));
  for (const FieldPredicate& condition : topic_conditions) {
    TopicFilter alone;
    alone.topic.fields.push_back(condition);
    Names expected;
    for (const std::string& l : Find(alone)) {
      const int index = l[1] - '0';
      if (index % 2 == 1) expected.push_back(l);
    }
    ASSERT_FALSE(Find(alone).empty()) << PredicateOpName(condition.predicate.op);
    TopicFilter behind = odd;
    behind.topic.fields.push_back(condition);
    EXPECT_EQ(Find(behind), expected) << PredicateOpName(condition.predicate.op);
  }
  TopicFilter tags = odd;
  tags.ontology_tags = std::vector<std::string>{"IMU", "Image"};
  EXPECT_EQ(Find(tags), (Names{"s1/cam/front", "s1/imu", "s3/cam/front", "s5/cam/front", "s5/imu"}));
}

// --------------------------------------------------------------------------------------------- schemas

TEST_P(FindTopicsTest, SchemasOfOntologyTagAreDistinct) {
  Seq("s");
  TopicRecord a = Topic("s", "a", "imu");
  TopicRecord b = Topic("s", "b", "imu");
  TopicRecord c = Topic("s", "c", "imu");
  Topic("s", "d", "imu");  // no schema yet
  TopicRecord e = Topic("s", "e", "gps");
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(a.id, "schema-v1"));
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(b.id, "schema-v1"));
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(c.id, std::string("schema\0v2", 9)));
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(e.id, "gps-schema"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto imu, catalog_->SchemasOfOntologyTag("imu"));
  std::sort(imu.begin(), imu.end());
  EXPECT_EQ(imu, (std::vector<std::string>{std::string("schema\0v2", 9), "schema-v1"}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto gps, catalog_->SchemasOfOntologyTag("gps"));
  EXPECT_EQ(gps, (std::vector<std::string>{"gps-schema"}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, catalog_->SchemasOfOntologyTag("IMU"));
  EXPECT_TRUE(none.empty());
}

MOSAICO_CATALOG_BACKENDS(FindTopicsTest);
MOSAICO_CATALOG_BACKENDS(NameFieldTest);

}  // namespace
}  // namespace mosaico::catalog::testing

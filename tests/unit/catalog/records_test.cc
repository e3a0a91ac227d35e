// Sequences, sessions and topics: create / get / list / delete, duplicates, NotFound, cascades.
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

class SequenceTest : public OnEachBackend<CatalogTest> {};
class SessionTest : public OnEachBackend<CatalogTest> {};
class TopicTest : public OnEachBackend<CatalogTest> {};

TEST_P(SequenceTest, CreateGetListDelete) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(SequenceRecord b, catalog_->CreateSequence("run_b", R"({"a":[1,2]})", 42));
  EXPECT_GT(b.id, 0);
  EXPECT_EQ(b.name, "run_b");
  EXPECT_EQ(b.user_metadata_json, R"({"a":[1,2]})");
  EXPECT_EQ(b.created_at_ns, 42);
  MustCreateSequence("run_a");
  MustCreateSequence("run_c");

  MOSAICO_ASSERT_OK_AND_ASSIGN(SequenceRecord got, catalog_->GetSequence("run_b"));
  EXPECT_EQ(got.id, b.id);
  EXPECT_EQ(got.user_metadata_json, b.user_metadata_json);
  EXPECT_EQ(got.created_at_ns, 42);

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListSequences());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "run_a");
  EXPECT_EQ(all[1].name, "run_b");
  EXPECT_EQ(all[2].name, "run_c");

  MOSAICO_ASSERT_OK(catalog_->DeleteSequence("run_b"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(all, catalog_->ListSequences());
  EXPECT_EQ(all.size(), 2u);
  EXPECT_TRUE(catalog_->GetSequence("run_b").status().IsKeyError());
}

TEST_P(SequenceTest, DuplicateIsAlreadyExists) {
  MustCreateSequence("dup");
  auto again = catalog_->CreateSequence("dup", "{}", 1);
  ASSERT_TRUE(again.status().IsAlreadyExists()) << again.status().ToString();
  EXPECT_EQ(again.status().message(), "sequence 'dup' already exists");
}

TEST_P(SequenceTest, UnknownIsNotFound) {
  auto got = catalog_->GetSequence("ghost");
  ASSERT_TRUE(got.status().IsKeyError());
  EXPECT_EQ(got.status().message(), "sequence 'ghost' not found");
  EXPECT_TRUE(catalog_->DeleteSequence("ghost").IsKeyError());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListSequences());
  EXPECT_TRUE(all.empty());
}

TEST_P(SessionTest, CreateGetListDelete) {
  SequenceRecord seq = MustCreateSequence("s1");
  MOSAICO_ASSERT_OK_AND_ASSIGN(SessionRecord late, catalog_->CreateSession("s1", "KEY_LATE", "u-late", 900));
  EXPECT_GT(late.id, 0);
  EXPECT_EQ(late.sequence_id, seq.id);
  EXPECT_EQ(late.sequence_name, "s1");
  EXPECT_EQ(late.key, "KEY_LATE");
  EXPECT_EQ(late.uuid, "u-late");
  EXPECT_FALSE(late.locked);
  EXPECT_FALSE(late.completed_at_ns.has_value());
  MOSAICO_ASSERT_OK_AND_ASSIGN(SessionRecord early, catalog_->CreateSession("s1", "KEY_EARLY", "u-early", 100));
  MOSAICO_ASSERT_OK_AND_ASSIGN(SessionRecord tie, catalog_->CreateSession("s1", "KEY_TIE", "u-tie", 900));

  MOSAICO_ASSERT_OK_AND_ASSIGN(SessionRecord by_uuid, catalog_->GetSessionByUuid("u-late"));
  EXPECT_EQ(by_uuid.id, late.id);
  EXPECT_EQ(by_uuid.sequence_name, "s1");
  EXPECT_EQ(by_uuid.key, "KEY_LATE");
  MOSAICO_ASSERT_OK_AND_ASSIGN(SessionRecord by_key, catalog_->GetSession("s1", "KEY_EARLY"));
  EXPECT_EQ(by_key.id, early.id);
  EXPECT_EQ(by_key.uuid, "u-early");
  EXPECT_EQ(by_key.created_at_ns, 100);

  // Ordered by created_at_ns, then id.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto list, catalog_->ListSessions("s1"));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, early.id);
  EXPECT_EQ(list[1].id, late.id);
  EXPECT_EQ(list[2].id, tie.id);

  MOSAICO_ASSERT_OK(catalog_->DeleteSession(late.id));
  MOSAICO_ASSERT_OK_AND_ASSIGN(list, catalog_->ListSessions("s1"));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(catalog_->GetSessionByUuid("u-late").status().IsKeyError());
  EXPECT_TRUE(catalog_->DeleteSession(late.id).IsKeyError());
}

TEST_P(SessionTest, NotFoundAndDuplicates) {
  auto on_missing = catalog_->CreateSession("nope", "K", "u", 1);
  ASSERT_TRUE(on_missing.status().IsKeyError());
  EXPECT_EQ(on_missing.status().message(), "sequence 'nope' not found");
  EXPECT_TRUE(catalog_->ListSessions("nope").status().IsKeyError());

  MustCreateSequence("s1");
  MustCreateSequence("s2");
  // A sequence without sessions or topics lists nothing (not NotFound).
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto no_sessions, catalog_->ListSessions("s2"));
  EXPECT_TRUE(no_sessions.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto no_topics, catalog_->ListTopics("s2"));
  EXPECT_TRUE(no_topics.empty());
  MOSAICO_ASSERT_OK(catalog_->CreateSession("s1", "K", "u1", 1).status());
  auto dup_key = catalog_->CreateSession("s1", "K", "u2", 1);
  ASSERT_TRUE(dup_key.status().IsAlreadyExists());
  EXPECT_EQ(dup_key.status().message(), "session 's1:K' already exists");
  // The same key in another sequence is fine; the same uuid anywhere is not.
  MOSAICO_ASSERT_OK(catalog_->CreateSession("s2", "K", "u3", 1).status());
  auto dup_uuid = catalog_->CreateSession("s2", "K2", "u1", 1);
  ASSERT_TRUE(dup_uuid.status().IsAlreadyExists());
  EXPECT_EQ(dup_uuid.status().message(), "a session with the given uuid already exists");
  // A clash on both key and uuid reports the key.
  auto dup_both = catalog_->CreateSession("s1", "K", "u1", 1);
  ASSERT_TRUE(dup_both.status().IsAlreadyExists());
  EXPECT_EQ(dup_both.status().message(), "session 's1:K' already exists");
  // None of the refused calls left a row.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto s2_sessions, catalog_->ListSessions("s2"));
  EXPECT_EQ(s2_sessions.size(), 1u);

  auto missing = catalog_->GetSession("s1", "OTHER");
  ASSERT_TRUE(missing.status().IsKeyError());
  EXPECT_EQ(missing.status().message(), "session 's1:OTHER' not found");
  EXPECT_TRUE(catalog_->GetSessionByUuid("unknown").status().IsKeyError());
  EXPECT_TRUE(catalog_->LockSession(9999, 1).IsKeyError());
}

TEST_P(TopicTest, CreateGetListDelete) {
  MustCreateSequence("seq");
  SessionRecord session = MustCreateSession("seq", "KEY");
  TopicRecord input = TopicFor(session, "front/imu");
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->CreateTopic(input));
  EXPECT_GT(t.id, 0);
  EXPECT_EQ(t.sequence_id, session.sequence_id);
  EXPECT_EQ(t.session_id, session.id);
  EXPECT_EQ(t.sequence_name, "seq");
  EXPECT_EQ(t.session_key, "KEY");
  EXPECT_EQ(t.name, "front/imu");
  EXPECT_EQ(t.uuid, input.uuid);
  EXPECT_EQ(t.ontology_tag, "imu");
  EXPECT_EQ(t.serialization_format, "default");
  EXPECT_EQ(t.user_metadata_json, input.user_metadata_json);
  EXPECT_EQ(t.created_at_ns, 300);
  EXPECT_FALSE(t.locked);
  EXPECT_FALSE(t.completed_at_ns.has_value());
  EXPECT_FALSE(t.schema_ipc.has_value());
  EXPECT_FALSE(t.upload_id.has_value());

  MustCreateTopic(session, "a/gps");
  MustCreateTopic(session, "z_cam");

  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord by_name, catalog_->GetTopic("seq", "front/imu"));
  EXPECT_EQ(by_name.id, t.id);
  EXPECT_EQ(by_name.session_key, "KEY");
  EXPECT_EQ(by_name.sequence_name, "seq");
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord by_uuid, catalog_->GetTopicByUuid(input.uuid));
  EXPECT_EQ(by_uuid.id, t.id);
  EXPECT_EQ(by_uuid.session_key, "KEY");

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto list, catalog_->ListTopics("seq"));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "a/gps");
  EXPECT_EQ(list[1].name, "front/imu");
  EXPECT_EQ(list[2].name, "z_cam");
  for (const auto& topic : list) {
    EXPECT_EQ(topic.sequence_name, "seq");
    EXPECT_EQ(topic.session_key, "KEY");
  }

  MOSAICO_ASSERT_OK(catalog_->DeleteTopic(t.id));
  EXPECT_TRUE(catalog_->GetTopic("seq", "front/imu").status().IsKeyError());
  EXPECT_TRUE(catalog_->DeleteTopic(t.id).IsKeyError());
  MOSAICO_ASSERT_OK_AND_ASSIGN(list, catalog_->ListTopics("seq"));
  EXPECT_EQ(list.size(), 2u);
  // The name is free again once deleted, and ids are not reused.
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord again, catalog_->CreateTopic(TopicFor(session, "front/imu")));
  EXPECT_GT(again.id, t.id);
}

TEST_P(TopicTest, DuplicatesAndNotFound) {
  MustCreateSequence("seq");
  MustCreateSequence("other");
  SessionRecord s1 = MustCreateSession("seq", "K1");
  SessionRecord s2 = MustCreateSession("seq", "K2");
  SessionRecord o1 = MustCreateSession("other", "K1");
  MustCreateTopic(s1, "imu");

  // Same name from another session of the same sequence: taken.
  TopicRecord dup = TopicFor(s2, "imu");
  dup.uuid = "fresh";
  auto r = catalog_->CreateTopic(dup);
  ASSERT_TRUE(r.status().IsAlreadyExists());
  EXPECT_EQ(r.status().message(), "topic 'seq/imu' already exists");
  // Same name in another sequence: fine.
  MustCreateTopic(o1, "imu");
  // Reused uuid: taken.
  TopicRecord reuse = TopicFor(s2, "cam");
  reuse.uuid = TopicFor(s1, "imu").uuid;
  EXPECT_TRUE(catalog_->CreateTopic(reuse).status().IsAlreadyExists());

  auto missing = catalog_->GetTopic("seq", "nope");
  ASSERT_TRUE(missing.status().IsKeyError());
  EXPECT_EQ(missing.status().message(), "topic 'seq/nope' not found");
  EXPECT_TRUE(catalog_->GetTopicByUuid("nope").status().IsKeyError());
  EXPECT_TRUE(catalog_->ListTopics("nope").status().IsKeyError());
  EXPECT_TRUE(catalog_->DeleteTopic(12345).IsKeyError());
  EXPECT_TRUE(catalog_->SetTopicSchema(12345, "x").IsKeyError());

  TopicRecord orphan = TopicFor(s1, "orphan");
  orphan.session_id = 9999;
  EXPECT_TRUE(catalog_->CreateTopic(orphan).status().IsKeyError());
  TopicRecord mismatched = TopicFor(s1, "mismatch");
  mismatched.sequence_id = o1.sequence_id;
  EXPECT_TRUE(catalog_->CreateTopic(mismatched).status().IsInvalid());
}

TEST_P(TopicTest, SchemaSnapshotIsBinarySafe) {
  MustCreateSequence("seq");
  SessionRecord s = MustCreateSession("seq", "K");
  TopicRecord t = MustCreateTopic(s, "imu");
  const std::string ipc("\xff\x00\x01schema\x00tail", 14);
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(t.id, ipc));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord got, catalog_->GetTopic("seq", "imu"));
  ASSERT_TRUE(got.schema_ipc.has_value());
  EXPECT_EQ(*got.schema_ipc, ipc);
  // Replacing it while unlocked is allowed.
  MOSAICO_ASSERT_OK(catalog_->SetTopicSchema(t.id, "v2"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(got, catalog_->GetTopicByUuid(t.uuid));
  EXPECT_EQ(got.schema_ipc, std::optional<std::string>("v2"));
}

TEST_P(TopicTest, DeleteSequenceCascadesEverything) {
  MustCreateSequence("seq");
  MustCreateSequence("keep");
  SessionRecord s = MustCreateSession("seq", "K");
  SessionRecord k = MustCreateSession("keep", "K");
  TopicRecord t = MustCreateTopic(s, "imu");
  TopicRecord kept = MustCreateTopic(k, "imu");
  ChunkRecord c = Chunk(0, 1, 2);
  c.stats.push_back({.column = "x", .kind = ColumnStats::Kind::kInt, .min_int = 1, .max_int = 2});
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(t.id, "up", {c}));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(kept.id, "up", {c}));
  MOSAICO_ASSERT_OK(catalog_->AddNotification({.sequence_name = "seq", .notification_type = "error", .msg = "m"})
                        .status());

  MOSAICO_ASSERT_OK(catalog_->DeleteSequence("seq"));
  EXPECT_TRUE(catalog_->GetSessionByUuid(s.uuid).status().IsKeyError());
  EXPECT_TRUE(catalog_->GetTopicByUuid(t.uuid).status().IsKeyError());
  EXPECT_TRUE(catalog_->ListChunks(t.id, true).status().IsKeyError());
  // Re-creating the sequence starts empty: nothing survived the cascade.
  MustCreateSequence("seq");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto notes, catalog_->ListNotifications("seq", std::nullopt));
  EXPECT_TRUE(notes.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto sessions, catalog_->ListSessions("seq"));
  EXPECT_TRUE(sessions.empty());
  // The other sequence is untouched.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto chunks, catalog_->ListChunks(kept.id, true));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].stats.size(), 1u);
}

TEST_P(TopicTest, DeleteSessionCascadesToItsTopicsOnly) {
  MustCreateSequence("seq");
  SessionRecord s1 = MustCreateSession("seq", "K1");
  SessionRecord s2 = MustCreateSession("seq", "K2");
  TopicRecord a = MustCreateTopic(s1, "a");
  TopicRecord b = MustCreateTopic(s2, "b");
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(a.id, "up", {Chunk(0, 1, 2)}));
  MOSAICO_ASSERT_OK(
      catalog_->AddNotification({.sequence_name = "seq", .topic_name = "a", .notification_type = "e", .msg = "m"})
          .status());
  MOSAICO_ASSERT_OK(catalog_->AddNotification({.sequence_name = "seq", .notification_type = "e", .msg = "m"})
                        .status());

  MOSAICO_ASSERT_OK(catalog_->DeleteSession(s1.id));
  EXPECT_TRUE(catalog_->GetTopic("seq", "a").status().IsKeyError());
  EXPECT_TRUE(catalog_->ListChunks(a.id, false).status().IsKeyError());
  MOSAICO_ASSERT_OK(catalog_->GetTopic("seq", "b").status());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto seq_notes, catalog_->ListNotifications("seq", std::nullopt));
  EXPECT_EQ(seq_notes.size(), 1u);  // sequence-level notifications stay
  // A topic named "a" can be created again and has no leftover notifications.
  MustCreateTopic(s2, "a");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto topic_notes, catalog_->ListNotifications("seq", std::string("a")));
  EXPECT_TRUE(topic_notes.empty());
  (void)b;
}

MOSAICO_CATALOG_BACKENDS(SequenceTest);
MOSAICO_CATALOG_BACKENDS(SessionTest);
MOSAICO_CATALOG_BACKENDS(TopicTest);

}  // namespace
}  // namespace mosaico::catalog::testing

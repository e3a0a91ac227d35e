// $match globs pushed into PostgreSQL whole (postgres::GlobRegex, an anchored regex beside the literal-prefix LIKE):
//  - the regex alone, evaluated by PostgreSQL, accepts exactly the texts core::Glob accepts, for globs whose
//    characters are regex metacharacters ('.', '+', '(', '\', '^', '$', '|', '{'), classes with ranges, ']' '-' '!'
//    '^' inside, '?' against multi-byte characters, newlines;
//  - FindTopics answers the same on both backends (= core::Glob over the stored names) for such globs on
//    sequence names, topic names and topic names with a leading '/' (in a UTF8 database PostgreSQL's rows are not
//    checked again in C++ when the regex was pushed, so these also catch a wrong translation end to end);
//  - rows of a glob that is NOT pushed whole are still checked in C++: a glob the regex cannot express (U+0000 in
//    a class), and any glob in a PostgreSQL database that is not UTF8 (SQL_ASCII: no regex; '?' is one code point).
// The PostgreSQL parts are skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/find_topics_test_util.h"
#include "mosaico/catalog/postgres/pg_admin.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"
#include "mosaico/core/glob.h"

namespace mosaico::catalog::testing {
namespace {

const std::vector<std::string> kTexts = {
    "a.b", "axb", "a+b", "aab", "a(b)", "a\\b", "a^b", "a$b", "a|b", "a{2}", "aa", "a]b", "a-b", "a!b", "ab",
    "a\nb", "a\\\\b", "[x]", "x", "\xc3\xa9", "\xc3\xa9t", "e\xcc\x81", "\xe6\x97\xa5\xe6\x9c\xac",
    "\xf0\x9f\x98\x80x", "run_000", "run_001", "run_0012", "run_002", "run_010", "run_1", " sp ace", "a*b", "a?b",
    "a#b", "1", "12", "A.B", "%_", "a'b", "a\"b", "a/b", "/front/imu",
};

const std::vector<std::string> kGlobs = {
    "a.b", "a+b", "a+*", "a(b)", "a(*", "a\\b", "a\\\\b", "a\\*", "a^b", "^*", "a$b", "*$*", "a|b", "a{2}", "a?b",
    "a[.+]b", "a[!]b", "a[!x]*", "a[x]]b", "a[b-]]*", "a[-]b", "a[a-]b", "a[\\]b", "a[^]b", "a[$|]b", "run_00[01]*",
    "run_0[0-1][0-2]", "*#", "?", "??", "???", "[\xc3\xa0-\xc3\xbc]*", "[\xf0\x9f\x98\x80]x", "\xe6\x97\xa5*",
    "*\n*", "a?b*", "[x-z]*", "*[)]", "a*b", "*.*", "[a-b][a-b]", "*?*?*", "\\[x]", "[[]x]", "[A-Z].[A-Z]", "%*",
    "a'*", "a\"*", "*/*", "/f*", "[/]*", "? *", "*[ ]*", "#", "##",
};

std::set<std::string> GlobMatches(const std::string& pattern, const std::vector<std::string>& texts) {
  std::set<std::string> out;
  auto glob = Glob::Compile(pattern);
  EXPECT_TRUE(glob.ok()) << pattern << ": " << glob.status().ToString();
  for (const std::string& t : texts) {
    if (glob.ok() && glob->Matches(t)) out.insert(t);
  }
  return out;
}

TEST(GlobRegexTest, EscapesEverythingButAsciiLettersAndDigits) {
  auto glob = Glob::Compile("a.b*?#[x-z\xc3\xa9]\xf0\x9f\x98\x80");
  ASSERT_TRUE(glob.ok());
  EXPECT_EQ(postgres::GlobRegex(*glob), "^a\\u002Eb.*.[0-9][x-z\\u00E9]\\U0001F600$");
}

TEST(GlobRegexTest, UntranslatableGlobsPushNothing) {
  for (const std::string pattern : {std::string("a\xff*"), std::string("[\xff]*"), std::string("a\0*", 3),
                                    std::string("[\0-a]*", 6)}) {
    auto glob = Glob::Compile(pattern);
    ASSERT_TRUE(glob.ok()) << glob.status().ToString();
    EXPECT_EQ(postgres::GlobRegex(*glob), "");
  }
}

class PostgresGlobRegexTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }
};

TEST_F(PostgresGlobRegexTest, RegexAcceptsExactlyWhatTheGlobAccepts) {
  auto conn = postgres::PgConnection::Connect(catalog_url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->Exec("CREATE TEMP TABLE glob_texts (t TEXT NOT NULL)").ok());
  for (const std::string& t : kTexts) {
    auto r = (*conn)->Exec("INSERT INTO glob_texts (t) VALUES ($1)", postgres::PgParams::Of(t));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  int nonempty = 0;
  for (const std::string& pattern : kGlobs) {
    auto glob = Glob::Compile(pattern);
    ASSERT_TRUE(glob.ok()) << pattern << ": " << glob.status().ToString();
    const std::string re = postgres::GlobRegex(*glob);
    ASSERT_FALSE(re.empty()) << pattern;
    auto res = (*conn)->Exec("SELECT t FROM glob_texts WHERE t COLLATE \"C\" ~ $1", postgres::PgParams::Of(re));
    ASSERT_TRUE(res.ok()) << pattern << " -> " << re << ": " << res.status().ToString();
    std::set<std::string> got;
    for (int r = 0; r < res->rows(); ++r) got.insert(res->Text(r, 0));
    const std::set<std::string> want = GlobMatches(pattern, kTexts);
    EXPECT_EQ(got, want) << "glob '" << pattern << "' as regex '" << re << "'";
    nonempty += want.empty() ? 0 : 1;
  }
  EXPECT_GT(nonempty, 40);  // the globs do select texts
}

class FindTopicsGlobTest : public OnEachBackend<FindTopicsFixture> {};

TEST_P(FindTopicsGlobTest, TopicGlobsSelectTheTopicsTheGlobAccepts) {
  std::vector<std::string> topics, slashed;
  Seq("holder");  // every text as a topic name of one sequence (stored without a leading '/')
  for (const std::string& t : kTexts) {
    if (t[0] == '/') continue;
    Topic("holder", t);
    topics.push_back(t);
    slashed.push_back("/" + t);
  }
  for (const std::string& pattern : kGlobs) {
    std::set<std::string> got_topics;
    for (const std::string& l : Find(TopicField(EntityField::kName, P(Op::kMatch, {S(pattern)})))) {
      got_topics.insert(l.substr(l.find('/') + 1));
    }
    EXPECT_EQ(got_topics, GlobMatches(pattern, topics)) << "topic glob '" << pattern << "'";

    TopicFilter with_slash;
    with_slash.topic.fields.push_back({EntityField::kName, P(Op::kMatch, {S(pattern)}), /*with_leading_slash=*/true});
    std::set<std::string> got_slashed;
    for (const std::string& l : Find(with_slash)) got_slashed.insert("/" + l.substr(l.find('/') + 1));
    EXPECT_EQ(got_slashed, GlobMatches(pattern, slashed)) << "slashed topic glob '" << pattern << "'";
  }
}

// Sequences whose names a glob selects, matched with their topics (the sequence-name path of the benchmark).
TEST_P(FindTopicsGlobTest, SequenceGlobSelectsTheSequencesTheGlobAccepts) {
  std::vector<std::string> names;
  for (const std::string& t : kTexts) {
    if (t.empty() || t.find('/') != std::string::npos) continue;
    Seq(t);
    Topic(t, "t");
    names.push_back(t);
  }
  for (const std::string& pattern : kGlobs) {
    std::set<std::string> got;
    for (const std::string& l : Find(SeqField(EntityField::kName, P(Op::kMatch, {S(pattern)})))) {
      got.insert(l.substr(0, l.rfind("/t")));
    }
    EXPECT_EQ(got, GlobMatches(pattern, names)) << "sequence glob '" << pattern << "'";
  }
}

// "[\0-a]*" has no literal prefix and no regex (U+0000): every row comes back from PostgreSQL, and only the C++
// check leaves out "bcd" (skipping it would answer all three).
TEST_P(FindTopicsGlobTest, GlobNotPushedIsCheckedOnTheFetchedRows) {
  for (const std::string name : {"abc", "Abc", "bcd"}) {
    Seq(name);
    Topic(name, "t");
  }
  const std::string pattern("[\0-a]*", 6);
  auto glob = Glob::Compile(pattern);
  ASSERT_TRUE(glob.ok()) << glob.status().ToString();
  ASSERT_EQ(postgres::GlobRegex(*glob), "");  // the case under test: nothing pushed
  EXPECT_EQ(Find(SeqField(EntityField::kName, P(Op::kMatch, {S(pattern)}))), (Names{"Abc/t", "abc/t"}));
  TopicFilter topic;  // a topic-name glob with a leading '/' (the other pushdown path)
  topic.topic.fields.push_back(
      {EntityField::kName, P(Op::kMatch, {S(std::string("/[\0-t]", 6))}), /*with_leading_slash=*/true});
  EXPECT_EQ(Find(topic), (Names{"Abc/t", "abc/t", "bcd/t"}));
  topic.topic.fields[0].predicate = P(Op::kMatch, {S(std::string("/[\0-s]", 6))});
  EXPECT_EQ(Find(topic), (Names{}));  // '/' || 't' is two characters
}

MOSAICO_CATALOG_BACKENDS(FindTopicsGlobTest);

// A database that is not UTF8 gets no regex (a regex character is a byte there) and every row the literal prefix
// lets through is checked with core::Glob, which counts code points: "a?" is "ab" and "a\u00e9", not "abc".
TEST_F(PostgresGlobRegexTest, SqlAsciiDatabaseChecksEveryGlobInCpp) {
  const std::string database = "mosaico_test_ascii_" + std::to_string(::getpid());
  {
    auto admin = postgres::PgConnection::Connect(pg_admin_url_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    ASSERT_TRUE((*admin)->ExecScript("DROP DATABASE IF EXISTS " + database).ok());
    arrow::Status created = (*admin)->ExecScript("CREATE DATABASE " + database +
                                                 " TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'");
    ASSERT_TRUE(created.ok()) << created.ToString();
  }
  auto url = postgres::UrlWithDatabase(pg_admin_url_, database);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  {
    auto opened = OpenCatalog(*url);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    std::shared_ptr<Catalog> catalog = *opened;
    for (const std::string name : {"ab", "abc", "a\xc3\xa9", "b"}) {
      ASSERT_TRUE(catalog->CreateSequence(name, "{}", 100).ok());
      auto session = catalog->CreateSession(name, "S", "uuid-" + name, 200);
      ASSERT_TRUE(session.ok()) << session.status().ToString();
      auto topic = catalog->CreateTopic(TopicFor(*session, "t"));
      ASSERT_TRUE(topic.ok()) << topic.status().ToString();
    }
    auto conn = postgres::PgConnection::Connect(*url);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    EXPECT_FALSE((*conn)->server_utf8());
    for (const auto& [pattern, want] : std::vector<std::pair<std::string, std::set<std::string>>>{
             {"a?", {"ab", "a\xc3\xa9"}}, {"?", {"b"}}, {"a[b-z]*", {"ab", "abc"}}, {"a[\xc3\xa9]", {"a\xc3\xa9"}}}) {
      auto found = catalog->FindTopics(SeqField(EntityField::kName, P(Op::kMatch, {S(pattern)})));
      ASSERT_TRUE(found.ok()) << pattern << ": " << found.status().ToString();
      std::set<std::string> got;
      for (const TopicMatch& m : *found) got.insert(m.sequence_name);
      EXPECT_EQ(got, want) << "glob '" << pattern << "'";
    }
  }
  arrow::Status dropped = postgres::DropDatabase(pg_admin_url_, database);
  EXPECT_TRUE(dropped.ok()) << dropped.ToString();
}

}  // namespace
}  // namespace mosaico::catalog::testing

// ListFlights' reply stream (server/sequence_listing.h): criteria parsing, and a listing read from the catalog a
// page at a time -- the first reply costs one page, whatever the catalog holds.
#include <arrow/flight/types.h>
#include <gtest/gtest.h>

#include <atomic>

#include "catalog/catalog_test_util.h"
#include "jobs/compaction_test_util.h"
#include "mosaico/core/errors.h"
#include "mosaico/server/sequence_listing.h"

namespace mosaico::server {
namespace {

namespace fl = arrow::flight;
using catalog::testing::TempDir;

class PageCountingCatalog : public jobs::testing::ForwardingCatalog {
 public:
  using ForwardingCatalog::ForwardingCatalog;
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequences() override {
    ++full_listings;
    return ForwardingCatalog::ListSequences();
  }
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequencesPage(const std::string& after,
                                                                        int64_t limit) override {
    ++pages;
    return inner().ListSequencesPage(after, limit);
  }
  std::atomic<int> full_listings{0}, pages{0};
};

arrow::Result<ListCriteria> Parse(const std::string& text) {
  fl::Criteria c;
  c.expression = text;
  return ParseListCriteria(&c);
}

TEST(ListCriteriaTest, EmptyMeansEverythingAndAfterLimitAreRead) {
  auto none = ParseListCriteria(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->after, "");
  EXPECT_FALSE(none->limit);
  auto empty = Parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->limit);
  auto both = Parse(R"({"after": "run_1", "limit": 100})");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->after, "run_1");
  EXPECT_EQ(both->limit, 100);
}

TEST(ListCriteriaTest, AnythingElseIsInvalidArgument) {
  for (const char* bad : {"nope", "[]", R"({"limit": -1})", R"({"limit": "3"})", R"({"after": 3})",
                          R"({"offset": 3})"}) {
    auto parsed = Parse(bad);
    EXPECT_TRUE(parsed.status().IsInvalid()) << bad << ": " << parsed.status().ToString();
  }
}

class SequenceListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = *catalog::OpenCatalog((dir_.path() / "catalog.db").string());
    catalog_ = std::make_shared<PageCountingCatalog>(inner);
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
  }

  void Sequences(int n) {
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "run_%05d", i);
      ASSERT_TRUE(catalog_->inner().CreateSequence(name, "{\"i\":" + std::to_string(i) + "}", i + 1).ok());
    }
  }

  std::vector<std::string> Drain(SequenceListing& listing) {
    std::vector<std::string> out;
    while (true) {
      auto info = listing.Next();
      EXPECT_TRUE(info.ok()) << info.status().ToString();
      if (!info.ok() || *info == nullptr) break;
      out.push_back((*info)->descriptor().path.at(0));
    }
    return out;
  }

  SequenceListing Listing(ListCriteria criteria) {
    return SequenceListing(catalog_, FlightInfoBuilder(catalog_, store_), std::move(criteria));
  }

  TempDir dir_;
  std::shared_ptr<PageCountingCatalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
};

TEST_F(SequenceListingTest, TheWholeListingIsReadPageByPageInNameOrder) {
  const int n = static_cast<int>(SequenceListing::kPageSize) * 2 + 7;
  Sequences(n);
  auto listing = Listing({});
  auto first = listing.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->descriptor().path.at(0), "run_00000");
  EXPECT_EQ(catalog_->pages.load(), 1);  // the first reply: one page
  auto rest = Drain(listing);
  ASSERT_EQ(rest.size(), static_cast<size_t>(n - 1));
  EXPECT_EQ(rest.back(), "run_0" + std::to_string(n - 1));
  EXPECT_TRUE(std::is_sorted(rest.begin(), rest.end()));
  EXPECT_EQ(catalog_->pages.load(), 3);
  EXPECT_EQ(catalog_->full_listings.load(), 0);
}

TEST_F(SequenceListingTest, AfterAndLimitSelectOnePage) {
  Sequences(50);
  auto listing = Listing({"run_00009", 3});
  EXPECT_EQ(Drain(listing), (std::vector<std::string>{"run_00010", "run_00011", "run_00012"}));
  EXPECT_EQ(catalog_->pages.load(), 1);
  auto zero = Listing({"", 0});
  EXPECT_TRUE(Drain(zero).empty());
  auto past = Listing({"run_00049", 10});
  EXPECT_TRUE(Drain(past).empty());
}

TEST_F(SequenceListingTest, AnEmptyCatalogListsNothing) {
  auto listing = Listing({});
  EXPECT_TRUE(Drain(listing).empty());
}

}  // namespace
}  // namespace mosaico::server

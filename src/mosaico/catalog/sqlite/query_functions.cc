#include "mosaico/catalog/sqlite/query_functions.h"

#include <sqlite3.h>

#include <algorithm>
#include <string_view>

#include "mosaico/catalog/metadata_matcher.h"
#include "mosaico/catalog/metadata_paths.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/glob.h"
#include "mosaico/core/scalar_predicate.h"

namespace mosaico::catalog::sqlite {
namespace {

constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;

// The bytes of a TEXT (or BLOB) value. sqlite3_value_blob, unlike sqlite3_value_text, does not need a NUL
// terminator, so a value read straight from a page is not copied just to add one.
std::string_view TextOf(sqlite3_value* value) {
  const int type = sqlite3_value_type(value);
  const char* data = type == SQLITE_TEXT || type == SQLITE_BLOB
                         ? static_cast<const char*>(sqlite3_value_blob(value))
                         : reinterpret_cast<const char*>(sqlite3_value_text(value));  // numbers: their text
  const int size = sqlite3_value_bytes(value);  // after the pointer, as the sqlite docs require
  return data == nullptr ? std::string_view() : std::string_view(data, static_cast<size_t>(size));
}

ScalarValue ScalarOf(sqlite3_value* value) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER: return ScalarValue(static_cast<int64_t>(sqlite3_value_int64(value)));
    case SQLITE_FLOAT: return ScalarValue(sqlite3_value_double(value));
    case SQLITE_NULL: return ScalarValue();
    default: return ScalarValue(std::string(TextOf(value)));
  }
}

void GlobFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  const std::string_view text = TextOf(argv[1]);
  if (auto* cached = static_cast<Glob*>(sqlite3_get_auxdata(ctx, 0))) {
    sqlite3_result_int(ctx, cached->Matches(text) ? 1 : 0);
    return;
  }
  auto compiled = Glob::Compile(TextOf(argv[0]));
  if (!compiled.ok()) {
    const std::string& message = compiled.status().message();
    sqlite3_result_error(ctx, message.data(), static_cast<int>(message.size()));
    return;
  }
  auto* glob = new Glob(std::move(*compiled));
  sqlite3_result_int(ctx, glob->Matches(text) ? 1 : 0);
  // sqlite may destroy the aux data at once, so it is handed over last and not used afterwards.
  sqlite3_set_auxdata(ctx, 0, glob, [](void* p) { delete static_cast<Glob*>(p); });
}

void MetaFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* matcher = static_cast<MetadataMatcher*>(sqlite3_value_pointer(argv[1], kMetadataMatcherPointerType));
  if (matcher == nullptr) {
    sqlite3_result_error(ctx, "mosaico_meta: no metadata matcher bound", -1);
    return;
  }
  const std::string_view json = sqlite3_value_type(argv[0]) == SQLITE_NULL ? "{}" : TextOf(argv[0]);
  switch (matcher->Evaluate(json)) {
    case MetadataMatcher::Outcome::kMatch:
      sqlite3_result_int(ctx, 1);
      return;
    case MetadataMatcher::Outcome::kNoMatch:
      sqlite3_result_int(ctx, 0);
      return;
    case MetadataMatcher::Outcome::kNotAnObject:
      sqlite3_result_error(ctx, "a stored user_metadata is not a JSON object", -1);
      return;
  }
}

void HoldsFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* predicate =
      static_cast<const ScalarPredicate*>(sqlite3_value_pointer(argv[1], kScalarPredicatePointerType));
  if (predicate == nullptr) {
    sqlite3_result_error(ctx, "mosaico_holds: no predicate bound", -1);
    return;
  }
  sqlite3_result_int(ctx, Holds(*predicate, ScalarOf(argv[0])) ? 1 : 0);
}

void InFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* set = static_cast<const ValueSet*>(sqlite3_value_pointer(argv[1], kValueSetPointerType));
  if (set == nullptr) {
    sqlite3_result_error(ctx, "mosaico_in: no value set bound", -1);
    return;
  }
  bool found = false;
  switch (sqlite3_value_type(argv[0])) {
    case SQLITE_INTEGER:
      found = std::binary_search(set->ints.begin(), set->ints.end(), sqlite3_value_int64(argv[0]));
      break;
    case SQLITE_TEXT: {
      const std::string_view text = TextOf(argv[0]);
      found = std::binary_search(set->strings.begin(), set->strings.end(), text,
                                 [](std::string_view a, std::string_view b) { return a < b; });
      break;
    }
    default:
      break;
  }
  sqlite3_result_int(ctx, found ? 1 : 0);
}

void KeyPathFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* key =
      static_cast<const std::vector<std::string>*>(sqlite3_value_pointer(argv[0], kMetadataKeyPointerType));
  if (key == nullptr) {
    sqlite3_result_error(ctx, "mosaico_key_path: no key bound", -1);
    return;
  }
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  sqlite3_result_int(ctx, KeyMatchesPath(*key, DecodePath(TextOf(argv[1]))) ? 1 : 0);
}

struct FunctionSpec {
  const char* name;
  void (*fn)(sqlite3_context*, int, sqlite3_value**);
};

}  // namespace

void ValueSet::Seal() {
  std::sort(ints.begin(), ints.end());
  ints.erase(std::unique(ints.begin(), ints.end()), ints.end());
  std::sort(strings.begin(), strings.end());
  strings.erase(std::unique(strings.begin(), strings.end()), strings.end());
}

arrow::Status RegisterQueryFunctions(sqlite3* db) {
  static constexpr FunctionSpec kFunctions[] = {
      {"mosaico_glob", GlobFunction},
      {"mosaico_meta", MetaFunction},
      {"mosaico_holds", HoldsFunction},
      {"mosaico_in", InFunction},
      {"mosaico_key_path", KeyPathFunction},
  };
  for (const FunctionSpec& f : kFunctions) {
    const int rc = sqlite3_create_function_v2(db, f.name, 2, kFlags, nullptr, f.fn, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, std::string("register function ") + f.name);
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::catalog::sqlite

// OpenCatalog: picks the backend from the catalog URL (see catalog.h).
//   sqlite:///abs/path.db -> /abs/path.db      sqlite://rel/path.db -> rel/path.db      /any/path.db -> itself
// The parent directory of a SQLite file is created when missing. Other schemes (postgresql://, ...) are
// InvalidArgument until their backend exists.
#include <filesystem>
#include <string_view>
#include <system_error>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/catalog_url.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";

arrow::Result<std::string> SqlitePathFromUrl(const std::string& url) {
  if (url.empty()) return InvalidArgument("catalog URL must not be empty");
  std::string_view view(url);
  if (view.starts_with(kSqliteScheme)) {
    view.remove_prefix(kSqliteScheme.size());  // "sqlite:///abs" keeps its leading '/'
    if (view.empty()) return InvalidArgument("catalog URL '" + url + "' names no database file");
    return std::string(view);
  }
  if (view.find("://") != std::string_view::npos) {
    return InvalidArgument("unsupported catalog URL '" + url + "' (expected sqlite:///path/to/catalog.db or a path)");
  }
  return url;
}

arrow::Status EnsureParentDirectory(const std::string& path) {
  if (path == ":memory:") return arrow::Status::OK();
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return arrow::Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return arrow::Status::IOError("cannot create catalog directory '", parent.string(), "': ", ec.message());
  }
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<std::optional<std::string>> CatalogFileOfUrl(const std::string& url) {
  ARROW_ASSIGN_OR_RAISE(std::string path, SqlitePathFromUrl(url));
  return std::optional<std::string>(std::move(path));
}

arrow::Result<std::shared_ptr<Catalog>> OpenCatalog(const std::string& url) {
  ARROW_ASSIGN_OR_RAISE(std::string path, SqlitePathFromUrl(url));
  ARROW_RETURN_NOT_OK(EnsureParentDirectory(path));
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<SqliteCatalog> catalog, SqliteCatalog::Open(path));
  return std::static_pointer_cast<Catalog>(catalog);
}

}  // namespace mosaico::catalog

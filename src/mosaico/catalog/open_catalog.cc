// OpenCatalog: picks the backend from the catalog URL (see catalog.h).
//   sqlite:///abs/path.db -> /abs/path.db      sqlite://rel/path.db -> rel/path.db      /any/path.db -> itself
//   postgresql://user@host:port/db (or postgres://...) -> PostgresCatalog (catalog/postgres/), the URL handed to
//   libpq as is.
// The parent directory of a SQLite file is created when missing. Other schemes are InvalidArgument.
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/catalog_url.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

arrow::Result<std::string> SqlitePathFromUrl(const std::string& url) {
  if (url.empty()) return InvalidArgument("catalog URL must not be empty");
  std::string_view view(url);
  if (view.starts_with(kSqliteScheme)) {
    view.remove_prefix(kSqliteScheme.size());  // "sqlite:///abs" keeps its leading '/'
    if (view.empty()) return InvalidArgument("catalog URL '" + url + "' names no database file");
    return std::string(view);
  }
  if (view.find("://") != std::string_view::npos) {
    return InvalidArgument("unsupported catalog URL '" + url +
                           "' (expected sqlite:///path/to/catalog.db, postgresql://user@host:port/db or a path)");
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
  if (IsPostgresUrl(url)) return std::optional<std::string>();
  ARROW_ASSIGN_OR_RAISE(std::string path, SqlitePathFromUrl(url));
  return std::optional<std::string>(std::move(path));
}

arrow::Result<std::shared_ptr<Catalog>> OpenCatalog(const std::string& url, const CatalogOptions& options) {
  if (IsPostgresUrl(url)) {
    if (options.pool_size < 1) {
      return InvalidArgument("catalog pool size must be at least 1, got " + std::to_string(options.pool_size));
    }
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<PostgresCatalog> catalog,
                          PostgresCatalog::Open(url, static_cast<size_t>(options.pool_size)));
    return std::static_pointer_cast<Catalog>(catalog);
  }
  ARROW_ASSIGN_OR_RAISE(std::string path, SqlitePathFromUrl(url));
  ARROW_RETURN_NOT_OK(EnsureParentDirectory(path));
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<SqliteCatalog> catalog, SqliteCatalog::Open(path));
  return std::static_pointer_cast<Catalog>(catalog);
}

}  // namespace mosaico::catalog

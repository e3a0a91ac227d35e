// Catalog URLs: which backend and where (see OpenCatalog in catalog.h).
//   sqlite:///abs/path.db -> the file /abs/path.db      sqlite://rel/path.db -> rel/path.db      /any/path.db -> itself
#pragma once

#include <optional>
#include <string>

#include <arrow/result.h>

namespace mosaico::catalog {

// The database file of a file-based (SQLite) catalog URL; nullopt for a server backend. InvalidArgument for an
// empty or unsupported URL.
arrow::Result<std::optional<std::string>> CatalogFileOfUrl(const std::string& url);

}  // namespace mosaico::catalog

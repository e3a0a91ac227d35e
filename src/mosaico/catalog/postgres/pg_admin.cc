#include "mosaico/catalog/postgres/pg_admin.h"

#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog::postgres {
namespace {

arrow::Status CheckName(const std::string& database) {
  if (database.empty() || database.size() > 63) return InvalidArgument("bad database name '" + database + "'");
  for (char c : database) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidArgument("bad database name '" + database + "' (allowed: a-z 0-9 _)");
    }
  }
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<std::string> UrlWithDatabase(const std::string& url, const std::string& database) {
  ARROW_RETURN_NOT_OK(CheckName(database));
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return InvalidArgument("not a postgresql URL");
  const size_t query = url.find('?', scheme + 3);
  const std::string base = url.substr(0, query);
  const std::string rest = query == std::string::npos ? "" : url.substr(query);
  const size_t slash = base.find('/', scheme + 3);
  const std::string authority = slash == std::string::npos ? base : base.substr(0, slash);
  return authority + "/" + database + rest;
}

arrow::Status CreateDatabase(const std::string& admin_url, const std::string& database) {
  ARROW_RETURN_NOT_OK(CheckName(database));
  ARROW_ASSIGN_OR_RAISE(auto conn, PgConnection::Connect(admin_url));
  return conn->ExecScript("CREATE DATABASE " + database + " TEMPLATE template0 ENCODING 'UTF8'");
}

arrow::Status DropDatabase(const std::string& admin_url, const std::string& database) {
  ARROW_RETURN_NOT_OK(CheckName(database));
  ARROW_ASSIGN_OR_RAISE(auto conn, PgConnection::Connect(admin_url));
  return conn->ExecScript("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
}

}  // namespace mosaico::catalog::postgres

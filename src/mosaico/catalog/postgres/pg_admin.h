// Database administration for tests and tools: create / drop a database on a PostgreSQL server, and derive the
// URL of another database on the same server. Names are restricted to [a-z0-9_] (they cannot be bound as
// parameters in CREATE DATABASE, so anything else is InvalidArgument rather than quoted).
#pragma once

#include <string>

#include <arrow/result.h>
#include <arrow/status.h>

namespace mosaico::catalog::postgres {

// `url` with its database path replaced by `database` ("postgresql://u@h:5432/postgres?x=y" -> ".../<database>?x=y").
arrow::Result<std::string> UrlWithDatabase(const std::string& url, const std::string& database);
// Connects to `admin_url` and runs CREATE DATABASE / DROP DATABASE IF EXISTS ... WITH (FORCE).
arrow::Status CreateDatabase(const std::string& admin_url, const std::string& database);
arrow::Status DropDatabase(const std::string& admin_url, const std::string& database);

}  // namespace mosaico::catalog::postgres

#include "mosaico/catalog/postgres/pg_backfill.h"

#include <chrono>

#include <spdlog/spdlog.h>

namespace mosaico::catalog::postgres {

arrow::Status BackfillByIdRanges(PgConnection* conn, const std::string& table, int64_t step, const char* event,
                                 const std::string& statement) {
  ARROW_ASSIGN_OR_RAISE(PgResult range, conn->Exec("SELECT coalesce(min(id), 0), coalesce(max(id), -1), count(*) "
                                                   "FROM " + table));
  const int64_t first = range.Int64(0, 0), last = range.Int64(0, 1), total = range.Int64(0, 2);
  const auto started = std::chrono::steady_clock::now();
  auto logged = started;
  if (total > 0) spdlog::info("event={} done=0 total={}", event, total);
  for (int64_t low = first; low <= last; low += step) {
    ARROW_RETURN_NOT_OK(conn->Exec(statement, PgParams::Of(low, low + step - 1)).status());
    const auto now = std::chrono::steady_clock::now();
    if (now - logged > std::chrono::seconds(5)) {
      ARROW_ASSIGN_OR_RAISE(PgResult done, conn->Exec("SELECT count(*) FROM " + table + " WHERE id <= $1",
                                                      PgParams::Of(low + step - 1)));
      spdlog::info("event={} done={} total={}", event, done.Int64(0, 0), total);
      logged = now;
    }
  }
  if (total > 0) {
    spdlog::info("event={} done={} total={} finished=true seconds={:.1f}", event, total, total,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::catalog::postgres

// Helpers shared by the client's tests: a connected client on the shared daemon, IMU rows, table reads.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "mosaico/client/builtin_models.h"
#include "mosaico/client/client.h"
#include "mosaico/client/errors.h"

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    auto _st = (expr);                                               \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString();        \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                             \
  auto lhs##_result = (rexpr);                                       \
  ASSERT_TRUE(lhs##_result.ok()) << #rexpr << ": " << lhs##_result.status().ToString(); \
  auto lhs = std::move(lhs##_result).ValueOrDie()

namespace mosaico::client::testing {

inline Client Connect() {
  auto c = Client::Connect(SharedDaemon().uri());
  if (!c.ok()) {
    ADD_FAILURE() << c.status().ToString();
    std::abort();
  }
  return *c;
}

/// `n` IMU rows through the row builder: acceleration.x = i, y = 2i, z = 9.81; timestamps base + i * step.
inline arrow::Status WriteImuRows(TopicWriter* w, int64_t n, int64_t base, int64_t step) {
  for (int64_t i = 0; i < n; ++i) {
    auto& r = w->rows();
    ARROW_RETURN_NOT_OK(r.Set("acceleration.x", static_cast<double>(i)));
    ARROW_RETURN_NOT_OK(r.Set("acceleration.y", 2.0 * static_cast<double>(i)));
    ARROW_RETURN_NOT_OK(r.Set("acceleration.z", 9.81));
    ARROW_RETURN_NOT_OK(r.Set("angular_velocity.x", 0.0));
    ARROW_RETURN_NOT_OK(r.Set("angular_velocity.y", 0.0));
    ARROW_RETURN_NOT_OK(r.Set("angular_velocity.z", 0.0));
    ARROW_RETURN_NOT_OK(w->AppendRow(base + i * step));
  }
  return arrow::Status::OK();
}

inline arrow::Result<std::shared_ptr<arrow::Table>> ReadAll(const Client& c, const std::string& locator,
                                                           const ReadOptions& options = {}) {
  ARROW_ASSIGN_OR_RAISE(auto reader, c.ReadTopic(locator, options));
  return reader->ToTable();
}

inline double StructDouble(const arrow::Table& t, const std::string& column, const std::string& field, int64_t row) {
  auto col = t.GetColumnByName(column);
  int64_t r = row;
  for (const auto& chunk : col->chunks()) {
    if (r < chunk->length()) {
      auto s = std::static_pointer_cast<arrow::StructArray>(chunk);
      auto d = std::static_pointer_cast<arrow::DoubleArray>(s->GetFieldByName(field));
      return d->Value(r);
    }
    r -= chunk->length();
  }
  return -1;
}

inline int64_t Int64At(const arrow::Table& t, const std::string& column, int64_t row) {
  auto col = t.GetColumnByName(column);
  int64_t r = row;
  for (const auto& chunk : col->chunks()) {
    if (r < chunk->length()) return std::static_pointer_cast<arrow::Int64Array>(chunk)->Value(r);
    r -= chunk->length();
  }
  return -1;
}

}  // namespace mosaico::client::testing

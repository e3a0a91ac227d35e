// Stable serialized names of catalog enums (ColumnStats kinds, job states, API-key permissions), shared by every
// backend.
#include "mosaico/catalog/catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

const char* ColumnStatsKindName(ColumnStats::Kind kind) {
  switch (kind) {
    case ColumnStats::Kind::kInt: return "int";
    case ColumnStats::Kind::kFloat: return "float";
    case ColumnStats::Kind::kString: return "string";
    case ColumnStats::Kind::kBool: return "bool";
  }
  return "int";
}

std::optional<ColumnStats::Kind> ParseColumnStatsKind(const std::string& name) {
  if (name == "int") return ColumnStats::Kind::kInt;
  if (name == "float") return ColumnStats::Kind::kFloat;
  if (name == "string") return ColumnStats::Kind::kString;
  if (name == "bool") return ColumnStats::Kind::kBool;
  return std::nullopt;
}

const char* JobStateName(JobRecord::State state) {
  switch (state) {
    case JobRecord::State::kPending: return "pending";
    case JobRecord::State::kRunning: return "running";
    case JobRecord::State::kDone: return "done";
    case JobRecord::State::kFailed: return "failed";
  }
  return "pending";
}

JobRecord::State ParseJobState(const std::string& name) {
  if (name == "running") return JobRecord::State::kRunning;
  if (name == "done") return JobRecord::State::kDone;
  if (name == "failed") return JobRecord::State::kFailed;
  return JobRecord::State::kPending;
}

arrow::Status ValidateApiKeyRecord(const ApiKeyRecord& key) {
  if (key.fingerprint.empty()) return InvalidArgument("an API key needs a fingerprint");
  if (key.token_hash.empty() || key.salt.empty()) return InvalidArgument("an API key needs a token hash and a salt");
  if (key.permissions >= 1 && key.permissions <= 7) return arrow::Status::OK();
  return InvalidArgument("API key permissions " + std::to_string(key.permissions) +
                         " are not a non-empty set of read=1, write=2, delete=4");
}

}  // namespace mosaico::catalog

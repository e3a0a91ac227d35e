// Logging of mosaicod: spdlog's default logger on stderr, in one of two formats (logging.format):
//   plain  `2024-05-01T12:00:00.123456Z info event=listening uri=grpc://127.0.0.1:6726 ...` (colored on a tty)
//   json   one JSON object per line: {"ts":"2024-05-01T12:00:00.123456Z","level":"info","event":"listening",
//          "uri":"grpc://127.0.0.1:6726",...}: ts (UTC), level (trace, debug, info, warning, error, critical) and
//          the key=value fields of our structured messages as string fields (values as written, quotes removed);
//          text that is not key=value goes to "msg". A field named like ts/level/msg gets a "_" appended; a
//          repeated key gets "_2", "_3", ... Invalid UTF-8 is replaced, so every line is valid JSON.
// Levels: trace, debug, info, warning (= warn), error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/status.h>
#include <spdlog/formatter.h>

namespace mosaicod {

// Installs the default logger. InvalidArgument for an unknown level or format.
arrow::Status SetupLogging(const std::string& level, const std::string& format);

// The JSON line format above.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Splits a structured message into its key=value fields, in order; what is not key=value is returned in `rest`
// (space-joined). A value in double quotes may hold spaces; it ends at a quote followed by the end or by a space
// and the next key=.
std::vector<std::pair<std::string, std::string>> ParseLogFields(std::string_view message, std::string* rest);

}  // namespace mosaicod

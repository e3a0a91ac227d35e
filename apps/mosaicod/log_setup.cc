#include "log_setup.h"

#include <time.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace mosaicod {
namespace {

bool IsKeyChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }

// Length of the `key=` at s[i] (0 when there is none).
size_t KeyAt(std::string_view s, size_t i) {
  size_t j = i;
  if (j >= s.size() || !(std::isalpha(static_cast<unsigned char>(s[j])) || s[j] == '_')) return 0;
  while (j < s.size() && IsKeyChar(s[j])) ++j;
  return j < s.size() && s[j] == '=' ? j - i + 1 : 0;
}

std::string Timestamp(std::chrono::system_clock::time_point tp) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
  const time_t seconds = static_cast<time_t>(us / 1000000);
  struct tm tm = {};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us % 1000000));
  return buf;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseLogFields(std::string_view s, std::string* rest) {
  std::vector<std::pair<std::string, std::string>> fields;
  rest->clear();
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    const size_t key_len = KeyAt(s, i);
    if (key_len == 0) {  // free text up to the next space
      size_t end = s.find(' ', i);
      if (end == std::string_view::npos) end = s.size();
      if (!rest->empty()) rest->push_back(' ');
      rest->append(s.substr(i, end - i));
      i = end;
      continue;
    }
    std::string key(s.substr(i, key_len - 1));
    i += key_len;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      size_t close = std::string_view::npos;
      for (size_t j = i + 1; j < s.size(); ++j) {
        if (s[j] != '"') continue;
        if (j + 1 == s.size()) {
          close = j;
          break;
        }
        if (s[j + 1] == ' ') {
          size_t k = j + 1;
          while (k < s.size() && s[k] == ' ') ++k;
          if (k == s.size() || KeyAt(s, k) > 0) {
            close = j;
            break;
          }
        }
      }
      if (close == std::string_view::npos) {
        value = std::string(s.substr(i + 1));
        i = s.size();
      } else {
        value = std::string(s.substr(i + 1, close - i - 1));
        i = close + 1;
      }
    } else {
      size_t end = s.find(' ', i);
      if (end == std::string_view::npos) end = s.size();
      value = std::string(s.substr(i, end - i));
      i = end;
    }
    fields.emplace_back(std::move(key), std::move(value));
  }
  return fields;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["ts"] = Timestamp(msg.time);
  const auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  std::string rest;
  std::map<std::string, int> seen = {{"ts", 1}, {"level", 1}, {"msg", 1}};
  for (auto& [key, value] : ParseLogFields(std::string_view(msg.payload.data(), msg.payload.size()), &rest)) {
    std::string name = key;
    if (key == "ts" || key == "level" || key == "msg") name += "_";
    const int n = ++seen[name];
    if (n > 1 && name == key) name += "_" + std::to_string(n);
    line[name] = value;
  }
  if (!rest.empty()) line["msg"] = rest;
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

arrow::Status SetupLogging(const std::string& level, const std::string& format) {
  spdlog::level::level_enum lvl;
  if (level == "warning" || level == "warn") {
    lvl = spdlog::level::warn;
  } else if (level == "trace" || level == "debug" || level == "info" || level == "error") {
    lvl = spdlog::level::from_str(level);
  } else {
    return arrow::Status::Invalid("unknown log level '", level, "'");
  }
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = spdlog::stderr_logger_mt("mosaicod");
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else if (format == "plain" || format == "pretty") {
    logger = spdlog::stderr_color_mt("mosaicod");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  } else {
    return arrow::Status::Invalid("unknown log format '", format, "'");
  }
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return arrow::Status::OK();
}

}  // namespace mosaicod

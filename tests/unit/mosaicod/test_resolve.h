// Test helper: resolve settings from flags, variables and TOML text the way main.cc does (minus logging).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "config_file.h"
#include "env_compat.h"
#include "settings.h"

namespace mosaicod::test_support {

struct Resolved {
  DaemonOptions options;
  Resolution resolution;
};

// `flags`: setting key -> text, as given on the command line (under the setting's first flag name).
inline arrow::Result<Resolved> Resolve(unsigned scope, const std::map<std::string, std::string>& flags,
                                       std::map<std::string, std::string> env, const std::string& toml = "") {
  FlagValues flag_values;
  for (const auto& [key, text] : flags) {
    const Setting* s = FindSetting(key);
    if (s == nullptr) return arrow::Status::Invalid("test: no setting ", key);
    flag_values.by_key[key].push_back({text, false, s->flag.substr(0, s->flag.find(','))});
  }
  Environment environment(std::move(env));
  std::optional<ConfigFile> file;
  if (!toml.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto parsed, ConfigFile::Parse(toml, "test.toml"));
    file = std::move(parsed);
  }
  Resolved out;
  ARROW_ASSIGN_OR_RAISE(out.resolution,
                        ResolveSettings(scope, {&flag_values, &environment, file ? &*file : nullptr}, &out.options));
  ARROW_RETURN_NOT_OK(FinishOptions(out.resolution, &out.options, &out.resolution.warnings));
  return out;
}

inline std::string ErrorOf(const arrow::Result<Resolved>& r) { return r.ok() ? "(ok)" : r.status().message(); }

inline constexpr unsigned kServer = kGlobal | kStorage | kServe;

}  // namespace mosaicod::test_support

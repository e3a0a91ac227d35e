// Resolution of the settings registry: flag > environment > config file > default (settings.h states the rules).
#include "settings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "config_file.h"
#include "env_compat.h"

namespace mosaicod {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const char* TypeWord(SettingType type) {
  switch (type) {
    case SettingType::kString: return "a string";
    case SettingType::kInt: return "an integer";
    case SettingType::kFloat: return "a number";
    case SettingType::kBool: return "a boolean";
  }
  return "a value";
}

arrow::Status Invalid(const std::string& origin, const std::string& problem) {
  return arrow::Status::Invalid(origin, ": ", problem);
}

// A value as found at one level, before parsing.
struct Raw {
  Origin origin;
  std::string text;                   // flag / variable text, or the content of a secret's file
  const FileValue* file = nullptr;    // a config-file value (not a secret's path)
  bool from_secret_file = false;
};

Raw MakeRaw(Origin::Level level, const std::string& name, const std::string& text) {
  Raw raw;
  raw.origin.level = level;
  raw.origin.name = name;
  raw.text = text;
  return raw;
}

arrow::Result<std::string> ReadSecretFile(const std::string& path, const std::string& origin) {
  std::ifstream in(path);
  if (!in) return Invalid(origin, "cannot read the file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
  if (value.empty()) return Invalid(origin, "the file '" + path + "' is empty");
  return value;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// The setting's value at the flag level, if given (each From* leaves `out` alone when not).
arrow::Status FromFlags(const Setting& s, const FlagValues* flags, std::optional<Raw>* out) {
  if (flags == nullptr) return arrow::Status::OK();
  auto it = flags->by_key.find(s.key);
  if (it == flags->by_key.end() || it->second.empty()) return arrow::Status::OK();
  const auto& given = it->second;
  std::set<std::string> spellings;
  for (const auto& g : given) spellings.insert(g.flag);
  if (spellings.size() > 1) {
    return arrow::Status::Invalid(Joined({spellings.begin(), spellings.end()}), " both set ", s.key,
                                  "; give one of them");
  }
  const FlagInput& in = given.back();  // a repeated flag: the last one wins, as usual on command lines
  Raw raw = MakeRaw(Origin::kFlag, in.flag, in.text);
  if (in.is_path) {
    ARROW_ASSIGN_OR_RAISE(raw.text, ReadSecretFile(in.text, in.flag));
    raw.from_secret_file = true;
  }
  *out = std::move(raw);
  return arrow::Status::OK();
}

arrow::Status FromEnv(const Setting& s, const Environment* env, std::optional<Raw>* out) {
  if (env == nullptr) return arrow::Status::OK();
  std::vector<Raw> found;
  for (const auto& name : s.env) {
    if (auto v = env->Get(name)) found.push_back(MakeRaw(Origin::kEnv, name, *v));
    if (s.secret != Secret::kNone) {
      if (auto path = env->Get(name + "_FILE")) {
        Raw raw = MakeRaw(Origin::kEnv, name + "_FILE", *path);
        raw.from_secret_file = true;
        found.push_back(std::move(raw));
      }
    }
  }
  if (found.empty()) return arrow::Status::OK();
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (const auto& f : found) names.push_back(f.origin.name);
    return arrow::Status::Invalid(Joined(names), " are all set and configure the same setting (", s.key,
                                  "); set only one");
  }
  Raw raw = std::move(found.front());
  if (raw.from_secret_file) {
    ARROW_ASSIGN_OR_RAISE(raw.text, ReadSecretFile(raw.text, raw.origin.name));
  }
  *out = std::move(raw);
  return arrow::Status::OK();
}

arrow::Status FromFile(const Setting& s, const ConfigFile* file, std::optional<Raw>* out) {
  if (file == nullptr) return arrow::Status::OK();
  std::vector<std::string> present;
  for (const auto& key : s.FileKeys()) {
    if (file->Find(key) != nullptr) present.push_back(key);
  }
  if (present.empty()) return arrow::Status::OK();
  if (present.size() > 1) {
    return arrow::Status::Invalid("config file '", file->path(), "': ", Joined(present),
                                  " configure the same setting; keep one");
  }
  const std::string& key = present.front();
  const FileValue* value = file->Find(key);
  Raw raw = MakeRaw(Origin::kFile, file->Where(key), "");
  const bool path_form = s.secret != Secret::kNone && key == s.key + "_file";
  if (path_form) {
    if (value->kind != FileValue::Kind::kString) {
      return Invalid(raw.origin.name, "expected a file path (a string), got " + value->type_name);
    }
    ARROW_ASSIGN_OR_RAISE(raw.text, ReadSecretFile(value->text, raw.origin.name));
    raw.from_secret_file = true;
  } else {
    raw.file = value;
  }
  *out = std::move(raw);
  return arrow::Status::OK();
}

// The highest level at which `s` is given, in `out`.
arrow::Status Locate(const Setting& s, const SettingSources& sources, std::optional<Raw>* out) {
  ARROW_RETURN_NOT_OK(FromFlags(s, sources.flags, out));
  if (*out) return arrow::Status::OK();
  ARROW_RETURN_NOT_OK(FromEnv(s, sources.env, out));
  if (*out) return arrow::Status::OK();
  return FromFile(s, sources.file, out);
}

arrow::Result<SettingValue> FromFileValue(const Setting& s, const FileValue& v, const std::string& origin) {
  SettingValue out;
  using K = FileValue::Kind;
  bool ok = false;
  switch (s.type) {
    case SettingType::kString:
      ok = v.kind == K::kString;
      out.text = v.text;
      break;
    case SettingType::kInt:
      ok = v.kind == K::kInteger;
      out.integer = v.integer;
      out.number = static_cast<double>(v.integer);
      break;
    case SettingType::kFloat:
      ok = v.kind == K::kInteger || v.kind == K::kFloat;
      out.number = v.kind == K::kInteger ? static_cast<double>(v.integer) : v.number;
      break;
    case SettingType::kBool:
      ok = v.kind == K::kBool;
      out.boolean = v.boolean;
      break;
  }
  if (!ok) return Invalid(origin, std::string("expected ") + TypeWord(s.type) + ", got " + v.type_name);
  auto st = ValidateSettingValue(s, &out);
  if (!st.ok()) return Invalid(origin, st.message());
  return out;
}

}  // namespace

std::vector<std::string> Setting::FileKeys() const {
  std::vector<std::string> keys;
  if (secret != Secret::kFileInConfig) keys.push_back(key);
  if (secret != Secret::kNone) keys.push_back(key + "_file");
  keys.insert(keys.end(), key_aliases.begin(), key_aliases.end());
  return keys;
}

std::vector<std::string> Setting::EnvNames() const {
  std::vector<std::string> names;
  for (const auto& n : env) {
    names.push_back(n);
    if (secret != Secret::kNone) names.push_back(n + "_FILE");
  }
  return names;
}

std::string Setting::DefaultText() const {
  if (!default_text.empty()) return default_text;
  if (secret != Secret::kNone || !ignored.empty() || !bind.show) return "";
  return bind.show(DaemonOptions{});
}

const Setting* FindSetting(std::string_view key) {
  for (const auto& s : Registry()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const ResolvedSetting* Resolution::Find(std::string_view key) const {
  for (const auto& r : settings) {
    if (r.setting->key == key) return &r;
  }
  return nullptr;
}

bool Resolution::Given(std::string_view key) const {
  const auto* r = Find(key);
  return r != nullptr && r->origin.level != Origin::kDefault && r->overridden_by.empty();
}

std::string Resolution::OriginOf(std::string_view key) const {
  const auto* r = Find(key);
  return r == nullptr || r->origin.level == Origin::kDefault ? "default" : r->origin.name;
}

std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

Binding BindBytes(int64_t mosaico::server::ServerConfig::*field, double unit_bytes) {
  Binding b;
  b.apply = [field, unit_bytes](const SettingValue& v, DaemonOptions* o) {
    o->server.*field = static_cast<int64_t>(std::llround(v.number * unit_bytes));
    return arrow::Status::OK();
  };
  b.show = [field, unit_bytes](const DaemonOptions& o) {
    return FormatNumber(static_cast<double>(o.server.*field) / unit_bytes);
  };
  return b;
}

arrow::Status ValidateSettingValue(const Setting& s, SettingValue* value) {
  if (s.type == SettingType::kString && !s.choices.empty()) {
    value->text = Lower(value->text);
    if (std::find(s.choices.begin(), s.choices.end(), value->text) == s.choices.end()) {
      std::string list;
      for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
      return arrow::Status::Invalid("'", value->text, "' is not one of ", list);
    }
  }
  if (s.type == SettingType::kInt || s.type == SettingType::kFloat) {
    if (!std::isfinite(value->number)) return arrow::Status::Invalid("not a finite number");
    if ((s.min && value->number < *s.min) || (s.max && value->number > *s.max)) {
      return arrow::Status::Invalid(FormatNumber(value->number), " is out of range [",
                                    s.min ? FormatNumber(*s.min) : "-inf", ", ", s.max ? FormatNumber(*s.max) : "inf",
                                    "]");
    }
  }
  return arrow::Status::OK();
}

arrow::Result<SettingValue> ParseSettingText(const Setting& s, const std::string& text) {
  SettingValue out;
  switch (s.type) {
    case SettingType::kString:
      out.text = text;
      break;
    case SettingType::kInt: {
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) return arrow::Status::Invalid("not an integer");
      out.integer = v;
      out.number = static_cast<double>(v);
      break;
    }
    case SettingType::kFloat: {
      errno = 0;
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno == ERANGE) return arrow::Status::Invalid("not a number");
      out.number = v;
      break;
    }
    case SettingType::kBool: {
      const std::string t = Lower(text);
      if (t == "1" || t == "true" || t == "yes" || t == "on") {
        out.boolean = true;
      } else if (t == "0" || t == "false" || t == "no" || t == "off") {
        out.boolean = false;
      } else {
        return arrow::Status::Invalid("not a boolean (true/false, 1/0, yes/no, on/off)");
      }
      break;
    }
  }
  ARROW_RETURN_NOT_OK(ValidateSettingValue(s, &out));
  return out;
}

arrow::Result<Resolution> ResolveSettings(unsigned scope, const SettingSources& sources, DaemonOptions* options) {
  Resolution res;
  std::vector<std::optional<Raw>> raws;
  for (const auto& s : Registry()) {
    if ((s.scope & scope) == 0) continue;
    std::optional<Raw> raw;
    ARROW_RETURN_NOT_OK(Locate(s, sources, &raw));
    res.settings.push_back({&s, raw ? raw->origin : Origin{Origin::kDefault, "default"}, ""});
    raws.push_back(std::move(raw));
  }
  // Groups: the member given at the highest level wins.
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < res.settings.size(); ++i) {
    if (!res.settings[i].setting->group.empty()) groups[res.settings[i].setting->group].push_back(i);
  }
  for (const auto& [group, members] : groups) {
    int top = Origin::kDefault;
    for (size_t i : members) top = std::max<int>(top, res.settings[i].origin.level);
    if (top == Origin::kDefault) continue;
    std::vector<size_t> at_top;
    for (size_t i : members) {
      if (res.settings[i].origin.level == top) at_top.push_back(i);
    }
    if (at_top.size() > 1) {
      std::vector<std::string> names;
      for (size_t i : at_top) names.push_back(res.settings[i].origin.name);
      return arrow::Status::Invalid(Joined(names), " say the same thing (", res.settings[at_top[0]].setting->key,
                                    " and ", res.settings[at_top[1]].setting->key, "); give one of them");
    }
    for (size_t i : members) {
      if (i != at_top[0] && res.settings[i].origin.level != Origin::kDefault) {
        res.settings[i].overridden_by = res.settings[at_top[0]].origin.name;
      }
    }
  }
  for (size_t i = 0; i < res.settings.size(); ++i) {
    if (!raws[i]) continue;
    const Setting& s = *res.settings[i].setting;
    const Raw& raw = *raws[i];
    SettingValue value;
    if (raw.file != nullptr) {
      ARROW_ASSIGN_OR_RAISE(value, FromFileValue(s, *raw.file, raw.origin.name));
    } else {
      auto parsed = ParseSettingText(s, raw.text);
      if (!parsed.ok()) {
        const std::string shown = raw.from_secret_file || s.secret != Secret::kNone ? "" : "='" + raw.text + "'";
        return Invalid(raw.origin.name + shown, parsed.status().message());
      }
      value = std::move(*parsed);
    }
    if (!s.ignored.empty()) {
      res.warnings.push_back("event=config_ignored setting=" + raw.origin.name + " key=" + s.key +
                             " reason=\"" + s.ignored + "\"");
      continue;
    }
    if (!res.settings[i].overridden_by.empty()) continue;
    auto st = s.bind.apply(value, options);
    if (!st.ok()) return Invalid(raw.origin.name, st.message());
  }
  return res;
}

}  // namespace mosaicod

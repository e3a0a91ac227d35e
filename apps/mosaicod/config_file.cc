// TOML config file: search path, parsing (toml++, used header-only: nothing to ship at run time), key validation.
#include "config_file.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "env_compat.h"
#include "settings.h"

namespace mosaicod {
namespace {

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

struct KnownKeys {
  std::set<std::string> keys;      // value keys
  std::set<std::string> sections;  // every proper prefix of a key
  std::map<std::string, std::string> plain_secrets;  // "store.secret_key" -> "store.secret_key_file"
  std::vector<std::string> all;    // keys and sections, for suggestions
};

const KnownKeys& Known() {
  static const KnownKeys known = [] {
    KnownKeys k;
    for (const auto& s : Registry()) {
      for (const auto& key : s.FileKeys()) {
        k.keys.insert(key);
        for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
          k.sections.insert(key.substr(0, dot));
        }
      }
      if (s.secret == Secret::kFileInConfig) k.plain_secrets[s.key] = s.key + "_file";
    }
    k.all.assign(k.keys.begin(), k.keys.end());
    k.all.insert(k.all.end(), k.sections.begin(), k.sections.end());
    return k;
  }();
  return known;
}

class Walker {
 public:
  Walker(const std::string& path, std::map<std::string, FileValue>* out) : path_(path), out_(out) {}

  arrow::Status Walk(const toml::table& table, const std::string& prefix) {
    const KnownKeys& known = Known();
    for (auto&& [k, node] : table) {
      const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (node.is_table()) {
        if (known.sections.count(key) == 0) {
          if (known.keys.count(key)) return Fail(node, key + " must be a value, not a table");
          return Unknown(node, "unknown section [" + key + "]", key);
        }
        ARROW_RETURN_NOT_OK(Walk(*node.as_table(), key));
        continue;
      }
      if (known.keys.count(key) == 0) {
        if (known.sections.count(key)) return Fail(node, key + " is a section ([" + key + "]), not a value");
        if (auto it = known.plain_secrets.find(key); it != known.plain_secrets.end()) {
          return Fail(node, key + ": secrets are not read from the config file; put it in a file readable only by "
                            "mosaicod and give its path as " + it->second);
        }
        return Unknown(node, "unknown key " + key, key);
      }
      ARROW_ASSIGN_OR_RAISE(FileValue value, Convert(node, key));
      (*out_)[key] = std::move(value);
    }
    return arrow::Status::OK();
  }

 private:
  arrow::Status Fail(const toml::node& node, const std::string& what) const {
    return arrow::Status::Invalid("config file '", path_, "' line ", LineOf(node), ": ", what);
  }

  arrow::Status Unknown(const toml::node& node, const std::string& what, const std::string& key) const {
    const std::string near = NearestName(key, Known().all);
    return Fail(node, what + (near.empty() ? "" : " (did you mean " + near + "?)") +
                          "; docs/CONFIGURATION.md lists every key");
  }

  arrow::Result<FileValue> Convert(const toml::node& node, const std::string& key) const {
    FileValue v;
    v.type_name = TypeName(node);
    v.line = LineOf(node);
    if (auto s = node.as_string()) {
      v.kind = FileValue::Kind::kString;
      v.text = s->get();
    } else if (auto i = node.as_integer()) {
      v.kind = FileValue::Kind::kInteger;
      v.integer = i->get();
      v.number = static_cast<double>(v.integer);
    } else if (auto f = node.as_floating_point()) {
      v.kind = FileValue::Kind::kFloat;
      v.number = f->get();
    } else if (auto b = node.as_boolean()) {
      v.kind = FileValue::Kind::kBool;
      v.boolean = b->get();
    } else {
      return Fail(node, key + ": expected a string, number or boolean, got " + v.type_name);
    }
    return v;
  }

  const std::string& path_;
  std::map<std::string, FileValue>* out_;
};

bool IsFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) || std::filesystem::is_character_file(path, ec);
}

}  // namespace

arrow::Result<ConfigFile> ConfigFile::Parse(std::string_view text, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return arrow::Status::Invalid("config file '", path, "' line ", e.source().begin.line, " column ",
                                  e.source().begin.column, ": ", e.description());
  }
  ConfigFile file;
  file.path_ = path;
  Walker walker(file.path_, &file.values_);
  ARROW_RETURN_NOT_OK(walker.Walk(table, ""));
  return file;
}

arrow::Result<ConfigFile> ConfigFile::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return arrow::Status::Invalid("cannot read the config file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

const FileValue* ConfigFile::Find(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::string ConfigFile::Where(const std::string& key) const {
  const FileValue* v = Find(key);
  return key + " in " + path_ + (v != nullptr ? " (line " + std::to_string(v->line) + ")" : "");
}

arrow::Result<std::optional<std::string>> FindConfigFile(const std::optional<std::string>& flag_path,
                                                         const Environment& env, const ConfigSearch& search) {
  if (flag_path) {
    if (!IsFile(*flag_path)) return arrow::Status::Invalid("--config: no such file '", *flag_path, "'");
    return flag_path;
  }
  if (auto named = env.Get("MOSAICOD_CONFIG_FILE")) {
    if (!IsFile(*named)) return arrow::Status::Invalid("MOSAICOD_CONFIG_FILE: no such file '", *named, "'");
    return named;
  }
  constexpr char kRelative[] = "/mosaicod/config.toml";
  std::optional<std::string> user;
  if (auto xdg = env.Get("XDG_CONFIG_HOME")) {
    user = *xdg + kRelative;
  } else if (auto home = env.Get("HOME")) {
    user = *home + "/.config" + kRelative;
  }
  if (user && IsFile(*user)) return user;
  const std::string etc = search.etc_dir + kRelative;
  if (IsFile(etc)) return std::optional<std::string>(etc);
  return std::optional<std::string>();
}

}  // namespace mosaicod

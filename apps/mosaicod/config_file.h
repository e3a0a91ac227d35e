// The optional config file (TOML, toml++), the third level of precedence (flag > environment > file > default).
//
// Search order, as the reference mosaicod's (FindConfigFile): the global --config FILE; else MOSAICOD_CONFIG_FILE;
// else $XDG_CONFIG_HOME/mosaicod/config.toml (~/.config/mosaicod/config.toml when XDG_CONFIG_HOME is unset or
// empty); else /etc/mosaicod/config.toml. A file named by --config or MOSAICOD_CONFIG_FILE must exist; the other
// places are skipped when absent (then no file is used).
//
// Contract of ConfigFile::Parse / Load:
//  - Every key must be one the registry knows (settings.h, Setting::FileKeys): an unknown key, or a section no
//    setting lives in, is InvalidArgument naming the key (or [section]), the file and the line, with the nearest
//    known key when one is close ("did you mean server.host?"). A plain secret (store.secret_key,
//    database.password) is refused with a pointer to its `_file` key.
//  - A table where a value belongs (or the reverse), and arrays or dates as values, are errors naming the key;
//    dotted keys and inline tables are the same keys as sections. Value types are checked against the setting
//    later (ResolveSettings).
//  - TOML syntax errors name the file, line and column.
// Nothing else is interpreted here: which value wins, units and ranges are settings.cc's business.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaicod {

class Environment;

// One value of the file.
struct FileValue {
  enum class Kind { kString, kInteger, kFloat, kBool, kOther };
  Kind kind = Kind::kOther;
  std::string text;
  int64_t integer = 0;
  double number = 0;
  bool boolean = false;
  std::string type_name;  // TOML type, for messages: "string", "integer", "float", "boolean", "array", ...
  int line = 0;
};

class ConfigFile {
 public:
  static arrow::Result<ConfigFile> Load(const std::string& path);
  // `path` only names the text in messages.
  static arrow::Result<ConfigFile> Parse(std::string_view text, const std::string& path);

  const std::string& path() const { return path_; }
  // The value at dotted `key`, or nullptr.
  const FileValue* Find(const std::string& key) const;
  // "server.port in /etc/mosaicod/config.toml (line 3)".
  std::string Where(const std::string& key) const;

 private:
  std::string path_;
  std::map<std::string, FileValue> values_;
};

// Where the config files are looked for (tests point etc_dir elsewhere).
struct ConfigSearch {
  std::string etc_dir = "/etc";
};

// The config file to use (see above), or nullopt for none. InvalidArgument when --config or MOSAICOD_CONFIG_FILE
// names a file that does not exist.
arrow::Result<std::optional<std::string>> FindConfigFile(const std::optional<std::string>& flag_path,
                                                         const Environment& env, const ConfigSearch& search = {});

}  // namespace mosaicod

// Settings registry: the one place where mosaicod's settings are defined (the table is in settings_table.cc).
//
// A setting is one thing an operator configures. Each has a config-file key, which is also its name
// ("server.port"), at most one flag (CLI11 spelling, aliases allowed: "--interval,--time-interval"), environment
// variables (ours first, then the reference mosaicod's names for the same thing), a default, a help text and the
// commands that read it (scope). The CLI (cli_flags.h), the environment and config-file readers (env_compat.h,
// config_file.h), `mosaicod config --show` and the tables in docs/CONFIGURATION.md (settings_docs.h; the unit test
// SettingsDocs.TableInDocsIsTheRegistrys checks the docs) are all built from it.
//
// Precedence, per setting: flag > environment > config file > default (ResolveSettings). Within one level, two
// spellings of one setting (two of its variables, NAME and NAME_FILE, two of its file keys, --x and --x-file) are
// an error naming both. Settings sharing a `group` say the same thing in different units or vocabularies (ours:
// --max-message-mb in MiB; the reference: MOSAICOD_MAX_GRPC_MESSAGE_SIZE in bytes): the member given at the
// highest level wins; two members at the same level are an error. A setting with an `ignored` reason is a
// reference setting without a counterpart here: accepted (and type-checked), then warned about, never applied.
//
// Secrets: Secret::kFileInConfig settings are never read from the config file as text: the file takes only
// `<key>_file`, a path whose content (trailing whitespace dropped) is the value; flags and variables take the
// value itself or, as `<file_flag>` / `<VAR>_FILE`, such a path. Secret::kAlsoFile settings (an access key) take
// both forms everywhere.
//
// Values: flags and variables are text (booleans: 1/0, true/false, yes/no, on/off; an empty variable counts as
// unset); file values must have the TOML type of the setting (an integer is accepted where a float is expected).
// Choices compare case-insensitively and are stored in lower case.
//
// To add a setting (for example the HTTP listener's --http-port / --http-host):
//   1. add the field it sets, with its default, to ServerConfig (src/mosaico/server/server_config.h) -- or to
//      DaemonOptions below when only apps/mosaicod uses it;
//   2. add one row to the table in settings_table.cc, e.g.
//        {.key = "http.port", .flag = "--http-port", .env = {"MOSAICOD_HTTP_PORT"}, .type = SettingType::kInt,
//         .help = "...", .scope = kServe, .min = 0, .max = 65535, .bind = Bind(&ServerConfig::http_port)},
//      (a new section such as [http] needs nothing more: sections are the keys' prefixes);
//   3. regenerate the docs table: `build/mosaicod config --print-table`, pasted over the generated block of
//      docs/CONFIGURATION.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/server/server_config.h"

namespace mosaicod {

class ConfigFile;
class Environment;

// What apps/mosaicod configures: the daemon's ServerConfig plus what only the command line program uses.
struct DaemonOptions {
  mosaico::server::ServerConfig server;
  std::string log_level = "info";     // trace | debug | info | warning | warn | error
  std::string log_format = "plain";   // plain | json | pretty (= plain)
  bool rebuild_if_missing = false;
  std::optional<bool> tls_enabled;    // unset: TLS when certificate and key are both given
  std::string store_endpoint;         // as given; FinishOptions (env_compat.h) turns it into store_uri / store_s3
  std::string store_bucket;
  std::string db_user;                // PostgreSQL catalog credentials (FinishOptions -> libpq_env)
  std::string db_password;
  std::optional<int64_t> target_message_bytes;  // unset: min(4 MiB, half the largest message)
  double cleanup_interval_seconds = 0;          // `cleanup`: 0 runs once
  // Set by FinishOptions: variables libpq reads (PGUSER, PGPASSWORD); main exports them before any catalog opens.
  std::map<std::string, std::string> libpq_env;
};

enum class SettingType { kString, kInt, kFloat, kBool };

// The commands that read a setting (bits).
enum Scope : unsigned {
  kGlobal = 1,   // every command; the flag is accepted before or after the subcommand (logging)
  kStorage = 2,  // every command that opens the catalog and the store
  kServe = 4,    // server (= run)
  kCleanup = 8,  // cleanup
};
inline constexpr unsigned kAllScopes = kGlobal | kStorage | kServe | kCleanup;

enum class Secret { kNone, kAlsoFile, kFileInConfig };

// A parsed, validated value of a setting's type.
struct SettingValue {
  std::string text;      // kString
  int64_t integer = 0;   // kInt
  double number = 0;     // kFloat (and kInt)
  bool boolean = false;  // kBool
};

struct Binding {
  // Stores a validated value into the options. A non-OK status names nothing: the caller prefixes the origin.
  std::function<arrow::Status(const SettingValue&, DaemonOptions*)> apply;
  // The value the options hold, as a flag would spell it ("" for unset); `config --show` and docs defaults.
  std::function<std::string(const DaemonOptions&)> show;
};

struct Setting {
  std::string key;                       // config-file key = the setting's name
  std::vector<std::string> key_aliases;  // further file keys accepted (the reference's other spellings)
  std::string flag;                      // CLI11 names; empty: no flag
  std::vector<std::string> env;          // variables: ours first, then the reference's
  SettingType type = SettingType::kString;
  std::string help;
  unsigned scope = kServe;
  std::string default_text;              // docs/help default when the bound field's value does not say it
  std::vector<std::string> choices;      // kString: the accepted values
  std::optional<double> min;             // kInt / kFloat: inclusive range
  std::optional<double> max;
  bool switch_value = true;              // kBool: the value the flag (it takes no argument) sets
  Secret secret = Secret::kNone;
  std::string file_flag;                 // secrets: the flag naming a file that holds the value
  std::string group;                     // settings saying the same thing (see above)
  std::string ignored;                   // non-empty: a reference setting with no counterpart; why
  std::string unit_note;                 // docs: "bytes", "seconds", ... when the key does not say it
  Binding bind;

  // The file keys this setting accepts (secret forms and aliases included), primary first.
  std::vector<std::string> FileKeys() const;
  // The variables it accepts (NAME_FILE forms of secrets included).
  std::vector<std::string> EnvNames() const;
  // The default as the docs and --help show it.
  std::string DefaultText() const;
};

// Every setting, in docs order.
const std::vector<Setting>& Registry();
const Setting* FindSetting(std::string_view key);

// Where a value came from.
struct Origin {
  enum Level { kDefault = 0, kFile = 1, kEnv = 2, kFlag = 3 };
  Level level = kDefault;
  std::string name;  // "--port", "MOSAICOD_PORT", "server.port in /etc/mosaicod/config.toml (line 3)", "default"
};

// What the command line gave for a setting (cli_flags.h fills it).
struct FlagInput {
  std::string text;
  bool is_path = false;  // the secret's file flag: `text` names the file holding the value
  std::string flag;      // as spelled in the registry ("--store-secret-key-file")
};
struct FlagValues {
  std::map<std::string, std::vector<FlagInput>> by_key;  // setting key -> what was given (two: an error)
};

struct SettingSources {
  const FlagValues* flags = nullptr;  // optional
  const Environment* env = nullptr;   // optional
  const ConfigFile* file = nullptr;   // optional
};

struct ResolvedSetting {
  const Setting* setting = nullptr;
  Origin origin;
  std::string overridden_by;  // a member of its group given at a higher level (this one was not applied)
};

struct Resolution {
  std::vector<ResolvedSetting> settings;  // every setting in scope, registry order
  std::vector<std::string> warnings;      // ignored reference settings: log once logging is set up
  const ResolvedSetting* Find(std::string_view key) const;
  // True when the setting was given (at any level) and applied.
  bool Given(std::string_view key) const;
  // Where `key` came from, for messages ("default" when not given).
  std::string OriginOf(std::string_view key) const;
};

// Resolves every setting whose scope meets `scope` into `options`: flag > environment > config file > default.
// InvalidArgument naming the origin ("MOSAICOD_PORT='x': not an integer", "server.port in FILE (line 3): expected
// an integer, got string") or the two spellings that collide.
arrow::Result<Resolution> ResolveSettings(unsigned scope, const SettingSources& sources, DaemonOptions* options);

// Parses `text` as a value of `setting` (flags, variables, secret files) and validates it.
arrow::Result<SettingValue> ParseSettingText(const Setting& setting, const std::string& text);
// Range and choices of an already typed value; lower-cases choices.
arrow::Status ValidateSettingValue(const Setting& setting, SettingValue* value);

// ---- Bindings: a ServerConfig / DaemonOptions / S3Settings field, converted by the setting's type. ----
std::string FormatNumber(double value);  // shortest text that reads back the same ("64", "0.25", "1e-05")

template <typename Owner>
Owner& OwnerOf(DaemonOptions& o) {
  if constexpr (std::is_same_v<Owner, DaemonOptions>) {
    return o;
  } else if constexpr (std::is_same_v<Owner, mosaico::server::ServerConfig>) {
    return o.server;
  } else {
    static_assert(std::is_same_v<Owner, mosaico::store::S3Settings>);
    return o.server.store_s3;
  }
}
template <typename Owner>
const Owner& OwnerOf(const DaemonOptions& o) {
  return OwnerOf<Owner>(const_cast<DaemonOptions&>(o));
}

template <typename Owner, typename T>
Binding Bind(T Owner::*field) {
  Binding b;
  b.apply = [field](const SettingValue& v, DaemonOptions* o) {
    T& target = OwnerOf<Owner>(*o).*field;
    if constexpr (std::is_same_v<T, std::string>) {
      target = v.text;
    } else if constexpr (std::is_same_v<T, bool>) {
      target = v.boolean;
    } else if constexpr (std::is_floating_point_v<T>) {
      target = static_cast<T>(v.number);
    } else {
      target = static_cast<T>(v.integer);
    }
    return arrow::Status::OK();
  };
  b.show = [field](const DaemonOptions& o) -> std::string {
    const T& value = OwnerOf<Owner>(o).*field;
    if constexpr (std::is_same_v<T, std::string>) {
      return value;
    } else if constexpr (std::is_same_v<T, bool>) {
      return value ? "true" : "false";
    } else {
      return FormatNumber(static_cast<double>(value));
    }
  };
  return b;
}

// A byte count stored in `field`, given in units of `unit_bytes` (1 << 20: MiB; 1: bytes).
Binding BindBytes(int64_t mosaico::server::ServerConfig::*field, double unit_bytes);

}  // namespace mosaicod

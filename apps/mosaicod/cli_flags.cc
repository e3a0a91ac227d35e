#include "cli_flags.h"

namespace mosaicod {
namespace {

std::string FirstName(const std::string& flag) { return flag.substr(0, flag.find(',')); }

std::string TypeName(const Setting& s) {
  if (!s.choices.empty()) {
    std::string out;
    for (const auto& c : s.choices) out += (out.empty() ? "" : "|") + c;
    return out;
  }
  switch (s.type) {
    case SettingType::kInt: return "INT";
    case SettingType::kFloat: return "NUMBER";
    default: return "TEXT";
  }
}

std::string HelpOf(const Setting& s) {
  std::string help = s.help;
  const std::string def = s.DefaultText();
  std::string where;
  if (!def.empty()) where += "default " + def;
  for (const auto& e : s.EnvNames()) where += (where.empty() ? "" : ", ") + e;
  where += (where.empty() ? "" : ", ") + std::string("file: ") + s.FileKeys().front();
  return help + " [" + where + "]";
}

void Add(CLI::App* cmd, const Setting& s, FlagValues* values) {
  const Setting* setting = &s;
  if (!s.flag.empty()) {
    const std::string name = FirstName(s.flag);
    if (s.type == SettingType::kBool) {
      cmd->add_flag_function(
          s.flag,
          [values, setting, name](int64_t) {
            values->by_key[setting->key].push_back({setting->switch_value ? "true" : "false", false, name});
          },
          HelpOf(s));
    } else {
      cmd->add_option_function<std::string>(
             s.flag,
             [values, setting, name](const std::string& text) {
               values->by_key[setting->key].push_back({text, false, name});
             },
             HelpOf(s))
          ->type_name(TypeName(s));
    }
  }
  if (!s.file_flag.empty()) {
    const std::string name = FirstName(s.file_flag);
    cmd->add_option_function<std::string>(
           s.file_flag,
           [values, setting, name](const std::string& path) {
             values->by_key[setting->key].push_back({path, true, name});
           },
           "File holding the value of " + s.key + " (its content, trailing whitespace dropped)")
        ->type_name("FILE");
  }
}

}  // namespace

void AddSettingFlags(CLI::App* cmd, unsigned scope, FlagValues* values) {
  for (const auto& s : Registry()) {
    if ((s.scope & scope) != 0 && (s.scope & kGlobal) == 0) Add(cmd, s, values);
  }
}

void AddGlobalSettingFlags(CLI::App* app, FlagValues* values) {
  for (const auto& s : Registry()) {
    if ((s.scope & kGlobal) != 0) Add(app, s, values);
  }
}

}  // namespace mosaicod

// Text made from the settings registry (settings.h): the tables of docs/CONFIGURATION.md, a commented config.toml,
// and `mosaicod config --show`. `mosaicod config --print-table` prints SettingsDocsBlock(); the unit test
// SettingsDocs.TableInDocsIsTheRegistrys checks that docs/CONFIGURATION.md holds exactly that block between
// kDocsBegin and kDocsEnd.
#pragma once

#include <string>

#include "settings.h"

namespace mosaicod {

inline constexpr char kDocsBegin[] = "<!-- BEGIN generated settings tables: mosaicod config --print-table -->";
inline constexpr char kDocsEnd[] = "<!-- END generated settings tables -->";

// Both Markdown tables (every setting; the reference's settings without a counterpart), with the markers.
std::string SettingsDocsBlock();

// A config.toml with every section and every key commented out at its default (for /etc/mosaicod/config.toml).
std::string SampleConfigToml();

// One line per resolved setting: `key = value  # origin` (secrets shown as "(set)").
std::string ShowSettings(const Resolution& resolution, const DaemonOptions& options);

}  // namespace mosaicod

// The settings registry (settings.h) on the command line (CLI11).
//
//  AddSettingFlags(cmd, scope, values): the flag -- and a secret's file flag -- of every setting whose scope meets
//    `scope`, kGlobal settings excepted, on `cmd`.
//  AddGlobalSettingFlags(app, values): the kGlobal settings' flags on the root app; with app.fallthrough() they
//    are accepted after the subcommand as well (`mosaicod --log-level debug server` = `mosaicod server --log-level
//    debug`).
// A given flag only records its text in `values`: ResolveSettings parses and validates it like a variable or a
// file value, so every source gets the same messages. --help shows each setting's default, variables and file key.
#pragma once

#include <CLI/CLI.hpp>

#include "settings.h"

namespace mosaicod {

void AddSettingFlags(CLI::App* cmd, unsigned scope, FlagValues* values);
void AddGlobalSettingFlags(CLI::App* app, FlagValues* values);

}  // namespace mosaicod

// The console's static files (web/console/ and the plotting library from npm), embedded in the binary at build
// time: CMake's console_assets step (cmake/EmbedAssets.cmake) turns each file into bytes of a generated .cc, so an
// installed daemon serves the console with nothing else on disk.
#pragma once

#include <string_view>

namespace mosaico::console {

struct Asset {
  std::string_view path;          // "index.html", "app.js", "vendor/uPlot.iife.min.js", ...
  std::string_view content_type;  // from the extension
  std::string_view bytes;
};

// The embedded file at `path` (relative, no leading '/'); null when there is none.
const Asset* FindAsset(std::string_view path);

}  // namespace mosaico::console

// docs/CONFIGURATION.md holds the registry's tables; the sample config.toml is a valid config file.
#include "settings_docs.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config_file.h"
#include "test_resolve.h"

namespace mosaicod {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SettingsDocs, TableInDocsIsTheRegistrys) {
  const std::string doc = ReadFile(std::string(MOSAICOD_SOURCE_DIR) + "/docs/CONFIGURATION.md");
  ASSERT_FALSE(doc.empty()) << "docs/CONFIGURATION.md not found";
  const size_t begin = doc.find(kDocsBegin);
  const size_t end = doc.find(kDocsEnd);
  ASSERT_NE(begin, std::string::npos) << "no '" << kDocsBegin << "' in docs/CONFIGURATION.md";
  ASSERT_NE(end, std::string::npos) << "no '" << kDocsEnd << "' in docs/CONFIGURATION.md";
  const std::string in_docs = doc.substr(begin, end + std::string(kDocsEnd).size() + 1 - begin);
  EXPECT_EQ(in_docs, SettingsDocsBlock())
      << "docs/CONFIGURATION.md is out of date: replace its generated block with `mosaicod config --print-table`";
}

TEST(SettingsDocs, EveryRegistryNameIsInTheTable) {
  const std::string block = SettingsDocsBlock();
  for (const auto& s : Registry()) {
    for (const auto& k : s.FileKeys()) EXPECT_NE(block.find("`" + k + "`"), std::string::npos) << k;
    for (const auto& e : s.EnvNames()) EXPECT_NE(block.find("`" + e + "`"), std::string::npos) << e;
  }
}

TEST(SettingsDocs, SampleConfigParsesAndEachExampleLineIsAValidSetting) {
  const std::string sample = SampleConfigToml();
  auto parsed = ConfigFile::Parse(sample, "sample.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // Uncomment every `#key = value` line that carries a value: still a valid file, resolving without error.
  std::stringstream in(sample), out;
  int uncommented = 0;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find(" = ");
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && eq != std::string::npos &&
        line.find("# default:") == std::string::npos && line.find("/run/secrets") == std::string::npos &&
        line.substr(eq + 3) != "\"\"") {
      out << line.substr(1) << "\n";
      ++uncommented;
    } else {
      out << line << "\n";
    }
  }
  EXPECT_GT(uncommented, 20);
  auto full = test_support::Resolve(kAllScopes, {}, {}, out.str());
  ASSERT_TRUE(full.ok()) << test_support::ErrorOf(full) << "\n" << out.str();
  const mosaico::server::ServerConfig defaults;
  EXPECT_EQ(full->options.server.port, defaults.port);
  EXPECT_EQ(full->options.server.chunk_target_bytes, defaults.chunk_target_bytes);
}

}  // namespace
}  // namespace mosaicod

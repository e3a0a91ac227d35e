// Glob patterns of the `$match` operator (the syntax the SDK documents), anchored to the whole text:
//   *  any run of characters (also empty; "**" is the same as "*")   ?  exactly one character
//   #  one ASCII digit   [abc] [a-z0-9]  one character of the class (ranges by code point; no negation)
//   every other character matches itself (there is no escape character).
// Characters are Unicode code points of UTF-8 text (invalid UTF-8 bytes count as one character each). Matching is
// O(|text| * |pattern|) by a set-of-states simulation, no backtracking, so hostile patterns cannot blow up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/result.h>

namespace mosaico {

class Glob {
 public:
  // InvalidArgument naming the pattern for an unclosed '[', an empty class "[]" or a reversed range "[z-a]".
  static arrow::Result<Glob> Compile(std::string_view pattern);
  bool Matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

  struct Token {
    enum class Kind { kStar, kAny, kDigit, kClass, kLiteral } kind = Kind::kLiteral;
    char32_t literal = 0;
    std::vector<std::pair<char32_t, char32_t>> ranges;  // kClass: inclusive ranges (single chars as [c, c])
  };
  // The compiled pattern: code points of the pattern's valid UTF-8 (an invalid byte b as 0x110000 + b, above every
  // code point); never two kStar in a row. For backends that translate it (PostgreSQL).
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  std::string pattern_;
  std::vector<Token> tokens_;
};

}  // namespace mosaico

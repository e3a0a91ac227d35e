// Glob compilation and matching (contract in glob.h).
//
// Text and pattern are decoded with the same strict UTF-8 decoder: a well-formed sequence (no overlong forms, no
// surrogates, nothing above U+10FFFF) is one code point; any other byte is one character of its own, represented
// as kInvalidByteBase + byte so that it can never equal a real code point. Because re-encoding a decoded sequence
// gives back the original bytes, a pattern made only of literals matches exactly the texts equal to it byte for
// byte, which is the fast path of Matches().
#include "mosaico/core/glob.h"

#include <cstddef>

#include "mosaico/core/errors.h"

namespace mosaico {
namespace {

constexpr char32_t kInvalidByteBase = 0x110000;

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Decodes the character starting at text[*pos] and advances *pos past it.
char32_t NextChar(std::string_view text, size_t* pos) {
  const size_t i = *pos;
  const auto b0 = static_cast<unsigned char>(text[i]);
  auto invalid = [&]() {
    *pos = i + 1;
    return static_cast<char32_t>(kInvalidByteBase + b0);
  };
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return invalid();
  }
  if (i + len > text.size()) return invalid();
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if (b1 < lo || b1 > hi) return invalid();
  for (size_t k = 2; k < len; ++k) {
    if (!IsContinuation(static_cast<unsigned char>(text[i + k]))) return invalid();
  }
  char32_t cp = b0 & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  *pos = i + len;
  return cp;
}

bool TokenAccepts(const Glob::Token& token, char32_t c) {
  switch (token.kind) {
    case Glob::Token::Kind::kAny:
      return true;
    case Glob::Token::Kind::kDigit:
      return c >= U'0' && c <= U'9';
    case Glob::Token::Kind::kLiteral:
      return c == token.literal;
    case Glob::Token::Kind::kClass:
      for (const auto& [first, last] : token.ranges) {
        if (c >= first && c <= last) return true;
      }
      return false;
    case Glob::Token::Kind::kStar:
      return true;
  }
  return false;
}

}  // namespace

arrow::Result<Glob> Glob::Compile(std::string_view pattern) {
  Glob glob;
  glob.pattern_ = std::string(pattern);
  auto error = [&](const std::string& why) {
    return InvalidArgument("invalid $match pattern '" + std::string(pattern) + "': " + why);
  };
  size_t pos = 0;
  while (pos < pattern.size()) {
    const char32_t c = NextChar(pattern, &pos);
    Token token;
    if (c == U'*') {
      if (!glob.tokens_.empty() && glob.tokens_.back().kind == Token::Kind::kStar) continue;  // "**" == "*"
      token.kind = Token::Kind::kStar;
    } else if (c == U'?') {
      token.kind = Token::Kind::kAny;
    } else if (c == U'#') {
      token.kind = Token::Kind::kDigit;
    } else if (c == U'[') {
      token.kind = Token::Kind::kClass;
      bool closed = false;
      while (pos < pattern.size()) {
        const char32_t first = NextChar(pattern, &pos);
        if (first == U']') {
          if (token.ranges.empty()) return error("empty character class '[]'");
          closed = true;
          break;
        }
        // "x-y" is a range unless the '-' is the last character of the class ("[a-]" holds 'a' and '-').
        size_t after_dash = pos;
        if (pos < pattern.size() && pattern[pos] == '-' && pos + 1 < pattern.size() && pattern[pos + 1] != ']') {
          after_dash = pos + 1;
          const char32_t last = NextChar(pattern, &after_dash);
          if (last < first) return error("reversed range in character class");
          token.ranges.emplace_back(first, last);
          pos = after_dash;
        } else {
          token.ranges.emplace_back(first, first);
        }
      }
      if (!closed) return error("unclosed '['");
    } else {
      token.kind = Token::Kind::kLiteral;
      token.literal = c;
    }
    glob.tokens_.push_back(std::move(token));
  }
  return glob;
}

bool Glob::Matches(std::string_view text) const {
  bool only_literals = true;
  for (const Token& token : tokens_) only_literals = only_literals && token.kind == Token::Kind::kLiteral;
  if (only_literals) return text == pattern_;

  // Set-of-states simulation: state i means "tokens [0, i) have consumed the text read so far". A star at i
  // also lets state i pass to i + 1 without consuming (stars are never adjacent, so one step closes the set).
  const size_t m = tokens_.size();
  std::vector<char> current(m + 1, 0), next(m + 1, 0);
  auto close = [&](std::vector<char>& states) {
    for (size_t i = 0; i < m; ++i) {
      if (states[i] && tokens_[i].kind == Token::Kind::kStar) states[i + 1] = 1;
    }
  };
  current[0] = 1;
  close(current);
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t c = NextChar(text, &pos);
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (size_t i = 0; i < m; ++i) {
      if (!current[i]) continue;
      if (tokens_[i].kind == Token::Kind::kStar) {
        next[i] = 1;
        any = true;
      } else if (TokenAccepts(tokens_[i], c)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    current.swap(next);
  }
  return current[m] != 0;
}

}  // namespace mosaico

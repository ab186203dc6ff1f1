#include "keel/model/utf8.hpp"

#include <gtest/gtest.h>

namespace keel::model {
namespace {

TEST(Utf8Length, CountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("ééé"), 3u);               // 2 bytes each
  EXPECT_EQ(utf8_length("€"), 1u);                 // 3 bytes
  EXPECT_EQ(utf8_length("😀a"), 2u);                // 4 bytes + 1
  EXPECT_EQ(utf8_length("\xF4\x8F\xBF\xBF"), 1u);  // U+10FFFF, the last code point
}

TEST(Utf8Length, RejectsMalformedSequences) {
  EXPECT_FALSE(utf8_length("\xFF"));              // never valid
  EXPECT_FALSE(utf8_length("\x80"));              // lone continuation byte
  EXPECT_FALSE(utf8_length("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(utf8_length("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(utf8_length("\xED\xA0\x80"));      // UTF-16 surrogate U+D800
  EXPECT_FALSE(utf8_length("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(utf8_length("ok\xE2\x82"));        // truncated at the end
  EXPECT_FALSE(utf8_length("\xE2\x28\xA1"));      // bad continuation
}

TEST(Utf8Excerpt, KeepsShortTextAndCutsLongTextOnABoundary) {
  EXPECT_EQ(utf8_excerpt("short", 64), "short");
  EXPECT_EQ(utf8_excerpt("abcdef", 4), "abcd\u2026");
  // "é" is two bytes: a 3-byte budget keeps one "é", never half of the next.
  EXPECT_EQ(utf8_excerpt("ééé", 3), "é\u2026");
  EXPECT_EQ(utf8_excerpt("a\xFF", 64), "\uFFFD");
}

}  // namespace
}  // namespace keel::model

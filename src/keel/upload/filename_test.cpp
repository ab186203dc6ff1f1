#include "keel/upload/filename.hpp"

#include <gtest/gtest.h>

namespace keel::upload {
namespace {

using namespace std::string_literals;

TEST(SanitizeFilename, KeepsOnlyTheLastPathSegment) {
  EXPECT_EQ(sanitize_filename("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_filename("C:\\x\\y.png"), "y.png");
  EXPECT_EQ(sanitize_filename("/abs/dir/"), "file");
  EXPECT_EQ(sanitize_filename(".."), "file");
  EXPECT_EQ(sanitize_filename("photo.png"), "photo.png");
}

TEST(SanitizeFilename, DropsControlCharactersQuotesAndBidiOverrides) {
  EXPECT_EQ(sanitize_filename("a\r\nb.png"), "ab.png");
  EXPECT_EQ(sanitize_filename("a\0b\x7f\tc.txt"s), "abc.txt");
  EXPECT_EQ(sanitize_filename("\"quoted\".pdf"), "quoted.pdf");
  EXPECT_EQ(sanitize_filename("x\xC2\x85y.txt"), "xy.txt");                      // C1 NEL
  EXPECT_EQ(sanitize_filename("invoice\xE2\x80\xAEgnp.exe"), "invoicegnp.exe");  // U+202E
}

TEST(SanitizeFilename, TrimsDotsAndSpacesAndNeverReturnsEmpty) {
  EXPECT_EQ(sanitize_filename("  .hidden.txt. "), "hidden.txt");
  EXPECT_EQ(sanitize_filename(""), "file");
  EXPECT_EQ(sanitize_filename("\r\n"), "file");
  EXPECT_EQ(sanitize_filename(" . . "), "file");
}

TEST(SanitizeFilename, RepairsInvalidUtf8) {
  EXPECT_EQ(sanitize_filename("na\xC3\xAFve.txt"), "na\xC3\xAFve.txt");  // valid: kept
  EXPECT_EQ(sanitize_filename("a\xFF"
                              "b.txt"),
            "a\xEF\xBF\xBD"
            "b.txt");
  EXPECT_EQ(sanitize_filename("a\xC0\xAF"
                              "b.txt"),
            "a\xEF\xBF\xBD"
            "b.txt");  // overlong '/'
  EXPECT_EQ(sanitize_filename("a\xED\xA0\x80"
                              "b.txt"),
            "a\xEF\xBF\xBD"
            "b.txt");  // surrogate
  EXPECT_EQ(sanitize_filename("cut\xE2\x82"), "cut\xEF\xBF\xBD");
}

TEST(SanitizeFilename, CapsLengthOnACodePointBoundaryKeepingTheExtension) {
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "\xC3\xA9";  // 400 bytes of é
  const std::string capped = sanitize_filename(long_name + ".png");
  EXPECT_LE(capped.size(), kMaxFilenameBytes);
  EXPECT_GE(capped.size(), kMaxFilenameBytes - 1);
  EXPECT_TRUE(capped.ends_with("\xC3\xA9.png")) << capped;  // whole code points, extension kept
  const std::string no_extension = sanitize_filename(std::string(300, 'a'));
  EXPECT_EQ(no_extension, std::string(kMaxFilenameBytes, 'a'));
}

TEST(FileExtension, IsLowerCaseAfterTheLastDot) {
  EXPECT_EQ(file_extension("a.tar.GZ"), "gz");
  EXPECT_EQ(file_extension("README"), "");
  EXPECT_EQ(file_extension(".png"), "");
  EXPECT_EQ(file_extension("x."), "");
}

TEST(ContentDisposition, CarriesAnAsciiFallbackAndTheUtf8Name) {
  EXPECT_EQ(content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  EXPECT_EQ(content_disposition("na\xC3\xAFve 100%.txt"),
            "attachment; filename=\"na_ve 100_.txt\"; filename*=UTF-8''na%C3%AFve%20100%25.txt");
  EXPECT_EQ(content_disposition("\xE2\x82\xAC\xE2\x82\xAC.txt"),
            "attachment; filename=\"__.txt\"; filename*=UTF-8''%E2%82%AC%E2%82%AC.txt");
  EXPECT_EQ(content_disposition("a;b'c.txt"),
            "attachment; filename=\"a;b'c.txt\"; filename*=UTF-8''a%3Bb%27c.txt");
}

}  // namespace
}  // namespace keel::upload

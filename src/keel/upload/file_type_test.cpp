#include "keel/upload/file_type.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace keel::upload {
namespace {

using namespace std::string_literals;

const std::vector<std::string> kAllowed{"image/png",  "image/jpeg",      "image/gif",
                                        "image/webp", "application/pdf", "text/plain"};

// Minimal valid files, byte for byte.
const std::string kPng =
    "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"
    "\0\0\0\x0aIDATx\x9c\x63\0\x01\0\0\x05\0\x01\x0d\x0a\x2d\xb4\0\0\0\0IEND\xae\x42\x60\x82"s;
const std::string kJpeg = "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xdb\0\x43\0"s +
                          std::string(64, '\x01') + "\xff\xd9"s;
const std::string kGif =
    "GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0"
    "\x02\x02\x44\x01\0;"s;
const std::string kWebp = "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0"s;
const std::string kPdf =
    "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const std::string kText = "Shopping list\nmilk\neggs\n";
const std::string kHtml =
    "<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script>"
    "</body></html>\n";

TEST(SniffMediaType, ReadsMagicBytes) {
  EXPECT_EQ(sniff_media_type(kPng), "image/png");
  EXPECT_EQ(sniff_media_type(kJpeg), "image/jpeg");
  EXPECT_EQ(sniff_media_type(kGif), "image/gif");
  EXPECT_EQ(sniff_media_type(kWebp), "image/webp");
  EXPECT_EQ(sniff_media_type(kPdf), "application/pdf");
  EXPECT_EQ(sniff_media_type(kText), "text/plain");
  EXPECT_EQ(sniff_media_type(kHtml), "text/html");
}

TEST(SniffMediaType, WorksFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> seen(4);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 20; ++round) seen[i] = sniff_media_type(i % 2 == 0 ? kPng : kPdf);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"image/png", "application/pdf", "image/png", "application/pdf"}));
}

TypeVerdict check(std::string_view declared, std::string_view filename, std::string_view content) {
  return check_file_type(declared, filename, sniff_media_type(content), kAllowed);
}

TEST(CheckFileType, AcceptsAgreeingTypeExtensionAndContent) {
  EXPECT_TRUE(check("image/png", "a.PNG", kPng).ok());
  EXPECT_TRUE(check("image/jpeg", "a.jpg", kJpeg).ok());
  EXPECT_TRUE(check("image/jpeg", "a.jpeg", kJpeg).ok());
  EXPECT_TRUE(check("image/gif", "a.gif", kGif).ok());
  EXPECT_TRUE(check("image/webp", "a.webp", kWebp).ok());
  EXPECT_TRUE(check("application/pdf", "a.pdf", kPdf).ok());
  EXPECT_TRUE(check("text/plain", "a.txt", kText).ok());
  EXPECT_TRUE(check("text/plain", "empty.txt", "").ok());
  const auto verdict = check("Image/PNG; charset=binary", "C:\\dir\\a.png", kPng);
  EXPECT_TRUE(verdict.ok()) << verdict.detail;
  EXPECT_EQ(verdict.media_type, "image/png");
}

TEST(CheckFileType, RefusesHtmlDeclaredAsPng) {
  const auto verdict = check("image/png", "cat.png", kHtml);
  EXPECT_EQ(verdict.problem, TypeProblem::content_mismatch);
  EXPECT_EQ(verdict.detail, "The file's content is not image/png.");
}

TEST(CheckFileType, RefusesMismatches) {
  EXPECT_EQ(check("image/png", "a.png", kJpeg).problem, TypeProblem::content_mismatch);
  EXPECT_EQ(check("image/png", "a.jpg", kPng).problem, TypeProblem::extension_mismatch);
  EXPECT_EQ(check("image/png", "png", kPng).problem, TypeProblem::extension_mismatch);
  EXPECT_EQ(check("text/plain", "page.txt", kHtml).problem, TypeProblem::content_mismatch);
  EXPECT_EQ(check("text/plain", "a.txt", kPng).problem, TypeProblem::content_mismatch);
  EXPECT_EQ(check("text/html", "page.html", kHtml).problem, TypeProblem::not_allowed);
  EXPECT_EQ(check("", "a.png", kPng).problem, TypeProblem::not_allowed);
}

TEST(CheckFileType, TextPlainAcceptsTextLikeSniffsButNotMarkupOrScripts) {
  const auto plain = [](std::string_view sniffed) {
    return check_file_type("text/plain", "notes.txt", sniffed, kAllowed).ok();
  };
  EXPECT_TRUE(plain("text/plain"));
  EXPECT_TRUE(plain("text/x-c"));
  EXPECT_TRUE(plain("text/csv"));
  EXPECT_TRUE(plain("application/x-empty"));
  EXPECT_FALSE(plain("text/html"));
  EXPECT_FALSE(plain("text/xml"));
  EXPECT_FALSE(plain("text/x-shellscript"));
  EXPECT_FALSE(plain("text/x-php"));
  EXPECT_FALSE(plain("application/octet-stream"));
  EXPECT_FALSE(plain(""));
}

TEST(CheckFileType, AnAllowedTypeWithoutRulesNeedsAnExactSniff) {
  const std::vector<std::string> allowed{"application/zip"};
  EXPECT_TRUE(check_file_type("application/zip", "a.bin", "application/zip", allowed).ok());
  EXPECT_EQ(check_file_type("application/zip", "a.zip", "text/plain", allowed).problem,
            TypeProblem::content_mismatch);
}

TEST(VerifyFileType, SniffsTheUploadedHead) {
  UploadedFile file;
  file.filename = "shot.png";
  file.content_type = "image/png";
  file.head = kPng;
  EXPECT_TRUE(verify_file_type(file, kAllowed).ok());
  file.head = kHtml;
  EXPECT_EQ(verify_file_type(file, kAllowed).problem, TypeProblem::content_mismatch);
}

}  // namespace
}  // namespace keel::upload

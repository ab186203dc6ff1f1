#include "keel/upload/multipart.hpp"

#include <openssl/evp.h>

#include <array>
#include <sstream>

#include <gtest/gtest.h>

#include "keel/upload/test_dir.hpp"

namespace keel::upload {
namespace {

using namespace std::string_literals;
using testing::slurp;
using testing::TestDir;

constexpr std::string_view kContentType = "multipart/form-data; boundary=BOUND";

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), hash.data(), &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[hash[i] >> 4]);
    hex.push_back(kDigits[hash[i] & 0x0f]);
  }
  return hex;
}

// tricky_content holds bytes that look almost like the delimiter, and enough
// bulk that 64 KiB pieces split it.
std::string tricky_content() {
  std::string content = "\x89PNG\r\n\x1a\n"s;
  content += "\r\n--BOUN";         // a delimiter prefix
  content += "--BOUND in a line";  // the boundary without the CRLF before it
  content += "\r\n--BOUNDX";       // the delimiter followed by a boundary character
  content += "\r\n--BOUND-x";      // one dash is not the close delimiter
  content += "\r\n--BOUND\rx";     // CR without LF
  content += "\r--BOUND\n";
  content += std::string(1, '\0') + "\r\n\r\n";
  for (std::size_t i = 0; i < 100000; ++i) content.push_back(static_cast<char>((i * 31 + i / 97) & 0xff));
  content += "\r\n-";  // ends next to the real delimiter
  return content;
}

std::string form_body(std::string_view content) {
  return "This preamble is ignored.\r\n"
         "--BOUND\r\n"
         "Content-Disposition: form-data; name=\"title\"\r\n"
         "\r\n"
         "My title\r\n"
         "--BOUND\r\n"
         "content-disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\n"
         "Content-Type: Image/PNG; charset=binary\r\n"
         "\r\n" +
         std::string(content) +
         "\r\n--BOUND\r\n"
         "Content-Disposition: form-data; name=\"note\"\r\n"
         "\r\n"
         "\r\n"
         "--BOUND--\r\n"
         "The epilogue is ignored too, even --BOUND\r\n";
}

MultipartResult parse_in_pieces(std::string_view body, std::size_t piece, const MultipartOptions& options) {
  MultipartReader reader("BOUND", options);
  for (std::size_t pos = 0; pos < body.size(); pos += piece) reader.feed(body.substr(pos, piece));
  return reader.finish();
}

TEST(MultipartReader, SplitsTheSameBodyIdenticallyWhereverPiecesEnd) {
  TestDir dir;
  const std::string content = tricky_content();
  const std::string body = form_body(content);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{65536}, body.size()}) {
    SCOPED_TRACE("piece size " + std::to_string(piece));
    auto result = parse_in_pieces(body, piece, {.dest_dir = dir.path()});
    ASSERT_TRUE(result.ok()) << result.detail;
    ASSERT_TRUE(result.file);
    EXPECT_EQ(result.file->filename, "photo.png");
    EXPECT_EQ(result.file->content_type, "image/png");
    EXPECT_EQ(result.file->size, content.size());
    EXPECT_EQ(result.file->sha256, sha256_hex(content));
    EXPECT_TRUE(result.file->head == content.substr(0, kSniffBytes));
    EXPECT_EQ(result.file->file.path().rfind(dir.path() + "/.upload-", 0), 0u);
    EXPECT_TRUE(slurp(result.file->file.path()) == content) << "file bytes differ";
    EXPECT_EQ(result.field("title"), "My title");
    EXPECT_EQ(result.field("note"), "");
    EXPECT_EQ(result.fields.size(), 2u);
  }
  EXPECT_TRUE(dir.entries().empty());  // every temp file went with its result
}

TEST(MultipartReader, HashesAKnownVector) {
  TestDir dir;
  const std::string body =
      "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc\r\n--BOUND--";
  auto result = parse_in_pieces(body, 3, {.dest_dir = dir.path()});
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.file->sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(result.file->content_type, "");  // none declared
}

TEST(MultipartReader, AcceptsPaddingAfterADelimiterAndAnEmptyFile) {
  TestDir dir;
  const std::string body =
      "--BOUND \t\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.txt\"\r\n\r\n\r\n--BOUND--";
  auto result = parse_in_pieces(body, 1, {.dest_dir = dir.path()});
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.file->size, 0u);
  EXPECT_EQ(result.file->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MultipartReader, DecodesAnExtendedFilename) {
  TestDir dir;
  const std::string body =
      "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fallback.txt\"; "
      "filename*=UTF-8''na%C3%AFve%20file.txt\r\n\r\nx\r\n--BOUND--";
  auto result = parse_in_pieces(body, 64, {.dest_dir = dir.path()});
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.file->filename, "na\xC3\xAFve file.txt");
}

TEST(MultipartReader, KeepsBackslashesOfWindowsPaths) {
  TestDir dir;
  const std::string body =
      "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\x\\y \\\"q\\\".png\"\r\n\r\n"
      "x\r\n--BOUND--";
  auto result = parse_in_pieces(body, 64, {.dest_dir = dir.path()});
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.file->filename, "C:\\x\\y \"q\".png");
}

struct Refusal {
  std::string name;
  std::string body;
  MultipartError error;
  MultipartOptions options;
};

TEST(MultipartReader, RefusesBrokenFormsAndLeavesNoFile) {
  TestDir dir;
  const std::string file_head =
      "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n";
  const MultipartOptions base{.dest_dir = dir.path()};
  MultipartOptions small_file = base;
  small_file.max_file_bytes = 10;
  MultipartOptions two_fields = base;
  two_fields.max_fields = 1;
  const std::vector<Refusal> cases{
      {"no delimiter at all", "just text", MultipartError::malformed, base},
      {"empty body", "", MultipartError::malformed, base},
      {"truncated in the content", file_head + std::string(5000, 'x'), MultipartError::truncated, base},
      {"truncated in a delimiter", file_head + "xyz\r\n--BOU", MultipartError::truncated, base},
      {"truncated after a delimiter", file_head + "xyz\r\n--BOUND", MultipartError::truncated, base},
      {"truncated in headers", "--BOUND\r\nContent-Disposition: form-da", MultipartError::truncated, base},
      {"no close delimiter", file_head + "xyz\r\n--BOUND\r\n", MultipartError::truncated, base},
      {"no disposition", "--BOUND\r\nContent-Type: text/plain\r\n\r\nx\r\n--BOUND--",
       MultipartError::malformed, base},
      {"header without colon", "--BOUND\r\nnonsense\r\n\r\nx\r\n--BOUND--", MultipartError::malformed, base},
      {"headers too large", "--BOUND\r\nX-Pad: " + std::string(9000, 'p') + "\r\n\r\nx\r\n--BOUND--",
       MultipartError::part_headers_too_large, base},
      {"garbage after padding", file_head + "x\r\n--BOUND  oops\r\n--BOUND--", MultipartError::malformed,
       base},
      {"no file part", "--BOUND\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhi\r\n--BOUND--",
       MultipartError::missing_file, base},
      {"two files", file_head + "one\r\n" + file_head + "two\r\n--BOUND--", MultipartError::too_many_files,
       base},
      {"file under another name",
       file_head +
           "one\r\n--BOUND\r\nContent-Disposition: form-data; name=\"other\"; filename=\"b.png\"\r\n\r\n"
           "two\r\n--BOUND--",
       MultipartError::unexpected_file, base},
      {"field too large",
       "--BOUND\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n" + std::string(9000, 'f') +
           "\r\n--BOUND--",
       MultipartError::field_too_large, base},
      {"too many fields",
       "--BOUND\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
       "--BOUND\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--BOUND--",
       MultipartError::too_many_fields, two_fields},
      {"file too large", file_head + std::string(11, 'x') + "\r\n--BOUND--", MultipartError::file_too_large,
       small_file},
  };
  for (const auto& refusal : cases) {
    for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{65536}}) {
      SCOPED_TRACE(refusal.name + ", piece size " + std::to_string(piece));
      auto result = parse_in_pieces(refusal.body, piece, refusal.options);
      EXPECT_EQ(result.error, refusal.error) << result.detail;
      EXPECT_FALSE(result.file);
      EXPECT_FALSE(result.detail.empty());
      EXPECT_TRUE(dir.entries().empty());
    }
  }
}

TEST(MultipartReader, ATempDirThatCannotBeWrittenIsAnIoError) {
  auto result = parse_in_pieces(form_body("x"), 64, {.dest_dir = "/nonexistent/keel"});
  EXPECT_EQ(result.error, MultipartError::io_error);
  EXPECT_EQ(error_code(result.error), errors::ErrorCode::internal_error);
}

TEST(MultipartBoundary, FollowsRfc2046) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc").boundary, "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;boundary=\"a b:c?\"; charset=utf-8").boundary, "a b:c?");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=x").boundary, "x");
  EXPECT_EQ(multipart_boundary(std::string("multipart/form-data; boundary=") + std::string(70, 'b')).boundary,
            std::string(70, 'b'));
  EXPECT_EQ(multipart_boundary("application/json").error, MultipartError::not_multipart);
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=x").error, MultipartError::not_multipart);
  EXPECT_EQ(multipart_boundary("multipart/form-data").error, MultipartError::bad_boundary);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=").error, MultipartError::bad_boundary);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"x\r\n\"").error,
            MultipartError::bad_boundary);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"ends \"").error,
            MultipartError::bad_boundary);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"open").error, MultipartError::bad_boundary);
  EXPECT_EQ(multipart_boundary(std::string("multipart/form-data; boundary=") + std::string(71, 'b')).error,
            MultipartError::bad_boundary);
}

TEST(MultipartErrors, MapOntoTheErrorTable) {
  EXPECT_EQ(error_code(MultipartError::not_multipart), errors::ErrorCode::unsupported_media_type);
  EXPECT_EQ(error_code(MultipartError::missing_file), errors::ErrorCode::validation_error);
  EXPECT_EQ(error_code(MultipartError::file_too_large), errors::ErrorCode::payload_too_large);
  EXPECT_EQ(error_code(MultipartError::truncated), errors::ErrorCode::bad_request);
}

http::Request multipart_request(std::string body) {
  http::Request request;
  request.headers.set("Content-Type", std::string(kContentType));
  request.body = std::move(body);
  return request;
}

TEST(ReadMultipart, ReadsASpooledBodyFile) {
  TestDir dir;
  const std::string content = tricky_content();
  auto spooled = http::SpooledFile::create(dir.path(), ".spool-");
  ASSERT_TRUE(spooled);
  const std::string body = form_body(content);
  ASSERT_TRUE(spooled->append(body.data(), body.size()));
  spooled->finish_writing();
  http::Request request = multipart_request("");
  request.body_file = std::make_shared<http::SpooledFile>(std::move(*spooled));

  auto result = read_multipart(request, {.dest_dir = dir.path(), .chunk_size = 4096});
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.file->sha256, sha256_hex(content));
  EXPECT_EQ(dir.entries().size(), 2u);  // the spool and the extracted file
  result.file.reset();
  request.body_file.reset();
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ReadMultipart, ReadsAnInMemoryBodyAndAStream) {
  TestDir dir;
  auto from_request = read_multipart(multipart_request(form_body("hello")), {.dest_dir = dir.path()});
  ASSERT_TRUE(from_request.ok()) << from_request.detail;
  EXPECT_EQ(slurp(from_request.file->file.path()), "hello");

  std::istringstream stream(form_body("stream"));
  auto from_stream = read_multipart(stream, kContentType, {.dest_dir = dir.path(), .chunk_size = 5});
  ASSERT_TRUE(from_stream.ok()) << from_stream.detail;
  EXPECT_EQ(slurp(from_stream.file->file.path()), "stream");

  http::Request json = multipart_request("{}");
  json.headers.set("Content-Type", "application/json");
  EXPECT_EQ(read_multipart(json, {.dest_dir = dir.path()}).error, MultipartError::not_multipart);
}

}  // namespace
}  // namespace keel::upload

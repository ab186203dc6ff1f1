#include "keel/upload/storage.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "keel/errors/api_error.hpp"
#include "keel/upload/download.hpp"
#include "keel/upload/multipart.hpp"
#include "keel/upload/test_dir.hpp"

namespace keel::upload {
namespace {

using testing::slurp;
using testing::TestDir;

http::SpooledFile temp_with(const std::string& dir, std::string_view content) {
  auto temp = http::SpooledFile::create(dir, ".upload-");
  if (!temp) throw std::runtime_error(temp.error);
  temp->append(content.data(), content.size());
  return std::move(*temp.file);
}

TEST(SpooledFile, IsPrivateAndRemovedUnlessReleased) {
  TestDir dir;
  std::string kept;
  {
    auto temp = temp_with(dir.path(), "abc");
    EXPECT_EQ(temp.size(), 3u);
    struct stat info {};
    ASSERT_EQ(::stat(temp.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    auto moved = std::move(temp);
    EXPECT_TRUE(temp.empty());
    EXPECT_EQ(slurp(moved.path()), "abc");
    auto released = temp_with(dir.path(), "keep");
    kept = released.release();
    EXPECT_TRUE(released.empty());
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{std::filesystem::path(kept).filename().string()}));
  EXPECT_FALSE(http::SpooledFile::create("/nonexistent/keel", ".x-"));
}

TEST(Storage, CommitsUnderAGeneratedNameAndOpensAndRemoves) {
  TestDir dir;
  Storage storage(dir.path() + "/nested/uploads");
  ASSERT_EQ(storage.ensure_directory(), std::nullopt);
  auto temp = temp_with(storage.dir(), "stored bytes");
  const auto name = storage.commit(temp);
  ASSERT_TRUE(name);
  EXPECT_TRUE(Storage::is_stored_name(*name)) << *name;
  EXPECT_TRUE(temp.empty());  // released: the stored file stays
  EXPECT_EQ(slurp(storage.dir() + "/" + *name), "stored bytes");

  auto opened = storage.open(*name);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->size(), 12u);
  EXPECT_TRUE(storage.remove(*name));
  EXPECT_FALSE(storage.open(*name));
  EXPECT_FALSE(storage.remove(*name));
}

TEST(Storage, RefusesNamesItDidNotGenerate) {
  TestDir dir;
  Storage storage(dir.path());
  { std::ofstream(dir.path() + "/passwd") << "x"; }
  EXPECT_FALSE(storage.open("passwd"));
  EXPECT_FALSE(storage.open("../" + std::filesystem::path(dir.path()).filename().string() + "/passwd"));
  EXPECT_FALSE(storage.remove("passwd"));
  EXPECT_FALSE(Storage::is_stored_name("0123456789abcdef0123456789ABCDEF"));
  EXPECT_TRUE(Storage::is_stored_name("0123456789abcdef0123456789abcdef"));
}

TEST(Storage, SweepsOnlyStaleTemporaries) {
  TestDir dir;
  Storage storage(dir.path());
  auto stale = temp_with(dir.path(), "old");
  const std::string stale_path = stale.release();
  std::filesystem::last_write_time(stale_path,
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
  auto fresh = temp_with(dir.path(), "new");
  auto stored = temp_with(dir.path(), "kept");
  const auto name = storage.commit(stored);
  ASSERT_TRUE(name);
  std::filesystem::last_write_time(dir.path() + "/" + *name,
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));

  EXPECT_EQ(storage.remove_stale_temporaries(std::chrono::hours(1)), 1u);
  EXPECT_FALSE(std::filesystem::exists(stale_path));
  EXPECT_TRUE(std::filesystem::exists(fresh.path()));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/" + *name));
}

// Download responses.
class FileResponse : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = temp_with(dir_.path(), "0123456789");
    name_ = *storage_.commit(temp);
  }

  http::Response answer(std::vector<std::pair<std::string, std::string>> headers) {
    http::Request request;
    for (auto& [key, value] : headers) request.headers.add(key, value);
    return file_response(request, *storage_.open(name_),
                         {"image/png", "na\xC3\xAFve.png", strong_etag("abc")});
  }

  TestDir dir_;
  Storage storage_{dir_.path()};
  std::string name_;
};

std::string read_range(const http::Response& response) {
  std::string bytes(response.body_file->length(), '\0');
  const auto got = ::pread(response.body_file->fd(), bytes.data(), bytes.size(),
                           static_cast<off_t>(response.body_file->offset()));
  bytes.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
  return bytes;
}

TEST_F(FileResponse, SendsTheWholeFileWithDownloadHeaders) {
  const auto response = answer({});
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(response.body_file);
  EXPECT_EQ(response.body_size(), 10u);
  EXPECT_EQ(read_range(response), "0123456789");
  EXPECT_EQ(response.headers.get("Content-Type"), "image/png");
  EXPECT_EQ(response.headers.get("Content-Disposition"),
            "attachment; filename=\"na_ve.png\"; filename*=UTF-8''na%C3%AFve.png");
  EXPECT_EQ(response.headers.get("ETag"), "\"abc\"");
  EXPECT_EQ(response.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.headers.get("Accept-Ranges"), "bytes");
  EXPECT_FALSE(response.headers.contains("Content-Range"));
}

TEST_F(FileResponse, SendsOneRangeAs206) {
  const auto response = answer({{"Range", "bytes=2-4"}});
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(read_range(response), "234");
  EXPECT_EQ(response.headers.get("Content-Range"), "bytes 2-4/10");
  const auto suffix = answer({{"Range", "bytes=-3"}, {"If-Range", "\"abc\""}});
  EXPECT_EQ(suffix.status, 206);
  EXPECT_EQ(read_range(suffix), "789");
}

TEST_F(FileResponse, IgnoresTheRangeWhenIfRangeNamesAnotherVersion) {
  const auto response = answer({{"Range", "bytes=2-4"}, {"If-Range", "\"old\""}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body_size(), 10u);
}

TEST_F(FileResponse, UnsatisfiableRangeIs416WithTheSize) {
  try {
    answer({{"Range", "bytes=10-"}});
    FAIL() << "no ApiError";
  } catch (const errors::ApiError& error) {
    EXPECT_EQ(error.code(), errors::ErrorCode::range_not_satisfiable);
    EXPECT_EQ(errors::info(error.code()).status, 416);
    ASSERT_EQ(error.headers().size(), 1u);
    EXPECT_EQ(error.headers()[0], (std::pair<std::string, std::string>{"Content-Range", "bytes */10"}));
  }
}

TEST_F(FileResponse, MatchingIfNoneMatchIs304) {
  const auto response = answer({{"If-None-Match", "\"zzz\", W/\"abc\""}});
  EXPECT_EQ(response.status, 304);
  EXPECT_FALSE(response.body_file);
  EXPECT_EQ(response.headers.get("ETag"), "\"abc\"");
  EXPECT_EQ(answer({{"If-None-Match", "\"zzz\""}}).status, 200);
}

}  // namespace
}  // namespace keel::upload

namespace keel::upload {
namespace {

// The attachment route's whole path: a parsed multipart file part is committed
// as is (the parser leaves its file open for Storage::commit to flush and close).
TEST(Storage, CommitsTheFileAMultipartParseProduced) {
  testing::TestDir dir;
  const std::string body =
      "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\nhello, disk\r\n--b0undary--\r\n";
  std::istringstream stream(body);
  auto parsed = read_multipart(stream, "multipart/form-data; boundary=b0undary", {.dest_dir = dir.path()});
  ASSERT_TRUE(parsed.ok()) << parsed.detail;
  Storage storage(dir.path());
  const auto name = storage.commit(parsed.file->file);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(testing::slurp(dir.path() + "/" + *name), "hello, disk");
  EXPECT_EQ(parsed.file->size, 11u);
}

}  // namespace
}  // namespace keel::upload

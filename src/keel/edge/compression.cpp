#include "keel/edge/compression.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>

#include "keel/http/headers.hpp"

namespace keel::edge {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
constexpr int kMemLevel = 8;
constexpr std::size_t kInflateChunk = 16 * 1024;

// q_is_zero reads the parameters after a coding (";q=0.5;x=y") and says
// whether they set q to zero ("q=0", "q=0.000"). A malformed q counts as non-zero.
bool q_is_zero(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const std::string_view parameter = http::trim_whitespace(parameters.substr(0, semicolon));
    parameters.remove_prefix(semicolon == std::string_view::npos ? parameters.size() : semicolon + 1);
    if (parameter.size() < 3 || (parameter[0] != 'q' && parameter[0] != 'Q') || parameter[1] != '=') continue;
    const std::string_view value = http::trim_whitespace(parameter.substr(2));
    if (value.empty() || value[0] != '0') return false;
    return value.find_first_not_of("0.", 1) == std::string_view::npos;
  }
  return false;
}

// Deflater keeps one zlib deflate state per thread: deflateInit allocates
// about 256 KiB, which would otherwise be paid on every compressed response.
class Deflater {
 public:
  Deflater() = default;
  ~Deflater() {
    if (level_ >= 0) deflateEnd(&stream_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  std::optional<std::string> compress(std::string_view data, int level) {
    if (data.size() > UINT_MAX) return std::nullopt;
    if (level != level_) {
      if (level_ >= 0) deflateEnd(&stream_);
      stream_ = z_stream{};
      if (deflateInit2(&stream_, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
        level_ = -1;
        return std::nullopt;
      }
      level_ = level;
    } else if (deflateReset(&stream_) != Z_OK) {
      return std::nullopt;
    }
    std::string out(deflateBound(&stream_, static_cast<uLong>(data.size())), '\0');
    // zlib's API is not const-correct: next_in is only read.
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) return std::nullopt;
    out.resize(stream_.total_out);
    if (out.size() >= data.size()) return std::nullopt;
    return out;
  }

 private:
  z_stream stream_{};
  int level_ = -1;  // the level stream_ was initialised with; -1: not initialised
};

}  // namespace

bool accepts_gzip(std::optional<std::string_view> accept_encoding) {
  if (!accept_encoding) return false;
  std::optional<bool> gzip_listed;
  std::optional<bool> star_listed;
  std::string_view rest = *accept_encoding;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    const auto semicolon = item.find(';');
    const std::string_view coding = http::trim_whitespace(item.substr(0, semicolon));
    const bool acceptable = semicolon == std::string_view::npos || !q_is_zero(item.substr(semicolon + 1));
    if (http::iequals(coding, "gzip") || http::iequals(coding, "x-gzip")) {
      gzip_listed = gzip_listed.value_or(false) || acceptable;
    } else if (coding == "*") {
      star_listed = acceptable;
    }
  }
  if (gzip_listed) return *gzip_listed;
  return star_listed.value_or(false);
}

bool is_compressible(std::string_view content_type) {
  const std::string_view type = http::trim_whitespace(content_type.substr(0, content_type.find(';')));
  const auto slash = type.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view major = type.substr(0, slash);
  const std::string_view minor = type.substr(slash + 1);
  if (http::iequals(major, "text")) return true;
  if (minor.size() >= 5 && http::iequals(minor.substr(minor.size() - 5), "+json")) return true;
  if (minor.size() >= 4 && http::iequals(minor.substr(minor.size() - 4), "+xml"))
    return true;  // incl. svg+xml
  if (!http::iequals(major, "application")) return false;
  return http::iequals(minor, "json") || http::iequals(minor, "javascript") || http::iequals(minor, "xml") ||
         http::iequals(minor, "ecmascript");
}

std::optional<std::string> gzip(std::string_view data, int level) {
  thread_local Deflater deflater;
  return deflater.compress(data, level);
}

GunzipResult gunzip(std::string_view data, std::size_t max_bytes) {
  GunzipResult result;
  if (data.size() > UINT_MAX) return {GunzipStatus::too_large, {}};
  z_stream stream{};
  if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) return {GunzipStatus::corrupt, {}};
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::array<char, kInflateChunk> chunk{};
  int code = Z_OK;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    code = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - stream.avail_out;
    if (result.data.size() + produced > max_bytes) {
      result = {GunzipStatus::too_large, {}};
      break;
    }
    result.data.append(chunk.data(), produced);
    if (code == Z_STREAM_END) {
      // RFC 1952 allows several members back to back; anything else after
      // the end is corruption.
      if (stream.avail_in == 0) break;
      if (inflateReset(&stream) != Z_OK) {
        result = {GunzipStatus::corrupt, {}};
        break;
      }
      continue;
    }
    if (code != Z_OK || (stream.avail_in == 0 && produced == 0)) {
      // Z_BUF_ERROR with no input left: the body ends mid-stream.
      result = {GunzipStatus::corrupt, {}};
      break;
    }
  }
  inflateEnd(&stream);
  return result;
}

}  // namespace keel::edge

#include "keel/upload/multipart.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "keel/http/headers.hpp"

namespace keel::upload {
namespace {

constexpr std::string_view kTempPrefix = ".upload-";
constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1
constexpr std::size_t kMaxPadding = 256;  // transport padding after a delimiter

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Parameters is a header value split into its leading value and parameters.
struct Parameters {
  std::string value;                                        // e.g. "form-data" or "image/png", lower-cased
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, values unquoted

  const std::string* get(std::string_view name) const {
    for (const auto& [key, value] : params) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

// parse_parameters splits `type; a=token; b="quoted"`. Inside quotes, \" and
// \\ are escapes; any other backslash is kept, because browsers send Windows
// paths ("C:\x\y.png") unescaped. Returns nullopt for an unterminated quote.
std::optional<Parameters> parse_parameters(std::string_view text) {
  Parameters out;
  std::size_t pos = text.find(';');
  out.value = lower(http::trim_whitespace(text.substr(0, pos)));
  while (pos != std::string_view::npos && pos < text.size()) {
    ++pos;  // past ';'
    const std::size_t eq = text.find('=', pos);
    const std::size_t semi = text.find(';', pos);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      pos = semi;  // a parameter without a value: skip it
      continue;
    }
    std::string name = lower(http::trim_whitespace(text.substr(pos, eq - pos)));
    pos = eq + 1;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < text.size()) {
        const char c = text[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && pos < text.size() && (text[pos] == '"' || text[pos] == '\\')) {
          value.push_back(text[pos++]);
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return std::nullopt;
      pos = text.find(';', pos);
    } else {
      const std::size_t end = text.find(';', pos);
      value = std::string(http::trim_whitespace(text.substr(pos, end - pos)));
      pos = end;
    }
    out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// decode_ext_value decodes an RFC 8187 value "UTF-8''na%C3%AFve.png"; only
// UTF-8 is accepted (nullopt otherwise or on a bad escape).
std::optional<std::string> decode_ext_value(std::string_view text) {
  const std::size_t first = text.find('\'');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = text.find('\'', first + 1);
  if (second == std::string_view::npos || lower(text.substr(0, first)) != "utf-8") return std::nullopt;
  std::string out;
  for (std::size_t i = second + 1; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

bool is_bchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return hex;
}

// feed_in_chunks hands `body` to `reader` chunk_size bytes at a time.
void feed_in_chunks(MultipartReader& reader, std::string_view body, std::size_t chunk_size) {
  for (std::size_t pos = 0; pos < body.size() && !reader.failed(); pos += chunk_size) {
    reader.feed(body.substr(pos, chunk_size));
  }
}

MultipartResult failure(MultipartError error) {
  MultipartResult result;
  result.error = error;
  result.detail = std::string(describe(error));
  return result;
}

}  // namespace

std::string_view describe(MultipartError error) {
  switch (error) {
    case MultipartError::none: return "";
    case MultipartError::not_multipart: return "The body must be multipart/form-data.";
    case MultipartError::bad_boundary: return "The multipart/form-data Content-Type lacks a valid boundary.";
    case MultipartError::malformed: return "The multipart body is malformed.";
    case MultipartError::truncated: return "The multipart body ends before its closing boundary.";
    case MultipartError::part_headers_too_large: return "A multipart part's header section is too large.";
    case MultipartError::missing_file: return "The form has no file part.";
    case MultipartError::too_many_files: return "The form carries more than one file.";
    case MultipartError::unexpected_file: return "The form carries a file under an unexpected field name.";
    case MultipartError::too_many_fields: return "The form has too many fields.";
    case MultipartError::field_too_large: return "A form field is too large.";
    case MultipartError::file_too_large: return "The file is larger than the server accepts.";
    case MultipartError::io_error: return "The upload could not be stored.";
  }
  return "";
}

errors::ErrorCode error_code(MultipartError error) {
  using errors::ErrorCode;
  switch (error) {
    case MultipartError::not_multipart: return ErrorCode::unsupported_media_type;
    case MultipartError::missing_file:
    case MultipartError::too_many_files:
    case MultipartError::unexpected_file: return ErrorCode::validation_error;
    case MultipartError::file_too_large: return ErrorCode::payload_too_large;
    case MultipartError::io_error: return ErrorCode::internal_error;
    default: return ErrorCode::bad_request;
  }
}

std::optional<std::string_view> MultipartResult::field(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

BoundaryResult multipart_boundary(std::string_view content_type) {
  const auto parsed = parse_parameters(content_type);
  if (!parsed) return {{}, MultipartError::bad_boundary};
  if (parsed->value != "multipart/form-data") return {{}, MultipartError::not_multipart};
  const std::string* boundary = parsed->get("boundary");
  if (boundary == nullptr || boundary->empty() || boundary->size() > kMaxBoundary ||
      boundary->back() == ' ' || !std::all_of(boundary->begin(), boundary->end(), is_bchar)) {
    return {{}, MultipartError::bad_boundary};
  }
  return {*boundary, MultipartError::none};
}

// Digest is the running SHA-256 of the file part.
struct MultipartReader::Digest {
  struct Free {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> context{EVP_MD_CTX_new()};
};

// A body may open with the delimiter itself: pending_ starts with a virtual
// CRLF so that the first delimiter looks like every other one.
MultipartReader::MultipartReader(std::string_view boundary, MultipartOptions options)
    : options_(std::move(options)), delimiter_(std::string("\r\n--").append(boundary)), pending_("\r\n") {}

MultipartReader::~MultipartReader() = default;

void MultipartReader::feed(std::string_view piece) {
  if (state_ == State::failed || state_ == State::epilogue) return;
  pending_.append(piece);
  process();
}

void MultipartReader::process() {
  while (true) {
    switch (state_) {
      case State::preamble:
      case State::content: {
        const std::size_t found = pending_.find(delimiter_);
        if (found == std::string::npos) {
          // The tail might be the start of a delimiter split across pieces: keep it.
          const std::size_t keep = std::min(pending_.size(), delimiter_.size() - 1);
          emit(std::string_view(pending_).substr(0, pending_.size() - keep));
          if (state_ != State::failed) pending_.erase(0, pending_.size() - keep);
          return;
        }
        emit(std::string_view(pending_).substr(0, found));
        if (state_ == State::failed) return;
        pending_.erase(0, found);
        if (!after_delimiter()) return;
        break;
      }
      case State::headers: {
        std::size_t end = 0;
        std::size_t skip = 0;
        if (pending_.starts_with("\r\n")) {
          skip = 2;  // no header fields at all
        } else if (const auto found = pending_.find("\r\n\r\n"); found != std::string::npos) {
          end = found;
          skip = found + 4;
        }
        if (skip == 0 || end > options_.max_part_header_bytes) {
          if (pending_.size() > options_.max_part_header_bytes + 4) {
            return fail(MultipartError::part_headers_too_large);
          }
          if (skip == 0) return;
        }
        const std::string block = pending_.substr(0, end);
        pending_.erase(0, skip);
        start_part(block);
        if (state_ == State::failed) return;
        state_ = State::content;
        break;
      }
      case State::epilogue:
        pending_.clear();  // RFC 2046: whatever follows the close delimiter is ignored
        return;
      case State::failed: return;
    }
  }
}

// after_delimiter looks past a delimiter at the front of pending_: "--" closes
// the body, optional padding then CRLF opens the next part, and anything else
// means the bytes were content that only looked like a delimiter. Returns
// false when more input is needed (or on failure).
bool MultipartReader::after_delimiter() {
  const std::string_view rest = std::string_view(pending_).substr(delimiter_.size());
  const auto content_after_all = [&] {
    emit(std::string_view(pending_).substr(0, 1));
    if (state_ == State::failed) return false;
    pending_.erase(0, 1);
    return true;
  };
  if (rest.empty()) return false;
  if (rest[0] == '-') {
    if (rest.size() < 2) return false;
    if (rest[1] != '-') return content_after_all();
    end_part();
    if (state_ == State::failed) return false;
    state_ = State::epilogue;
    pending_.clear();
    return true;
  }
  std::size_t padding = 0;
  while (padding < rest.size() && (rest[padding] == ' ' || rest[padding] == '\t')) ++padding;
  if (padding > kMaxPadding) {
    fail(MultipartError::malformed);
    return false;
  }
  if (padding == rest.size() || (rest[padding] == '\r' && padding + 1 == rest.size())) return false;
  if (rest[padding] != '\r' || rest[padding + 1] != '\n') {
    if (padding == 0) return content_after_all();
    fail(MultipartError::malformed, "Unexpected characters after a multipart boundary.");
    return false;
  }
  end_part();
  if (state_ == State::failed) return false;
  pending_.erase(0, delimiter_.size() + padding + 2);
  state_ = State::headers;
  return true;
}

void MultipartReader::start_part(std::string_view header_block) {
  std::optional<Parameters> disposition;
  std::string content_type;
  while (!header_block.empty()) {
    const std::size_t end = header_block.find("\r\n");
    const std::string_view line = header_block.substr(0, end);
    header_block = end == std::string_view::npos ? std::string_view() : header_block.substr(end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return fail(MultipartError::malformed, "A part header has no colon.");
    const std::string_view name = http::trim_whitespace(line.substr(0, colon));
    const std::string_view value = http::trim_whitespace(line.substr(colon + 1));
    if (http::iequals(name, "Content-Disposition")) {
      disposition = parse_parameters(value);
      if (!disposition) return fail(MultipartError::malformed, "A part's Content-Disposition is malformed.");
    } else if (http::iequals(name, "Content-Type")) {
      content_type = lower(http::trim_whitespace(value.substr(0, value.find(';'))));
    }
  }
  const std::string* field_name = disposition ? disposition->get("name") : nullptr;
  if (!disposition || disposition->value != "form-data" || field_name == nullptr) {
    return fail(MultipartError::malformed, "Every part needs Content-Disposition: form-data; name=\"…\".");
  }
  const std::string* filename = disposition->get("filename");
  std::optional<std::string> extended;
  if (const std::string* encoded = disposition->get("filename*")) extended = decode_ext_value(*encoded);

  if (*field_name == options_.file_field) {
    if (result_.file) return fail(MultipartError::too_many_files);
    auto temp = http::SpooledFile::create(options_.dest_dir, kTempPrefix);
    if (!temp) return fail(MultipartError::io_error);
    digest_ = std::make_unique<Digest>();
    if (!digest_->context || EVP_DigestInit_ex(digest_->context.get(), EVP_sha256(), nullptr) != 1) {
      return fail(MultipartError::io_error);
    }
    UploadedFile file;
    file.filename = extended ? *extended : filename != nullptr ? *filename : std::string();
    file.content_type = std::move(content_type);
    file.file = std::move(*temp);
    result_.file = std::move(file);
    sink_ = Sink::file;
    return;
  }
  if (filename != nullptr || extended) return fail(MultipartError::unexpected_file);
  if (result_.fields.size() >= options_.max_fields) return fail(MultipartError::too_many_fields);
  result_.fields.emplace_back(*field_name, std::string());
  sink_ = Sink::field;
}

void MultipartReader::emit(std::string_view content) {
  if (content.empty() || state_ != State::content) return;  // the preamble is discarded
  switch (sink_) {
    case Sink::none: return;
    case Sink::field: {
      auto& value = result_.fields.back().second;
      if (value.size() + content.size() > options_.max_field_bytes)
        return fail(MultipartError::field_too_large);
      value.append(content);
      return;
    }
    case Sink::file: {
      auto& file = *result_.file;
      if (content.size() > options_.max_file_bytes - file.size) return fail(MultipartError::file_too_large);
      if (!file.file.append(content.data(), content.size()) ||
          EVP_DigestUpdate(digest_->context.get(), content.data(), content.size()) != 1) {
        return fail(MultipartError::io_error);
      }
      file.size += content.size();
      if (file.head.size() < kSniffBytes) file.head.append(content.substr(0, kSniffBytes - file.head.size()));
      return;
    }
  }
}

void MultipartReader::end_part() {
  if (state_ == State::content && sink_ == Sink::file) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(digest_->context.get(), hash.data(), &length) != 1) {
      return fail(MultipartError::io_error);
    }
    result_.file->sha256 = to_hex(hash.data(), length);
    // The write handle stays open: Storage::commit fsyncs through it before the rename.
  }
  sink_ = Sink::none;
}

void MultipartReader::fail(MultipartError error, std::string detail) {
  if (state_ == State::failed) return;
  state_ = State::failed;
  result_.error = error;
  result_.detail = detail.empty() ? std::string(describe(error)) : std::move(detail);
  result_.file.reset();  // removes the partial temp file
  pending_.clear();
}

MultipartResult MultipartReader::finish() {
  if (state_ == State::preamble) {
    fail(MultipartError::malformed, "The body has no multipart boundary delimiter.");
  } else if (state_ != State::epilogue) {
    fail(MultipartError::truncated);
  } else if (!result_.file) {
    fail(MultipartError::missing_file, "The form has no \"" + options_.file_field + "\" part.");
  }
  return std::move(result_);
}

MultipartResult read_multipart(std::istream& body, std::string_view content_type,
                               const MultipartOptions& options) {
  auto boundary = multipart_boundary(content_type);
  if (boundary.error != MultipartError::none) return failure(boundary.error);
  MultipartReader reader(std::move(boundary.boundary), options);
  std::string chunk(std::max<std::size_t>(options.chunk_size, 1), '\0');
  while (!reader.failed() && body) {
    body.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(body.gcount());
    if (got == 0) break;
    reader.feed(std::string_view(chunk.data(), got));
  }
  if (body.bad()) return failure(MultipartError::io_error);
  return reader.finish();
}

MultipartResult read_multipart(const http::Request& request, const MultipartOptions& options) {
  const std::string_view content_type = request.header("Content-Type").value_or("");
  auto boundary = multipart_boundary(content_type);
  if (boundary.error != MultipartError::none) return failure(boundary.error);
  MultipartReader reader(std::move(boundary.boundary), options);
  const std::size_t chunk_size = std::max<std::size_t>(options.chunk_size, 1);
  if (!request.body_file) {
    feed_in_chunks(reader, request.body, chunk_size);
    return reader.finish();
  }
  const int fd = ::open(request.body_file->path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failure(MultipartError::io_error);
  std::string chunk(chunk_size, '\0');
  bool read_failed = false;
  while (!reader.failed()) {
    const auto got = ::read(fd, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) read_failed = true;
    if (got <= 0) break;
    reader.feed(std::string_view(chunk.data(), static_cast<std::size_t>(got)));
  }
  ::close(fd);
  if (read_failed) return failure(MultipartError::io_error);
  return reader.finish();
}

}  // namespace keel::upload

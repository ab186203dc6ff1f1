#include "keel/upload/file_type.hpp"

#include <magic.h>

#include <algorithm>
#include <array>

#include "keel/http/headers.hpp"
#include "keel/upload/filename.hpp"

namespace keel::upload {
namespace {

// KnownType is a media type whose extensions and sniff rule are known.
struct KnownType {
  std::string_view media_type;
  std::array<std::string_view, 3> extensions;  // "" pads
};

constexpr std::array kKnownTypes{
    KnownType{"image/png", {"png", "", ""}},       KnownType{"image/jpeg", {"jpg", "jpeg", ""}},
    KnownType{"image/gif", {"gif", "", ""}},       KnownType{"image/webp", {"webp", "", ""}},
    KnownType{"application/pdf", {"pdf", "", ""}}, KnownType{"text/plain", {"txt", "text", "log"}},
};

// MagicHandle is one thread's libmagic cookie: libmagic handles are not
// thread-safe, and loading the database per call would cost milliseconds.
class MagicHandle {
 public:
  MagicHandle() : cookie_(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) {
    if (cookie_ != nullptr && magic_load(cookie_, nullptr) != 0) {
      magic_close(cookie_);
      cookie_ = nullptr;
    }
  }
  ~MagicHandle() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }
  MagicHandle(const MagicHandle&) = delete;
  MagicHandle& operator=(const MagicHandle&) = delete;

  std::string sniff(std::string_view head) const {
    if (cookie_ == nullptr) return "";
    const char* type = magic_buffer(cookie_, head.data(), head.size());
    return type != nullptr ? std::string(type) : std::string();
  }

 private:
  magic_t cookie_;
};

std::string normalise(std::string_view media_type) {
  std::string out(http::trim_whitespace(media_type.substr(0, media_type.find(';'))));
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// is_plain_text_sniff: libmagic names many text files by what they look like
// (text/x-c, text/csv); all are fine as text/plain except markup and code a
// browser or shell could run.
bool is_plain_text_sniff(std::string_view sniffed) {
  if (sniffed == "application/x-empty") return true;
  if (!sniffed.starts_with("text/")) return false;
  const std::string_view subtype = sniffed.substr(5);
  return subtype != "html" && subtype != "xml" && subtype.find("script") == std::string_view::npos &&
         subtype.find("php") == std::string_view::npos;
}

TypeVerdict refuse(TypeProblem problem, std::string media_type, std::string detail) {
  return {problem, std::move(media_type), std::move(detail)};
}

}  // namespace

std::string sniff_media_type(std::string_view head) {
  thread_local const MagicHandle handle;
  return handle.sniff(head);
}

TypeVerdict check_file_type(std::string_view declared, std::string_view filename, std::string_view sniffed,
                            const std::vector<std::string>& allowed_types) {
  std::string type = normalise(declared);
  const bool allowed =
      !type.empty() && std::any_of(allowed_types.begin(), allowed_types.end(),
                                   [&](const std::string& a) { return normalise(a) == type; });
  if (!allowed) {
    std::string list;
    for (const auto& a : allowed_types) list += (list.empty() ? "" : ", ") + normalise(a);
    return refuse(TypeProblem::not_allowed, type,
                  (type.empty() ? "The file part has no Content-Type" : "This file type is not accepted") +
                      std::string(" (accepted: ") + list + ").");
  }
  const auto known = std::find_if(kKnownTypes.begin(), kKnownTypes.end(),
                                  [&](const KnownType& k) { return k.media_type == type; });
  if (known == kKnownTypes.end()) {
    if (sniffed != type) {
      return refuse(TypeProblem::content_mismatch, type, "The file's content is not " + type + ".");
    }
    return {TypeProblem::none, type, {}};
  }
  const std::string extension = file_extension(sanitize_filename(filename));
  if (extension.empty() ||
      std::find(known->extensions.begin(), known->extensions.end(), extension) == known->extensions.end()) {
    return refuse(TypeProblem::extension_mismatch, type,
                  "The file name's extension does not match its type " + type + ".");
  }
  const bool content_matches = type == "text/plain" ? is_plain_text_sniff(sniffed) : sniffed == type;
  if (!content_matches) {
    return refuse(TypeProblem::content_mismatch, type, "The file's content is not " + type + ".");
  }
  return {TypeProblem::none, type, {}};
}

TypeVerdict verify_file_type(const UploadedFile& file, const std::vector<std::string>& allowed_types) {
  return check_file_type(file.content_type, file.filename, sniff_media_type(file.head), allowed_types);
}

}  // namespace keel::upload

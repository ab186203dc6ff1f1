#include "keel/mail/templates.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace keel::mail {
namespace {

namespace fs = std::filesystem;

// kSuffixes are the three files of a message, in the order Compiled lists them.
constexpr std::array<std::string_view, 3> kSuffixes = {".subject.txt", ".txt", ".html"};

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

std::size_t line_of(std::string_view text, std::size_t offset) {
  return 1 + static_cast<std::size_t>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// sanitize_subject replaces control characters (CR/LF first of all) with spaces and trims.
std::string sanitize_subject(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7F) ? ' ' : c;
  }
  const auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

}  // namespace

const std::vector<TemplateSpec>& standard_templates() {
  static const std::vector<TemplateSpec> specs = {
      {"verify_email", {"app_name", "full_name", "email", "verify_url", "token", "expires_minutes"}},
      {"password_reset", {"app_name", "full_name", "email", "reset_url", "token", "expires_minutes"}},
      {"password_changed", {"app_name", "full_name", "email", "changed_at", "reset_url"}},
      {"api_key_created",
       {"app_name", "full_name", "email", "key_name", "key_prefix", "scopes", "created_at"}},
      {"account_deleted", {"app_name", "full_name", "email", "deleted_at"}},
  };
  return specs;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

TemplateLoadResult TemplateSet::load(const fs::path& dir, const std::vector<TemplateSpec>& specs) {
  TemplateLoadResult result;
  TemplateSet set;
  for (const auto& spec : specs) {
    Compiled compiled;
    std::array<Template*, 3> targets = {&compiled.subject, &compiled.text, &compiled.html};
    for (std::size_t k = 0; k < kSuffixes.size(); ++k) {
      const std::string file = spec.name + std::string(kSuffixes[k]);
      const auto text = read_file(dir / file);
      if (!text) {
        result.problems.push_back(file + ": cannot read " + (dir / file).string());
        continue;
      }
      Template& out = *targets[k];
      std::size_t pos = 0;
      while (pos < text->size()) {
        const auto open = text->find("{{", pos);
        if (open == std::string::npos) {
          out.push_back({text->substr(pos), false});
          break;
        }
        if (open > pos) out.push_back({text->substr(pos, open - pos), false});
        const auto close = text->find("}}", open + 2);
        if (close == std::string::npos) {
          result.problems.push_back(file + ":" + std::to_string(line_of(*text, open)) + ": unterminated {{");
          break;
        }
        const auto name = trim_spaces(std::string_view(*text).substr(open + 2, close - open - 2));
        const auto where = file + ":" + std::to_string(line_of(*text, open)) + ": ";
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) {
          result.problems.push_back(where + "malformed placeholder {{" + std::string(name) + "}}");
        } else if (std::find(spec.variables.begin(), spec.variables.end(), name) == spec.variables.end()) {
          result.problems.push_back(where + "unknown placeholder {{" + std::string(name) + "}}");
        } else {
          out.push_back({std::string(name), true});
        }
        pos = close + 2;
      }
    }
    set.messages_.emplace(spec.name, std::move(compiled));
  }
  if (result.problems.empty()) result.templates = std::move(set);
  return result;
}

Message TemplateSet::render(std::string_view name, const TemplateVars& vars) const {
  const auto found = messages_.find(name);
  if (found == messages_.end()) throw MailError("unknown email template " + std::string(name), true);
  const auto fill = [&](const Template& tpl, std::string (*escape)(std::string_view)) {
    std::string out;
    for (const auto& segment : tpl) {
      if (!segment.is_variable) {
        out += segment.text;
        continue;
      }
      const auto value = vars.find(segment.text);
      if (value == vars.end()) {
        throw MailError("email template " + std::string(name) + " needs a value for {{" + segment.text + "}}",
                        true);
      }
      out += escape != nullptr ? escape(value->second) : value->second;
    }
    return out;
  };
  Message message;
  message.subject = sanitize_subject(fill(found->second.subject, nullptr));
  message.text_body = fill(found->second.text, nullptr);
  message.html_body = fill(found->second.html, html_escape);
  return message;
}

bool holds_email_templates(const fs::path& dir) {
  std::error_code ec;
  for (const auto& spec : standard_templates()) {
    for (const auto suffix : kSuffixes) {
      if (!fs::is_regular_file(dir / (spec.name + std::string(suffix)), ec)) return false;
    }
  }
  return true;
}

std::optional<fs::path> find_templates_dir(const char* override_dir, const fs::path& executable) {
  if (override_dir != nullptr && *override_dir != '\0') {
    // An explicit choice is never second-guessed: a wrong path is reported, not skipped.
    fs::path dir(override_dir);
    return holds_email_templates(dir) ? std::optional(dir) : std::nullopt;
  }
  if (executable.empty()) return std::nullopt;
  const auto exe_dir = executable.parent_path();
  if (auto installed = (exe_dir / ".." / "share" / "keel" / "templates" / "email").lexically_normal();
      holds_email_templates(installed)) {
    return installed;
  }
  // A build tree sits a few levels below the source root (build/<preset>/keel); the walk is
  // bounded so an unrelated templates/ folder high up the file system is never picked.
  auto dir = exe_dir.lexically_normal();
  for (int level = 0; level < 4 && !dir.empty(); ++level) {
    if (auto candidate = dir / "templates" / "email"; holds_email_templates(candidate)) return candidate;
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

}  // namespace keel::mail

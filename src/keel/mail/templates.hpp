// keel/mail/templates.hpp — email texts kept in files, rendered with {{variables}}.
//
// Each message has three files in one folder (templates/email/ in the source tree,
// <prefix>/share/keel/templates/email when installed): <name>.subject.txt,
// <name>.txt and <name>.html. A placeholder is {{name}} (spaces inside the braces
// allowed). Values are inserted raw in the text body, HTML-escaped in the HTML body,
// and with control characters (CR/LF…) replaced by spaces in the subject, so no
// value can add a header or markup. Which variables a message may use is declared
// in code (TemplateSpec): a file using any other name fails at load time, and
// rendering without a value for a used name fails too — a typo never ships as
// literal "{{verfy_url}}".
//
//   auto dir = find_templates_dir(std::getenv("KEEL_EMAIL_TEMPLATES"), executable);  // /proc/self/exe
//   TemplateLoadResult loaded = TemplateSet::load(*dir);        // check loaded.problems
//   Message m = loaded.templates->render("password_reset", {{"full_name", "Ada"}, {"reset_url", url}, ...});
//   m.to = "ada@example.com";
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/mail/message.hpp"

namespace keel::mail {

// TemplateSpec names a message and every variable its files may use.
struct TemplateSpec {
  std::string name;
  std::vector<std::string> variables;
};

// standard_templates lists Keel's messages: verify_email, password_reset,
// password_changed, api_key_created, account_deleted (variables in docs/email.md).
const std::vector<TemplateSpec>& standard_templates();

// TemplateVars maps placeholder names to values (plain text; escaping is render's job).
using TemplateVars = std::map<std::string, std::string, std::less<>>;

// TemplateLoadResult is a loaded set, or the problems (one line each, naming the file) that stopped it.
struct TemplateLoadResult;

// TemplateSet holds parsed templates; immutable after load, so safe to share between threads.
class TemplateSet {
 public:
  // load reads <name>.subject.txt, <name>.txt and <name>.html for every spec from `dir`.
  static TemplateLoadResult load(const std::filesystem::path& dir,
                                 const std::vector<TemplateSpec>& specs = standard_templates());

  // render fills message `name` (recipient left empty). Throws MailError (permanent)
  // for an unknown name or a placeholder without a value in `vars`.
  Message render(std::string_view name, const TemplateVars& vars) const;

 private:
  // Segment is literal text, or (is_variable) a placeholder's name.
  struct Segment {
    std::string text;
    bool is_variable = false;
  };
  using Template = std::vector<Segment>;
  struct Compiled {
    Template subject;
    Template text;
    Template html;
  };
  std::map<std::string, Compiled, std::less<>> messages_;
};

struct TemplateLoadResult {
  std::optional<TemplateSet> templates;
  std::vector<std::string> problems;

  bool ok() const noexcept { return templates.has_value(); }
};

// holds_email_templates says whether `dir` has all three files of every standard template.
bool holds_email_templates(const std::filesystem::path& dir);

// find_templates_dir picks the templates folder: `override_dir` (KEEL_EMAIL_TEMPLATES)
// when given (and only it), else <exe dir>/../share/keel/templates/email (an install),
// else the nearest templates/email above the executable, up to four levels (a build
// tree such as build/<preset>/keel inside the source tree). nullopt: none found.
std::optional<std::filesystem::path> find_templates_dir(const char* override_dir,
                                                        const std::filesystem::path& executable);

// html_escape escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace keel::mail

#include "keel/mail/templates.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keel/mail/mail_test_support.hpp"

namespace keel::mail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace keel::mail::testing;

fs::path repo_templates() { return source_dir() / "templates" / "email"; }

// all_variables gives every declared variable of `name` a recognisable value.
TemplateVars all_variables(std::string_view name) {
  TemplateVars vars;
  for (const auto& spec : standard_templates()) {
    if (spec.name != name) continue;
    for (const auto& variable : spec.variables) vars[variable] = "<<" + variable + ">>";
  }
  return vars;
}

TEST(Templates, TheShippedTemplatesLoadAndRenderEveryMessage) {
  const auto loaded = TemplateSet::load(repo_templates());
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(loaded.problems);
  ASSERT_EQ(standard_templates().size(), 5U);
  for (const auto& spec : standard_templates()) {
    const auto message = loaded.templates->render(spec.name, all_variables(spec.name));
    EXPECT_TRUE(message.to.empty());
    EXPECT_FALSE(message.subject.empty()) << spec.name;
    EXPECT_THAT(message.subject, Not(HasSubstr("\n"))) << spec.name;
    ASSERT_TRUE(message.html_body) << spec.name;
    for (const auto* body : {&message.subject, &message.text_body, &*message.html_body}) {
      EXPECT_THAT(*body, Not(HasSubstr("{{"))) << spec.name;
    }
    EXPECT_THAT(message.text_body, HasSubstr("<<full_name>>")) << spec.name;
    EXPECT_THAT(*message.html_body, HasSubstr("&lt;&lt;full_name&gt;&gt;")) << spec.name;
    if (spec.name != "verify_email") {
      EXPECT_THAT(message.text_body, HasSubstr("If this wasn't you")) << spec.name;
    }
  }
}

TEST(Templates, LinkAndTokenMessagesCarryTheUrlTheTokenAndTheExpiry) {
  const auto loaded = TemplateSet::load(repo_templates());
  ASSERT_TRUE(loaded.ok());
  for (const auto& [name, url] :
       {std::pair{"verify_email", "verify_url"}, std::pair{"password_reset", "reset_url"}}) {
    auto vars = all_variables(name);
    vars[url] = "https://app.example/x?token=t1&lang=en";
    vars["token"] = "tok_123";
    vars["expires_minutes"] = "30";
    const auto m = loaded.templates->render(name, vars);
    EXPECT_THAT(m.text_body, HasSubstr("https://app.example/x?token=t1&lang=en")) << name;
    EXPECT_THAT(*m.html_body, HasSubstr("href=\"https://app.example/x?token=t1&amp;lang=en\"")) << name;
    EXPECT_THAT(m.text_body, HasSubstr("tok_123")) << name;
    EXPECT_THAT(*m.html_body, HasSubstr("tok_123")) << name;
    EXPECT_THAT(m.text_body, HasSubstr("30 minutes")) << name;
  }
}

TEST(Templates, EscapesHtmlButNotTextAndFlattensSubjects) {
  const TempDir dir;
  write_text(dir.path() / "hi.subject.txt", "Hi {{ name }}\n");
  write_text(dir.path() / "hi.txt", "Hello {{name}}!\n");
  write_text(dir.path() / "hi.html", "<p title=\"{{name}}\">Hello {{name}}!</p>\n");
  const auto loaded = TemplateSet::load(dir.path(), {{"hi", {"name"}}});
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(loaded.problems);

  const auto m = loaded.templates->render("hi", {{"name", "<script>alert('x')</script> & \"co\""}});
  EXPECT_EQ(m.text_body, "Hello <script>alert('x')</script> & \"co\"!\n");
  EXPECT_EQ(*m.html_body,
            "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;\">Hello "
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;!</p>\n");
  EXPECT_EQ(m.subject, "Hi <script>alert('x')</script> & \"co\"");

  const auto injected = loaded.templates->render("hi", {{"name", "Ada\r\nBcc: eve@evil.example\n"}});
  EXPECT_EQ(injected.subject, "Hi Ada  Bcc: eve@evil.example");
}

TEST(Templates, RenderingWithoutAUsedVariableFails) {
  const auto loaded = TemplateSet::load(repo_templates());
  ASSERT_TRUE(loaded.ok());
  auto vars = all_variables("password_reset");
  vars.erase("reset_url");
  try {
    (void)loaded.templates->render("password_reset", vars);
    ADD_FAILURE() << "rendered without reset_url";
  } catch (const MailError& e) {
    EXPECT_THAT(e.what(), HasSubstr("{{reset_url}}"));
    EXPECT_TRUE(e.permanent());
  }
  EXPECT_THROW((void)loaded.templates->render("no_such_message", vars), MailError);
}

TEST(Templates, LoadReportsUnknownMalformedAndMissingPieces) {
  const TempDir dir;
  write_text(dir.path() / "hi.subject.txt", "Hi\n");
  write_text(dir.path() / "hi.txt", "Hello\n{{nmae}}\n");
  write_text(dir.path() / "hi.html", "<p>{{ bad-name }} {{name</p>");
  const auto loaded = TemplateSet::load(dir.path(), {{"hi", {"name"}}, {"gone", {}}});
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      loaded.problems,
      ElementsAre("hi.txt:2: unknown placeholder {{nmae}}", "hi.html:1: malformed placeholder {{bad-name}}",
                  "hi.html:1: unterminated {{", HasSubstr("gone.subject.txt: cannot read"),
                  HasSubstr("gone.txt: cannot read"), HasSubstr("gone.html: cannot read")));
}

TEST(Templates, FindsTheFolderFromAnOverrideAnInstallOrABuildTree) {
  const TempDir root;
  const auto fake = [](const fs::path& dir) {
    fs::create_directories(dir);
    for (const auto& spec : standard_templates()) {
      for (const char* suffix : {".subject.txt", ".txt", ".html"})
        write_text(dir / (spec.name + suffix), "x");
    }
  };
  const auto exe = root.path() / "src" / "build" / "debug" / "keel";
  EXPECT_EQ(find_templates_dir(nullptr, exe), std::nullopt);

  fake(root.path() / "src" / "templates" / "email");
  EXPECT_EQ(find_templates_dir(nullptr, exe), root.path() / "src" / "templates" / "email");

  const auto installed = root.path() / "usr" / "bin" / "keel";
  fake(root.path() / "usr" / "share" / "keel" / "templates" / "email");
  EXPECT_EQ(find_templates_dir(nullptr, installed),
            root.path() / "usr" / "share" / "keel" / "templates" / "email");

  // An explicit folder wins, and a wrong one is not silently replaced.
  const auto src = root.path() / "src" / "templates" / "email";
  EXPECT_EQ(find_templates_dir(src.c_str(), installed), src);
  EXPECT_EQ(find_templates_dir((root.path() / "nowhere").c_str(), exe), std::nullopt);
  EXPECT_EQ(find_templates_dir("", exe), src);  // empty override = unset

  // The walk up is bounded: five levels down is too far.
  EXPECT_EQ(find_templates_dir(nullptr, root.path() / "src" / "a" / "b" / "c" / "d" / "keel"), std::nullopt);

  // This very test binary (build/<dir>/keel_mail_test) finds the repository's templates.
  const auto self = fs::read_symlink("/proc/self/exe");
  const auto found = find_templates_dir(nullptr, self);
  ASSERT_TRUE(found);
  EXPECT_TRUE(fs::equivalent(*found, repo_templates()));
}

TEST(Templates, HtmlEscapeCoversTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(html_escape("Grüße"), "Grüße");
}

}  // namespace
}  // namespace keel::mail

// keel/mail/mail_test_support.hpp — test-only helpers for the mail tests (not part of keel_mail).
//
// An independent reader for the messages build_mime writes (header unfolding, RFC 2047
// and quoted-printable decoding, multipart splitting), a temporary folder, and
// SmtpSink, which runs tests/support/smtp_sink.py on a free loopback port.
//
//   SmtpSink sink({"--auth", "user:pw"});
//   sink.wait_ready();
//   ParsedMessage m = parse_message(sink.message(1));
//   EXPECT_EQ(decode_header_value(m.header("Subject")), "Grüße");
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "keel/config/base64.hpp"

namespace keel::mail::testing {

namespace fs = std::filesystem;

// TempDir is a fresh folder removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("keel-mail-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

inline void write_text(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// ParsedMessage is one MIME entity: unfolded headers (names lower-cased) and its raw body.
struct ParsedMessage {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& h : headers) n += h.first == name ? 1 : 0;
    return n;
  }
};

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// parse_message splits at the first empty line and unfolds headers (CRLF + WSP continues a line).
inline ParsedMessage parse_message(std::string_view raw) {
  ParsedMessage m;
  const auto split = raw.find("\r\n\r\n");
  const auto head = raw.substr(0, split);
  m.body = split == std::string_view::npos ? "" : std::string(raw.substr(split + 4));
  std::size_t pos = 0;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    const auto line = head.substr(pos, end - pos);
    if ((line.starts_with(' ') || line.starts_with('\t')) && !m.headers.empty()) {
      m.headers.back().second += std::string(line);
    } else {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos)
        throw std::runtime_error("header line without colon: " + std::string(line));
      auto value = line.substr(colon + 1);
      while (value.starts_with(' ')) value.remove_prefix(1);
      m.headers.emplace_back(lower(std::string(line.substr(0, colon))), std::string(value));
    }
    pos = end + 2;
  }
  return m;
}

inline std::string bytes_to_string(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

// decode_header_value decodes RFC 2047 B/Q words; whitespace between adjacent words is dropped.
inline std::string decode_header_value(std::string_view value) {
  std::string out;
  std::string pending_space;
  bool last_was_word = false;
  while (!value.empty()) {
    if (value.starts_with("=?")) {
      const auto q1 = value.find('?', 2);
      const auto q2 = value.find('?', q1 + 1);
      const auto end = value.find("?=", q2 + 1);
      if (q1 == std::string_view::npos || q2 == std::string_view::npos || end == std::string_view::npos) {
        throw std::runtime_error("broken encoded word");
      }
      const auto encoding = value.substr(q1 + 1, q2 - q1 - 1);
      const auto text = value.substr(q2 + 1, end - q2 - 1);
      if (encoding != "B" && encoding != "b") throw std::runtime_error("unexpected encoding");
      if (!last_was_word) out += pending_space;
      const auto decoded = config::decode_base64(text);
      if (!decoded) throw std::runtime_error("bad base64 in encoded word");
      out += bytes_to_string(*decoded);
      pending_space.clear();
      last_was_word = true;
      value.remove_prefix(end + 2);
    } else if (value.front() == ' ' || value.front() == '\t') {
      pending_space += value.front();
      value.remove_prefix(1);
    } else {
      out += pending_space;
      pending_space.clear();
      auto stop = value.find_first_of(" \t");
      out += std::string(value.substr(0, stop));
      value.remove_prefix(stop == std::string_view::npos ? value.size() : stop);
      last_was_word = false;
    }
  }
  return out + pending_space;
}

// decode_quoted_printable reverses RFC 2045 §6.7 (soft breaks "=\r\n", =XX escapes).
inline std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
    } else if (text.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

// boundary_of returns the boundary parameter of a multipart Content-Type.
inline std::string boundary_of(std::string_view content_type) {
  const auto at = content_type.find("boundary=\"");
  if (at == std::string_view::npos) throw std::runtime_error("no quoted boundary");
  const auto start = at + 10;
  return std::string(content_type.substr(start, content_type.find('"', start) - start));
}

// split_multipart returns the body parts between --boundary lines (the preamble is dropped).
inline std::vector<ParsedMessage> split_multipart(std::string_view body, const std::string& boundary) {
  std::vector<ParsedMessage> parts;
  const std::string delimiter = "--" + boundary;
  auto pos = body.find(delimiter);
  while (pos != std::string_view::npos) {
    const auto after = pos + delimiter.size();
    if (body.substr(after, 2) == "--") return parts;  // closing delimiter
    const auto next = body.find("\r\n" + delimiter, after);
    if (next == std::string_view::npos) throw std::runtime_error("unterminated multipart");
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    parts.push_back(parse_message(body.substr(after + 2, next - after - 2)));
    pos = next + 2;
  }
  throw std::runtime_error("no closing delimiter");
}

// decoded_body decodes a part by its Content-Transfer-Encoding.
inline std::string decoded_body(const ParsedMessage& part) {
  const auto cte = lower(part.header("content-transfer-encoding").value_or("7bit"));
  if (cte == "quoted-printable") return decode_quoted_printable(part.body);
  if (cte == "base64") {
    std::string compact;
    for (const char c : part.body) {
      if (c != '\r' && c != '\n') compact += c;
    }
    return bytes_to_string(config::decode_base64(compact).value());
  }
  return part.body;
}

// free_port asks the kernel for a loopback port nobody listens on (closed again at once).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// run_command runs argv (no shell), returns its exit status; stdout/stderr go to /dev/null.
inline int run_command(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline fs::path source_dir() { return fs::path(KEEL_SOURCE_DIR); }

// SmtpSink runs tests/support/smtp_sink.py with `extra_args` until destroyed; call
// wait_ready() before connecting.
class SmtpSink {
 public:
  explicit SmtpSink(const std::vector<std::string>& extra_args = {}) : port_(free_port()) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     (source_dir() / "tests/support/smtp_sink.py").string(),
                                     "--port",
                                     std::to_string(port_),
                                     "--dir",
                                     dir_.path().string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      // The sink's own diagnostics (a refused TLS handshake is expected in one test) go to a file.
      const int log = ::open((dir_.path() / "sink.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, 2);
      ::dup2(pipe_fds[1], 1);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    ready_fd_ = pipe_fds[0];
  }
  ~SmtpSink() {
    if (ready_fd_ >= 0) ::close(ready_fd_);
    stop();
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // wait_ready blocks until the sink listens; start several sinks, then wait for each, so
  // their (slow) Python start-ups overlap.
  void wait_ready() {
    if (ready_fd_ < 0) return;
    const int fd = ready_fd_;
    ready_fd_ = -1;
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen.find("ready\n") == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      char buffer[256];
      ssize_t n = 0;
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0 ||
          (n = ::read(fd, buffer, sizeof buffer)) <= 0) {
        ::close(fd);
        stop();
        throw std::runtime_error("smtp_sink.py did not start (python3-aiosmtpd installed?): " +
                                 read_text(dir_.path() / "sink.log"));
      }
      seen.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
  }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // count is how many messages the sink has stored.
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir_.path()))
      n += entry.path().extension() == ".json" ? 1 : 0;
    return n;
  }
  // message returns the n-th (from 1) message's bytes.
  std::string message(int n) const { return read_text(dir_.path() / (std::to_string(n) + ".eml")); }
  // envelope returns the n-th message's sidecar: mail_from, rcpt_tos, auth_user, tls.
  boost::json::object envelope(int n) const {
    return boost::json::parse(read_text(dir_.path() / (std::to_string(n) + ".json"))).as_object();
  }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
  int ready_fd_ = -1;
};

}  // namespace keel::mail::testing

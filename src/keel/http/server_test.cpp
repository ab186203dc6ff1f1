// Tests for keel::http::Server over real TCP sockets: a tiny Dispatcher on
// port 0, and a blocking POSIX client that sends raw bytes and parses raw
// responses, so framing, limits and timeouts are observed as a client sees them.
#include "keel/http/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "keel/errors/error_code.hpp"

namespace keel::http {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

// kSpoolLimit is the body limit of the spooling route /upload.
constexpr std::size_t kSpoolLimit = 8192;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// TestDispatcher routes by path: /hello runs inline, everything else on the
// pool; /upload spools its body into spool_dir(), /file serves spool_dir()/served.bin,
// /refuse is refused from its head.
class TestDispatcher final : public Dispatcher {
 public:
  TestDispatcher() {
    std::string pattern = (std::filesystem::temp_directory_path() / "keel-spool-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    spool_dir_ = pattern;
  }
  ~TestDispatcher() override {
    std::error_code ignored;
    std::filesystem::remove_all(spool_dir_, ignored);
  }
  TestDispatcher(const TestDispatcher&) = delete;
  TestDispatcher& operator=(const TestDispatcher&) = delete;

  RequestPlan plan(Request& head) const override {
    plans.fetch_add(1);
    RequestPlan plan;
    plan.body_limit = 1024;
    plan.execution = head.path == "/hello" ? Execution::inline_io : Execution::pool;
    if (head.path == "/upload") {
      plan.body_limit = kSpoolLimit;
      plan.body_spool_dir = spool_dir_;
    }
    if (head.path == "/refuse") head.context.early_error = errors::ErrorCode::unauthorized;
    return plan;
  }

  const std::string& spool_dir() const { return spool_dir_; }

  Response handle(Request& request) const noexcept override {
    if (request.context.early_error) {
      const auto& row = errors::info(*request.context.early_error);
      return Response::text(row.status, std::string(row.name));
    }
    if (request.path == "/hello") return Response::text(200, "hi");
    if (request.path == "/upload") {
      if (!request.body_file) return Response::text(200, "no file");
      const auto& spooled = *request.body_file;
      return Response::text(200, read_file(spooled.path()))
          .with_header("X-Spool", std::filesystem::path(spooled.path()).filename().string() + "|" +
                                      std::to_string(spooled.size()) + "|" +
                                      std::to_string(request.body.size()));
    }
    if (request.path == "/file") {
      // The query is "" (whole file) or "o=OFFSET&n=LENGTH".
      const std::string path = spool_dir_ + "/served.bin";
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Response::text(500, "cannot open");
      const auto offset = request.query_param("o");
      const auto length = request.query_param("n");
      if (!offset || !length) {
        return Response::file(200, fd, 0, std::filesystem::file_size(path), "application/octet-stream");
      }
      return Response::file(206, fd, std::stoull(*offset), std::stoull(*length), "application/octet-stream");
    }
    if (request.path == "/echo") return Response::text(200, request.body);
    if (request.path == "/empty") return Response::no_content();
    if (request.path == "/slow") {
      // The query is "ms=N".
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(request.query.substr(3))));
      return Response::text(200, "slow");
    }
    if (request.path == "/close") {
      auto response = Response::text(200, "bye");
      response.close = true;
      return response;
    }
    if (request.path == "/info x") {
      return Response::text(200, request.method_name + "|" + request.target + "|" + request.query + "|" +
                                     request.peer_address + "|" + request.context.client_ip + "|" +
                                     std::string(request.header("x-test").value_or("-")));
    }
    return Response::text(404, "not_found");
  }

  mutable std::atomic<int> plans{0};

 private:
  std::string spool_dir_;
};

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (iequals(key, name)) return value;
    }
    return std::nullopt;
  }
};

// Client is a blocking TCP client with timeouts on every read.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void send(std::string_view data) {
    while (!data.empty()) {
      const auto sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // read_response reads one response; `head_only` for answers to HEAD.
  std::optional<RawResponse> read_response(bool head_only = false,
                                           std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = Clock::now() + timeout;
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse response;
    const std::string head = buffer_.substr(0, head_end + 2);
    buffer_.erase(0, head_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    for (std::size_t pos = line_end + 2; pos < head.size();) {
      const std::size_t end = head.find("\r\n", pos);
      const std::string line = head.substr(pos, end - pos);
      const std::size_t colon = line.find(':');
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers.emplace_back(line.substr(0, colon), value);
      pos = end + 2;
    }
    if (head_only || response.status < 200 || response.status == 204 || response.status == 304) {
      return response;
    }
    const auto length = response.header("Content-Length");
    if (!length) {
      while (fill(deadline)) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
      return response;
    }
    const auto size = static_cast<std::size_t>(std::stoul(*length));
    while (buffer_.size() < size) {
      if (!fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return response;
  }

  // closed_within is true when the server closes (EOF or reset) in time.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    return eof_;
  }

  // unread is what arrived but was not consumed by read_response.
  const std::string& unread() const { return buffer_; }

 private:
  bool fill(Clock::time_point deadline) {
    if (eof_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    const auto got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

ServerOptions test_options() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 2;
  options.handler_threads = 2;
  options.max_header_bytes = 4096;
  options.max_target_bytes = 1024;
  options.read_timeout = 300ms;
  options.idle_timeout = 300ms;
  options.handler_timeout = 2000ms;
  options.shutdown_grace = 2000ms;
  return options;
}

// RunningServer runs a Server on port 0 in a background thread.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options = test_options()) : server_(std::move(options), dispatcher_) {
    server_.on_drain([this] { drains_.fetch_add(1); });
    port_ = server_.listen();
    thread_ = std::thread([this] {
      server_.run();
      returned_.store(true);
    });
  }
  ~RunningServer() { stop(); }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  void stop() {
    if (!thread_.joinable()) return;
    server_.shutdown();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  Server& server() { return server_; }
  const TestDispatcher& dispatcher() const { return dispatcher_; }
  int drains() const { return drains_.load(); }
  bool returned() const { return returned_.load(); }
  std::thread& thread() { return thread_; }

 private:
  TestDispatcher dispatcher_;
  Server server_;
  std::uint16_t port_ = 0;
  std::atomic<int> drains_{0};
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) + "\r\n";
}

std::string post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

TEST(Server, ListenReturnsTheBoundPort) {
  RunningServer running;
  EXPECT_NE(running.port(), 0);
  EXPECT_EQ(running.server().port(), running.port());
}

TEST(Server, ListenOnABusyPortThrowsAClearError) {
  RunningServer running;
  ServerOptions options = test_options();
  options.port = running.port();
  TestDispatcher dispatcher;
  Server second(options, dispatcher);
  try {
    second.listen();
    FAIL() << "listen succeeded on a busy port";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what())
                  .rfind("cannot listen on 127.0.0.1:" + std::to_string(running.port()) + ": ", 0),
              0u)
        << error.what();
  }
}

TEST(Server, KeepAliveServesTwoRequestsOnOneConnection) {
  RunningServer running;
  Client client(running.port());
  for (int i = 0; i < 2; ++i) {
    client.send(get("/hello"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hi");
    EXPECT_EQ(response->header("Content-Length"), "2");
    EXPECT_EQ(response->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_TRUE(response->header("Date"));
    EXPECT_FALSE(response->header("Server"));
    EXPECT_FALSE(response->header("Connection"));
  }
}

TEST(Server, PassesTheRequestFactsToTheDispatcher) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/info%20x?a=1&b=2", "X-Test: yes\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET|/info%20x?a=1&b=2|a=1&b=2|127.0.0.1|127.0.0.1|yes");
  EXPECT_EQ(running.dispatcher().plans.load(), 1);
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/slow?ms=100") + get("/hello") + post("/echo", "abc"));
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response) << "response " << i;
    bodies.push_back(response->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"slow", "hi", "abc"}));
}

TEST(Server, ChunkedBodyWithinTheLimitIsRead) {
  RunningServer running;
  Client client(running.port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "abcde");
}

TEST(Server, DeclaredBodyOverTheLimitIs413WithoutReadingIt) {
  RunningServer running;
  Client client(running.port());
  const auto start = Clock::now();
  // The body is never sent: the answer must not wait for it.
  client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, "payload_too_large");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_LT(elapsed_ms(start), 250);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, ChunkedBodyOverTheLimitIs413) {
  RunningServer running;
  Client client(running.port());
  const std::string chunk(600, 'x');
  client.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
              "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, OversizedHeaderSectionIs431) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/hello", "X-Big: " + std::string(5000, 'a') + "\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->body, "header_too_large");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, TargetOverTheLimitIs414) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/" + std::string(2000, 'a')));  // within the header limit
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 414);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, TargetOverTheHeaderLimitIs414) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/" + std::string(6000, 'a')));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 414);
  EXPECT_EQ(response->body, "uri_too_long");
}

TEST(Server, GarbageIs400AndCloses) {
  RunningServer running;
  Client client(running.port());
  client.send("HELLO THERE\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, "bad_request");
  EXPECT_TRUE(client.closed_within(1000ms));
  EXPECT_EQ(running.dispatcher().plans.load(), 0);
}

TEST(Server, MalformedTargetIs400) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/a%zz"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

TEST(Server, Http11RequestWithoutHostIs400) {
  RunningServer running;
  Client client(running.port());
  client.send("GET /hello HTTP/1.1\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, UnknownTransferEncodingIs400) {
  RunningServer running;
  Client client(running.port());
  client.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\nabc");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

TEST(Server, HeadAnswerHasLengthButNoBody) {
  RunningServer running;
  Client client(running.port());
  client.send("HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n" + get("/echo"));
  auto head = client.read_response(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "2");
  // Were a body sent, it would corrupt the next response on the connection.
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->header("Content-Length"), "0");
}

TEST(Server, NoContentHasNoLength) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/empty") + get("/hello"));
  auto empty = client.read_response();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 204);
  EXPECT_FALSE(empty->header("Content-Length"));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hi");
}

TEST(Server, ConnectionCloseIsHonoured) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/hello", "Connection: close\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, ResponseCloseFlagClosesTheConnection) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/close"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "bye");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, Http10ClosesUnlessAskedToKeepAlive) {
  RunningServer running;
  {
    Client client(running.port());
    client.send("GET /hello HTTP/1.0\r\n\r\n");
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "hi");
    EXPECT_TRUE(client.closed_within(1000ms));
  }
  Client client(running.port());
  client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Connection"), "keep-alive");
  client.send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(client.read_response());
}

TEST(Server, ExpectContinueGets100BeforeTheBody) {
  RunningServer running;
  Client client(running.port());
  client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  client.send("abc");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "abc");
}

TEST(Server, SlowLorisGets408WhileOthersAreServed) {
  ServerOptions options = test_options();
  options.io_threads = 1;  // the drip must not hold the only I/O thread
  RunningServer running(options);
  Client loris(running.port());
  const auto start = Clock::now();
  loris.send("GET /hello HTTP/1.1\r\n");
  std::optional<RawResponse> timeout;
  for (const char c : std::string("Host: test\r\nX-Slow: drip-drip-drip")) {
    {
      Client other(running.port());
      other.send(get("/hello", "Connection: close\r\n"));
      auto response = other.read_response(false, 200ms);
      ASSERT_TRUE(response);
      EXPECT_EQ(response->body, "hi");
    }
    loris.send(std::string(1, c));
    if ((timeout = loris.read_response(false, 50ms))) break;
  }
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->status, 408);
  EXPECT_GE(elapsed_ms(start), 280);
  EXPECT_LT(elapsed_ms(start), 1000);
  EXPECT_TRUE(loris.closed_within(1000ms));
}

TEST(Server, SilentConnectionIsClosedWithoutAnAnswer) {
  RunningServer running;
  Client client(running.port());
  const auto start = Clock::now();
  EXPECT_TRUE(client.closed_within(2000ms));
  EXPECT_GE(elapsed_ms(start), 280);
  EXPECT_EQ(client.unread(), "");
}

TEST(Server, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options = test_options();
  options.read_timeout = 1000ms;
  options.idle_timeout = 200ms;
  RunningServer running(options);
  Client client(running.port());
  client.send(get("/hello"));
  ASSERT_TRUE(client.read_response());
  const auto start = Clock::now();
  EXPECT_TRUE(client.closed_within(2000ms));
  EXPECT_GE(elapsed_ms(start), 180);
  EXPECT_LT(elapsed_ms(start), 900);
  EXPECT_EQ(client.unread(), "");
}

TEST(Server, HandlerTimeoutIs503AndTheLateAnswerIsDropped) {
  ServerOptions options = test_options();
  options.handler_timeout = 150ms;
  RunningServer running(options);
  Client client(running.port());
  const auto start = Clock::now();
  client.send(get("/slow?ms=400"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "handler_timeout");
  EXPECT_LT(elapsed_ms(start), 350);
  EXPECT_TRUE(client.closed_within(1000ms));
  EXPECT_EQ(client.unread(), "");
}

TEST(Server, ConnectionsBeyondTheLimitGet503) {
  ServerOptions options = test_options();
  options.max_connections = 2;
  options.read_timeout = 2000ms;
  options.idle_timeout = 2000ms;
  RunningServer running(options);
  Client first(running.port());
  Client second(running.port());
  for (Client* client : {&first, &second}) {
    client->send(get("/hello"));
    ASSERT_TRUE(client->read_response());
  }
  {
    Client third(running.port());
    auto response = third.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(response->body, "service_unavailable");
    EXPECT_TRUE(third.closed_within(1000ms));
  }
  // Still served: the open ones keep working.
  first.send(get("/hello"));
  auto again = first.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "hi");
}

TEST(Server, ShutdownFinishesInFlightRequestsThenRunReturns) {
  ServerOptions options = test_options();
  options.read_timeout = 2000ms;
  options.idle_timeout = 2000ms;
  RunningServer running(options);
  Client idle(running.port());
  idle.send(get("/hello"));
  ASSERT_TRUE(idle.read_response());
  Client busy(running.port());
  busy.send(get("/slow?ms=300"));
  std::this_thread::sleep_for(100ms);

  const auto start = Clock::now();
  running.server().shutdown();
  running.server().shutdown();  // a second call changes nothing
  EXPECT_TRUE(idle.closed_within(200ms));
  EXPECT_EQ(idle.unread(), "");
  auto response = busy.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow");
  EXPECT_EQ(response->header("Connection"), "close");
  running.thread().join();
  EXPECT_TRUE(running.returned());
  EXPECT_LT(elapsed_ms(start), 1000);
  EXPECT_EQ(running.drains(), 1);
  Client late(running.port());
  EXPECT_FALSE(late.connected() && late.read_response(false, 200ms));
}

// spool_files lists the spool files in `dir` (the served test file excluded).
std::vector<std::string> spool_files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name != "served.bin") names.push_back(name);
  }
  return names;
}

// eventually polls `condition` for up to a second.
template <class Condition>
bool eventually(Condition condition) {
  const auto deadline = Clock::now() + 1000ms;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// binary_body is `size` bytes covering every byte value, CR/LF and NUL included.
std::string binary_body(std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return body;
}

TEST(Server, SpooledBodyReachesTheHandlerAsAFileWithTheExactBytes) {
  RunningServer running;
  const std::string body = binary_body(5000);  // over the 1024 in-memory limit, under kSpoolLimit
  Client client(running.port());
  client.send(post("/upload", body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body == body) << "spooled bytes differ";
  const auto spool = response->header("X-Spool").value_or("");
  EXPECT_EQ(spool.rfind(".spool-", 0), 0u) << spool;
  EXPECT_NE(spool.find("|5000|0"), std::string::npos) << spool;  // size 5000; nothing in request.body
  // The file goes with the request.
  EXPECT_TRUE(eventually([&] { return spool_files(running.dispatcher().spool_dir()).empty(); }));
}

TEST(Server, ChunkedSpooledBodyIsReassembled) {
  RunningServer running;
  Client client(running.port());
  client.send(
      "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nab\0\r\n2\r\n\r\n\r\n0\r\n\r\n"s);
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ab\0\r\n"s);
  EXPECT_NE(response->header("X-Spool").value_or("").find("|5|"), std::string::npos);
}

TEST(Server, SpoolingRouteWithoutABodyGetsNoFile) {
  RunningServer running;
  Client client(running.port());
  client.send(get("/upload"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "no file");
  EXPECT_TRUE(spool_files(running.dispatcher().spool_dir()).empty());
}

TEST(Server, SpooledBodyOverTheLimitIs413AndLeavesNoFile) {
  RunningServer running;
  const auto& dir = running.dispatcher().spool_dir();
  Client client(running.port());
  const std::string chunk(3000, 'x');
  client.send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n" + chunk +
              "\r\n");
  // The first chunk is on disk before the body is complete: it streams.
  ASSERT_TRUE(eventually([&] {
    const auto files = spool_files(dir);
    return files.size() == 1 && std::filesystem::file_size(dir + "/" + files[0]) == 3000;
  }));
  client.send("bb8\r\n" + chunk + "\r\nbb8\r\n" + chunk + "\r\n0\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(spool_files(dir).empty());  // removed before the answer went out
}

TEST(Server, DeclaredSpooledBodyOverTheLimitIs413WithoutAFile) {
  RunningServer running;
  Client client(running.port());
  client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 9000\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(spool_files(running.dispatcher().spool_dir()).empty());
}

TEST(Server, ClientLeavingMidBodyLeavesNoSpoolFile) {
  RunningServer running;
  const auto& dir = running.dispatcher().spool_dir();
  {
    Client client(running.port());
    client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 4000\r\n\r\n" +
                std::string(1000, 'y'));
    ASSERT_TRUE(eventually([&] {
      const auto files = spool_files(dir);
      return files.size() == 1 && std::filesystem::file_size(dir + "/" + files[0]) == 1000;
    }));
  }  // the client closes its socket here
  EXPECT_TRUE(eventually([&] { return spool_files(dir).empty(); }));
}

TEST(Server, PlanCanRefuseARequestBeforeItsBody) {
  RunningServer running;
  Client client(running.port());
  const auto start = Clock::now();
  client.send("POST /refuse HTTP/1.1\r\nHost: test\r\nContent-Length: 500\r\n\r\n");  // body never sent
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(response->body, "unauthorized");
  EXPECT_LT(elapsed_ms(start), 250);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Server, FileResponseIsStreamedByteExact) {
  RunningServer running;
  const std::string content = binary_body(200000);  // several 64 KiB reads
  {
    std::ofstream out(running.dispatcher().spool_dir() + "/served.bin", std::ios::binary);
    out << content;
  }
  Client client(running.port());
  client.send(get("/file") + "HEAD /file HTTP/1.1\r\nHost: test\r\n\r\n" + get("/hello"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Length"), "200000");
  EXPECT_EQ(response->header("Content-Type"), "application/octet-stream");
  EXPECT_TRUE(response->body == content) << "file bytes differ";
  auto head = client.read_response(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), "200000");
  auto next = client.read_response();  // a HEAD that sent the file would corrupt this one
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hi");
}

TEST(Server, FileRangeResponseSendsOnlyTheRange) {
  RunningServer running;
  const std::string content = binary_body(150000);
  {
    std::ofstream out(running.dispatcher().spool_dir() + "/served.bin", std::ios::binary);
    out << content;
  }
  Client client(running.port());
  client.send(get("/file?o=65530&n=70001") + get("/file?o=0&n=1"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 206);
  EXPECT_EQ(response->header("Content-Length"), "70001");
  EXPECT_TRUE(response->body == content.substr(65530, 70001)) << "range bytes differ";
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, content.substr(0, 1));
}

TEST(Server, FileShorterThanPromisedClosesTheConnection) {
  RunningServer running;
  {
    std::ofstream out(running.dispatcher().spool_dir() + "/served.bin", std::ios::binary);
    out << "short";
  }
  Client client(running.port());
  client.send(get("/file?o=0&n=100"));
  // The head promised 100 bytes; only a close can tell the client they will not come.
  EXPECT_FALSE(client.read_response(false, 1000ms));
  EXPECT_TRUE(client.closed_within(1000ms));
}

}  // namespace
}  // namespace keel::http

// keel/http/server.hpp — the HTTP/1.1 server (Boost.Beast), behind a small interface.
//
// The server owns sockets, parsing, limits, timeouts and the shutdown drain;
// it knows nothing about routes or JSON. For each request it asks its
// Dispatcher twice: `plan` with the head only (to pick the body limit and
// the thread to run on before a byte of body is read), then `handle` with
// the whole request. Beast stays inside server.cpp/connection.cpp so that
// including this header is cheap. With a certificate it serves HTTPS instead
// of HTTP (TLS termination for deployments without a proxy).
//
//   keel::http::Server server(options, dispatcher);
//   server.on_drain([&] { app.set_draining(); });
//   server.run();   // blocks until SIGTERM/SIGINT and the drain are over
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "keel/http/request.hpp"
#include "keel/http/response.hpp"
#include "keel/http/route.hpp"

namespace keel::http {

// RequestPlan is what the dispatcher decides from the request head.
struct RequestPlan {
  std::size_t body_limit = 0;         // bytes; a larger body is answered 413
  Execution execution = Execution::pool;
  // body_spool_dir, when set, streams the body into a temp file there
  // (Request::body_file) instead of memory; the limit applies as it arrives.
  std::string body_spool_dir;
};

// Dispatcher is the application side of the server. Implementations must be
// safe to call from many threads at once.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // plan is called once the head is parsed (body not read). It may fill
  // request.context (matched route, path parameters) for `handle` to reuse,
  // and may set context.early_error to refuse the request before its body is
  // read (e.g. an upload without valid credentials); the connection then
  // answers through `handle` and closes.
  virtual RequestPlan plan(Request& head) const = 0;
  // handle runs the pipeline and never throws. It also answers requests that
  // carry context.early_error (413, 431, 414, 408, handler timeout, …).
  virtual Response handle(Request& request) const noexcept = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;          // 0 = any free port (see Server::port())
  unsigned io_threads = 1;            // threads running the I/O loop (WORKERS)
  unsigned handler_threads = 1;       // threads of the handler pool (App: max(WORKERS, DATABASE_POOL_SIZE))
  std::size_t max_header_bytes = std::size_t{16} * 1024;  // whole header section → 431 beyond
  std::size_t max_target_bytes = std::size_t{8} * 1024;  // request target → 414 beyond
  std::size_t max_connections = 10000;       // accepted beyond this are answered 503 and closed
  std::size_t max_connections_per_client = 256;  // from one peer address; beyond → 503 and closed
  // connection_cap_exempt, when set, names peers that max_connections_per_client
  // does not apply to (a trusted proxy carries many clients); asked only at the cap.
  std::function<bool(const std::string& peer_address)> connection_cap_exempt;
  std::size_t max_in_flight = 512;  // requests in flight; a pool-route request beyond → 503, body unread
  std::chrono::milliseconds read_timeout{10000};     // head + body of one request
  std::chrono::milliseconds idle_timeout{60000};     // keep-alive wait for the next request
  std::chrono::milliseconds handler_timeout{30000};  // pool handlers → 503 handler_timeout beyond
  std::chrono::milliseconds shutdown_grace{10000};   // drain limit after SIGTERM
  // tls_cert_file and tls_key_file (PEM), when both set, make the server
  // speak HTTPS only: TLS 1.2+ with forward-secret AEAD ciphers.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class Server {
 public:
  Server(ServerOptions options, const Dispatcher& dispatcher);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // listen loads the TLS certificate (if any), binds and starts accepting;
  // throws std::runtime_error with a clear message when the certificate or
  // key cannot be used or the address cannot be bound. Returns the bound port.
  std::uint16_t listen();
  // run serves until SIGTERM/SIGINT (or shutdown()), drains, and returns.
  // Must be called after listen(), from one thread.
  void run();
  // shutdown starts the drain from any thread (as SIGTERM does).
  void shutdown();
  // on_drain registers a callback run once when the drain begins
  // (e.g. to make /readiness answer 503).
  void on_drain(std::function<void()> callback);
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::http

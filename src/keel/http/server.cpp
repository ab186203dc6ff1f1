// Server: the listener, the I/O threads, the handler pool, signals and the
// shutdown drain. Connections (all of the HTTP) live in connection.cpp.
//
// Threading: `strand` (the server strand) owns the acceptor, the retry and
// drain timers, the signal set's handler and the drain state. listen() and
// run()'s set-up happen on the caller's thread before any I/O thread starts;
// shutdown() only posts to the strand. Connections run on their own strands
// and share ServerCore (atomics + mutex) with the server.
#include "keel/http/server.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "keel/http/connection.hpp"

namespace keel::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// kAcceptRetryDelay pauses accepting after running out of descriptors or
// memory, instead of spinning on the failing accept.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// kDrainPoll is how often the drain checks whether in-flight requests are done.
constexpr std::chrono::milliseconds kDrainPoll{10};

[[noreturn]] void throw_listen_error(const ServerOptions& options, const std::string& reason) {
  const bool ipv6_literal = options.host.find(':') != std::string::npos;
  const std::string host = ipv6_literal ? "[" + options.host + "]" : options.host;
  throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(options.port) + ": " + reason);
}

// kTls12Ciphers is Mozilla's "intermediate" TLS 1.2 list: ECDHE key exchange
// (forward secrecy) with AEAD ciphers only. TLS 1.3 suites are all modern.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// select_http11 answers ALPN: Keel speaks HTTP/1.1 only, so a client that
// offers h2 and http/1.1 learns which one to use.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                  unsigned int offered_length, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// make_tls_context loads the certificate chain and key; throws with the file
// and OpenSSL's reason when they cannot be used.
std::unique_ptr<net::ssl::context> make_tls_context(const ServerOptions& options) {
  auto context = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_compression |
                       net::ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) throw std::runtime_error("cannot use TLS_CERT_FILE " + options.tls_cert_file + ": " + ec.message());
  context->use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot use TLS_KEY_FILE " + options.tls_key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS_KEY_FILE does not match the certificate in TLS_CERT_FILE");
  }
  return context;
}

bool is_resource_exhaustion(const error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory || ec == error_code(ENFILE, boost::system::system_category());
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions server_options, const Dispatcher& dispatcher)
      : options(std::move(server_options)),
        pool(std::max(1u, options.handler_threads)),
        core(options, dispatcher, pool),
        ioc(static_cast<int>(std::max(1u, options.io_threads))),
        strand(net::make_strand(ioc)),
        acceptor(strand),
        accept_retry(strand),
        drain_timer(strand) {}

  void start_accepting() {
    acceptor.async_accept(net::make_strand(ioc), [this](error_code ec, detail::ConnectionSocket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(error_code ec, detail::ConnectionSocket socket) {
    if (!acceptor.is_open()) return;  // closed by the drain
    if (ec) {
      if (!is_resource_exhaustion(ec)) return start_accepting();  // e.g. the client gave up
      accept_retry.expires_after(kAcceptRetryDelay);
      accept_retry.async_wait([this](error_code wait_ec) {
        if (!wait_ec) start_accepting();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small responses must not wait for Nagle
    if (core.open_connections.load() >= options.max_connections) {
      detail::reject_connection(core, std::move(socket));
    } else {
      detail::start_connection(core, std::move(socket));
    }
    start_accepting();
  }

  void wait_for_signal() {
    signals->async_wait([this](error_code ec, int) {
      if (ec) return;
      // A second signal during the drain means "stop now".
      if (drain_started) return stop();
      begin_drain();
      wait_for_signal();
    });
  }

  // begin_drain (server strand): callbacks, stop accepting, close idle
  // connections, then wait for in-flight requests up to shutdown_grace.
  void begin_drain() {
    if (drain_started) return;
    drain_started = true;
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(callbacks_mutex);
      callbacks = drain_callbacks;
    }
    for (const auto& callback : callbacks) {
      try {
        callback();
      } catch (...) {
        // A failing callback must not keep the server from shutting down.
      }
    }
    core.draining.store(true);
    error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    detail::drain_connections(core);
    drain_deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    wait_drained();
  }

  void wait_drained() {
    drain_timer.expires_after(kDrainPoll);
    drain_timer.async_wait([this](error_code ec) {
      if (ec) return;
      if (core.in_flight.load() == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
        return stop();
      }
      wait_drained();
    });
  }

  void stop() { ioc.stop(); }

  const ServerOptions options;
  std::unique_ptr<net::ssl::context> tls;  // set by listen() when TLS is configured
  net::thread_pool pool;
  detail::ServerCore core;
  // Declared after `core`: destroying the io_context destroys queued
  // handlers that own connections, whose destructors use `core`.
  net::io_context ioc;
  net::strand<net::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  net::steady_timer drain_timer;
  std::optional<net::signal_set> signals;  // exists while run() runs

  std::mutex callbacks_mutex;
  std::vector<std::function<void()>> drain_callbacks;

  bool drain_started = false;                            // server strand
  std::chrono::steady_clock::time_point drain_deadline;  // server strand
  std::uint16_t bound_port = 0;                          // written by listen() before run()
};

Server::Server(ServerOptions options, const Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), dispatcher)) {}

Server::~Server() = default;

std::uint16_t Server::listen() {
  Impl& impl = *impl_;
  if (!impl.options.tls_cert_file.empty() && !impl.tls) {
    impl.tls = make_tls_context(impl.options);
    impl.core.tls = impl.tls.get();
  }
  error_code ec;
  tcp::resolver resolver(impl.ioc);
  auto endpoints = resolver.resolve(impl.options.host, std::to_string(impl.options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) throw_listen_error(impl.options, ec.message());
  error_code last_error = net::error::host_not_found;
  for (const auto& entry : endpoints) {
    tcp::acceptor& acceptor = impl.acceptor;
    error_code step;
    acceptor.open(entry.endpoint().protocol(), step);
    if (!step) acceptor.set_option(tcp::acceptor::reuse_address(true), step);
    if (!step) acceptor.bind(entry.endpoint(), step);
    if (!step) acceptor.listen(net::socket_base::max_listen_connections, step);
    if (!step) {
      impl.bound_port = acceptor.local_endpoint().port();
      impl.start_accepting();
      return impl.bound_port;
    }
    last_error = step;
    error_code ignored;
    acceptor.close(ignored);
  }
  throw_listen_error(impl.options, last_error.message());
}

void Server::run() {
  Impl& impl = *impl_;
  impl.signals.emplace(impl.strand, SIGINT, SIGTERM);
  impl.wait_for_signal();
  std::vector<std::thread> extra_threads;
  for (unsigned i = 1; i < std::max(1u, impl.options.io_threads); ++i) {
    extra_threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  impl.ioc.run();
  for (auto& thread : extra_threads) thread.join();
  // Handlers still running past the grace period are waited for here: a
  // thread cannot be killed safely.
  impl.pool.stop();
  impl.pool.join();
  impl.signals.reset();
}

void Server::shutdown() {
  net::post(impl_->strand, [impl = impl_.get()] { impl->begin_drain(); });
}

void Server::on_drain(std::function<void()> callback) {
  std::lock_guard lock(impl_->callbacks_mutex);
  impl_->drain_callbacks.push_back(std::move(callback));
}

std::uint16_t Server::port() const { return impl_->bound_port; }

}  // namespace keel::http

// keel/http/connection.hpp — private to the server: what a connection shares
// with the Server, and how the Server hands it an accepted socket.
//
// Only server.cpp and connection.cpp include this file; it pulls in Asio's
// socket types (not Beast), so server.cpp stays cheap to compile while all
// HTTP parsing lives in connection.cpp.
//
//   ServerCore core{options, dispatcher, pool};
//   core.tls = &tls_context;   // optional: serve HTTPS
//   start_connection(core, std::move(accepted_socket));
//   ...
//   core.draining = true;
//   drain_connections(core);  // idle keep-alive connections close now
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "keel/http/server.hpp"

namespace boost::asio::ssl {
class context;
}

namespace keel::http::detail {

class Connection;

// ConnectionExecutor is a connection's own strand: its handlers never run
// concurrently, so its state needs no lock.
using ConnectionExecutor = boost::asio::strand<boost::asio::io_context::executor_type>;
// ConnectionSocket is a socket bound to its strand by type (no type-erased
// executor on the hot path).
using ConnectionSocket = boost::asio::ip::tcp::socket::rebind_executor<ConnectionExecutor>::other;

// ServerCore is the state every connection shares with the server. The
// references are fixed at construction; everything mutable is atomic or
// guarded by `mutex`, because connections run on many I/O threads (each on
// its own strand) and are destroyed on whichever thread drops the last owner.
struct ServerCore {
  ServerCore(const ServerOptions& server_options, const Dispatcher& request_dispatcher,
             boost::asio::thread_pool& handler_pool)
      : options(server_options), dispatcher(request_dispatcher), pool(handler_pool) {}

  const ServerOptions& options;
  const Dispatcher& dispatcher;
  boost::asio::thread_pool& pool;  // runs Execution::pool handlers
  // tls, when set, makes every connection TLS (TLS_CERT_FILE); set by
  // Server::listen() before the first connection, read-only afterwards.
  boost::asio::ssl::context* tls = nullptr;

  // draining is set once, by the server, when the shutdown drain begins.
  std::atomic<bool> draining{false};
  // open_connections counts served connections (not the 503-rejected ones).
  std::atomic<std::size_t> open_connections{0};
  // in_flight counts requests whose first byte arrived and whose response is
  // not yet written; the drain waits for it to reach zero.
  std::atomic<std::size_t> in_flight{0};

  // connections lists the live served connections so the drain can reach
  // them; guarded by `mutex` (added by accept, removed by ~Connection).
  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t next_connection_id = 0;
  // connections_per_client counts served connections per peer address for
  // max_connections_per_client; guarded by `mutex`, entries erased at zero.
  std::unordered_map<boost::asio::ip::address, std::size_t> connections_per_client;
};

// start_connection serves HTTP/1.1 (or HTTPS when core.tls is set) on an
// accepted socket whose executor is the connection's own strand; beyond
// max_connections_per_client for its peer address it rejects it instead.
void start_connection(ServerCore& core, ConnectionSocket socket);

// reject_connection answers an accepted socket with the dispatcher's 503
// (early_error = service_unavailable) and closes it; used beyond
// max_connections and max_connections_per_client.
void reject_connection(ServerCore& core, ConnectionSocket socket);

// drain_connections tells every live connection that the drain began: idle
// keep-alive connections close at once, busy ones close after their response.
// Call after setting core.draining.
void drain_connections(ServerCore& core);

}  // namespace keel::http::detail

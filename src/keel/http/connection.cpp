// One HTTP/1.1 connection on Boost.Beast: the Beast examples' session shape
// (wait → read head → plan → read body → handle → write → keep-alive loop or
// close) plus Keel's limits, timeouts, handler pool and shutdown drain.
// BasicConnection<Stream> serves a plain TCP socket or, with TLS_CERT_FILE,
// a Beast ssl_stream over it: the session code is shared, and the few steps
// that differ (handshake, waiting for the next request, closing) are
// `if constexpr (kTls)` branches.
//
// Uploads: a route whose plan names a body_spool_dir gets its body appended
// to a SpooledFile as it arrives (SpoolBody), under the same body limit, and
// a Response::file is sent from disk in chunks (FileRangeBody); neither
// holds a whole file in memory.
//
// Threading: a connection's members are touched only on its strand (the
// executor of `stream_`); every completion handler runs there. A pool
// handler gets its own shared_ptr<Request> and posts its Response back to the
// strand, so the pool never touches connection state. Shared server state is
// in ServerCore (atomics and a mutex).
#include "keel/http/connection.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "keel/errors/error_code.hpp"
#include "keel/http/response_head.hpp"
#include "keel/http/spooled_file.hpp"

namespace keel::http::detail {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using errors::ErrorCode;
using Milliseconds = std::chrono::milliseconds;
using Timer = net::steady_timer::rebind_executor<ConnectionExecutor>::other;
// TlsStream is TLS over the connection's socket; Beast's ssl_stream coalesces
// the many small buffers of a response into few TLS records.
using TlsStream = boost::beast::ssl_stream<ConnectionSocket>;

// kMaxLinger bounds how long a closing connection keeps reading and
// discarding input after its last response, so that unread request bytes
// (e.g. the body of a 413) do not turn our close into a TCP reset that could
// destroy the response before the client reads it.
constexpr Milliseconds kMaxLinger{2000};
constexpr std::size_t kDiscardChunk = 4096;
// kWaitReadChunk is what a connection reads while waiting for a request.
constexpr std::size_t kWaitReadChunk = 4096;
// kKeptHeadCapacity bounds the response-head buffer a connection keeps
// between requests (an unusually large head is not kept for its lifetime).
constexpr std::size_t kKeptHeadCapacity = std::size_t{16} * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// kSpoolPrefix names spooled bodies in the spool directory (dot: hidden from listings).
constexpr std::string_view kSpoolPrefix = ".spool-";
// kFileChunk is how much of a file response is read from disk per write.
constexpr std::size_t kFileChunk = std::size_t{64} * 1024;

// io_failure marks a local disk error (spool write, file read) apart from
// socket errors (system category) and Beast's parse errors.
error_code io_failure(int error_number) { return {error_number, boost::system::generic_category()}; }

// SpoolBody is a Beast request body that appends each piece to a SpooledFile
// as the parser produces it, so an upload never sits whole in memory; the
// parser's body_limit still applies while it streams.
struct SpoolBody {
  using value_type = SpooledFile;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& file) : file_(file) {}

    void init(const boost::optional<std::uint64_t>&, error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      std::size_t written = 0;
      for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
        const net::const_buffer piece = *it;
        if (!file_.append(piece.data(), piece.size())) {
          ec = io_failure(errno);
          return written;
        }
        written += piece.size();
      }
      ec = {};
      return written;
    }

    void finish(error_code& ec) { ec = {}; }

   private:
    value_type& file_;
  };
};

// FileRangeBody is a Beast response body that reads a FileRange from disk
// kFileChunk bytes at a time (pread: the descriptor's offset is never moved,
// so one open file could serve several responses).
struct FileRangeBody {
  using value_type = std::shared_ptr<const FileRange>;

  static std::uint64_t size(const value_type& file) { return file ? file->length() : 0; }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;

    template <bool isRequest, class Fields>
    writer(const bhttp::header<isRequest, Fields>&, const value_type& file) : file_(file) {}

    void init(error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(error_code& ec) {
      const std::uint64_t length = size(file_);
      if (sent_ >= length) {
        ec = {};
        return boost::none;
      }
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length - sent_, buffer_.size()));
      ssize_t got = -1;
      do {
        got = ::pread(file_->fd(), buffer_.data(), want, static_cast<off_t>(file_->offset() + sent_));
      } while (got < 0 && errno == EINTR);
      // A file that shrank under us cannot honour the Content-Length sent: fail the write.
      if (got <= 0) {
        ec = io_failure(got < 0 ? errno : EIO);
        return boost::none;
      }
      sent_ += static_cast<std::uint64_t>(got);
      ec = {};
      return std::make_pair(net::const_buffer(buffer_.data(), static_cast<std::size_t>(got)), sent_ < length);
    }

   private:
    const value_type& file_;
    std::uint64_t sent_ = 0;
    std::array<char, kFileChunk> buffer_{};
  };
};

// http_date formats the current time as an IMF-fixdate for the Date header,
// formatted once per second per thread. Day and month names are spelled out
// here because strftime's depend on the locale.
const std::string& http_date() {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::array<char, 40> text{};
    std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  kDays[static_cast<std::size_t>(tm.tm_wday)], tm.tm_mday,
                  kMonths[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached = text.data();
    cached_second = now;
  }
  return cached;
}

// transfer_encoding_supported accepts no Transfer-Encoding or exactly
// "chunked": RFC 9112 §6.1 makes a server answer 400 to a coding it does not
// know, and Beast would otherwise treat "gzip" alone as "no body".
bool transfer_encoding_supported(const bhttp::request_header<>& head, bool chunked) {
  const auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return true;
  std::size_t codings = 0;
  bool only_chunked = true;
  for (auto it = first; it != last; ++it) {
    for (auto token : bhttp::token_list{it->value()}) {
      ++codings;
      only_chunked = only_chunked && iequals(token, "chunked");
    }
  }
  return chunked && codings == 1 && only_chunked;
}

// peer_of returns the remote address, an IPv4-mapped IPv6 address (seen on
// a dual-stack listener) as plain IPv4, so that both spellings of one client
// share a per-client count and a log spelling.
std::optional<net::ip::address> peer_of(const ConnectionSocket& socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

// Connection is what the server's registry and drain see of a connection.
class Connection {
 public:
  virtual ~Connection() = default;
  // drain closes the connection if it is waiting for a request; a busy one
  // sees core.draining when it writes its response and closes after it.
  virtual void drain() = 0;
};

namespace {

// BasicConnection serves HTTP/1.1 requests on one stream (ConnectionSocket
// or TlsStream), one at a time and in order; it lives as long as a pending
// operation or pool task owns it.
template <class Stream>
class BasicConnection final : public Connection,
                              public std::enable_shared_from_this<BasicConnection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // BasicConnection takes the accepted socket; `id` is its key in
  // core.connections, or 0 for a rejected connection (not counted, not
  // drained); `client` is the peer address counted in core.connections_per_client.
  BasicConnection(ServerCore& core, ConnectionSocket socket, std::uint64_t id,
                  std::optional<net::ip::address> client)
      : core_(core),
        stream_(make_stream(core, std::move(socket))),
        timer_(stream_.get_executor()),
        id_(id),
        client_(std::move(client)) {
    if (id_ != 0) core_.open_connections.fetch_add(1);
  }

  ~BasicConnection() override {
    if (id_ == 0) return;
    {
      std::lock_guard lock(core_.mutex);
      core_.connections.erase(id_);
      if (client_) {
        const auto it = core_.connections_per_client.find(*client_);
        if (it != core_.connections_per_client.end() && --it->second == 0) {
          core_.connections_per_client.erase(it);
        }
      }
    }
    core_.open_connections.fetch_sub(1);
  }

  BasicConnection(const BasicConnection&) = delete;
  BasicConnection& operator=(const BasicConnection&) = delete;

  // start begins serving requests.
  void start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->on_start(); });
  }

  // reject answers 503 without reading a request, then closes.
  void reject() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->load_peer()) return self->close();
      // A rejected connection is not counted anywhere, so its TLS handshake
      // gets only the short linger time, not a whole read_timeout.
      self->handshake(std::min<Milliseconds>(self->core_.options.read_timeout, kMaxLinger), [self] {
        self->request_ = self->blank_request();
        self->fail_request(ErrorCode::service_unavailable);
      });
    });
  }

  // registered is false for a connection made only to be rejected.
  bool registered() const { return id_ != 0; }

  void drain() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->phase_ == Phase::waiting || self->phase_ == Phase::handshake) self->close();
    });
  }

 private:
  // Phase is where the connection is in its request loop.
  enum class Phase { handshake, waiting, reading, handling, writing, closing, closed };
  // Deadline says what the single timer currently guards.
  enum class Deadline { none, idle, read, write, handler, linger };

  static Stream make_stream(ServerCore& core, ConnectionSocket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core.tls);
    } else {
      (void)core;
      return socket;
    }
  }

  // tcp is the TCP socket under the stream (the stream itself when plain).
  ConnectionSocket& tcp() { return boost::beast::get_lowest_layer(stream_); }

  bool load_peer() {
    auto address = peer_of(tcp());
    if (!address) return false;
    peer_address_ = address->to_string();
    return true;
  }

  void on_start() {
    if (!load_peer()) return close();
    handshake(core_.options.read_timeout,
              [self = this->shared_from_this()] { self->wait_for_request(/*first=*/true); });
  }

  // handshake runs the TLS handshake within `limit`, then `then`; a failed
  // or too slow handshake closes silently (there is no HTTP to answer in).
  // Plain connections go straight to `then`.
  template <class Then>
  void handshake(Milliseconds limit, Then then) {
    if constexpr (kTls) {
      phase_ = Phase::handshake;
      arm(limit, Deadline::idle);
      auto on_handshake = [self = this->shared_from_this(), then = std::move(then)](error_code ec) mutable {
        if (self->phase_ != Phase::handshake) return;  // closed by the deadline or the drain
        self->disarm();
        if (ec) return self->close();
        then();
      };
      stream_.async_handshake(net::ssl::stream_base::server, std::move(on_handshake));
    } else {
      (void)limit;
      then();
    }
  }

  // wait_for_request waits for the first byte of the next request: up to
  // read_timeout on a new connection, idle_timeout between keep-alive
  // requests. Pipelined bytes already buffered start the request at once.
  void wait_for_request(bool first) {
    if (core_.draining.load()) return close();
    if (buffer_.size() > 0) return begin_request();
    phase_ = Phase::waiting;
    arm(first ? core_.options.read_timeout : core_.options.idle_timeout, Deadline::idle);
    // A read, not a readiness wait: the request's first bytes land in the
    // buffer where the head parser finds them, and (TLS) decrypted bytes
    // inside the TLS engine, invisible to a socket wait, are seen. On plain
    // TCP it also saves a syscall per request: Asio re-arms epoll
    // (epoll_ctl) for every async_wait, but not for a queued read.
    stream_.async_read_some(buffer_.prepare(kWaitReadChunk),
                            [self = this->shared_from_this()](error_code ec, std::size_t bytes) {
                              if (self->phase_ == Phase::waiting && !ec) self->buffer_.commit(bytes);
                              self->on_readable(ec);
                            });
  }

  void on_readable(error_code ec) {
    if (phase_ != Phase::waiting) return;  // closed by the idle deadline or the drain
    if (ec) return close();
    begin_request();
  }

  // begin_request reads one request head under read_timeout, which then
  // keeps running through the body: a slow-loris client cannot extend it.
  void begin_request() {
    phase_ = Phase::reading;
    core_.in_flight.fetch_add(1);
    counted_in_flight_ = true;
    first_byte_at_ = RequestContext::Clock::now();
    keep_alive_ = false;
    close_after_response_ = false;
    plan_ = RequestPlan{};
    request_ = blank_request();
    arm(core_.options.read_timeout, Deadline::read);
    head_parser_.emplace();
    head_parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(core_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // The body limit is the dispatcher's choice, made once the head is known.
    head_parser_->body_limit(boost::none);
    // The head is usually whole in the buffer already (read while waiting):
    // parse it here. async_read_header would parse the same bytes but post its
    // completion through the strand first, a queue round trip per request.
    error_code ec = bhttp::error::need_more;
    if (buffer_.size() > 0) buffer_.consume(head_parser_->put(buffer_.data(), ec));
    if (ec != bhttp::error::need_more) return on_head(ec);
    bhttp::async_read_header(
        stream_, buffer_, *head_parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_head(ec); });
  }

  void on_head(error_code ec) {
    if (phase_ != Phase::reading) return;
    if (!ec && deadline_expired_) ec = net::error::operation_aborted;  // the deadline won the race
    if (ec) return on_read_failed(ec);

    fill_request(head_parser_->get());
    keep_alive_ = head_parser_->keep_alive();
    if (request_.target.size() > core_.options.max_target_bytes) {
      return fail_request(ErrorCode::uri_too_long);
    }
    if (!split_target(request_.target, request_.path, request_.query)) {
      return fail_request(ErrorCode::bad_request);
    }
    // RFC 9112 §3.2: an HTTP/1.1 request needs exactly one Host.
    if (request_.version == 11 && request_.headers.get_all("Host").size() != 1) {
      return fail_request(ErrorCode::bad_request);
    }
    if (!transfer_encoding_supported(head_parser_->get(), head_parser_->chunked())) {
      return fail_request(ErrorCode::bad_request);
    }
    try {
      plan_ = core_.dispatcher.plan(request_);
    } catch (...) {  // plan() should not throw; if it does, the client gets a 500, not a crash
      return fail_request(ErrorCode::internal_error);
    }
    // The dispatcher refused the request from its head (e.g. no credentials
    // for an upload): answer before a byte of body is accepted.
    if (request_.context.early_error) return fail_request(*request_.context.early_error);
    // Overload: beyond max_in_flight (this request included) a request bound
    // for the handler pool is refused before its body is read, so a flood
    // cannot grow the pool's queue and memory; inline routes (/health,
    // /metrics) never block and still answer.
    if (plan_.execution == Execution::pool && core_.in_flight.load() > core_.options.max_in_flight) {
      return fail_request(ErrorCode::service_unavailable);
    }
    if (head_parser_->is_done()) return dispatch();

    // A declared length over the limit is refused before a byte of body is read.
    if (auto length = head_parser_->content_length(); length && *length > plan_.body_limit) {
      return fail_request(ErrorCode::payload_too_large);
    }
    if (plan_.body_spool_dir.empty()) {
      body_parser_.emplace(std::move(*head_parser_));
      body_parser_->body_limit(plan_.body_limit);
    } else {
      auto spool = SpooledFile::create(plan_.body_spool_dir, kSpoolPrefix);
      if (!spool) return fail_request(ErrorCode::internal_error);
      spool_parser_.emplace(std::move(*head_parser_));
      spool_parser_->get().body() = std::move(*spool);
      spool_parser_->body_limit(plan_.body_limit);
    }
    head_parser_.reset();
    auto expect = request_.headers.get("Expect");
    if (request_.version == 11 && expect && iequals(*expect, "100-continue")) {
      return send_continue();
    }
    read_body();
  }

  // send_continue tells a client waiting on "Expect: 100-continue" that its
  // body is welcome (an oversized one was answered 413 above instead).
  void send_continue() {
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = this->shared_from_this()](error_code ec, std::size_t) {
                       if (self->phase_ != Phase::reading) return;
                       if (ec || self->deadline_expired_) return self->close();
                       self->read_body();
                     });
  }

  void read_body() {
    auto on_read = [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); };
    if (spool_parser_) return bhttp::async_read(stream_, buffer_, *spool_parser_, std::move(on_read));
    bhttp::async_read(stream_, buffer_, *body_parser_, std::move(on_read));
  }

  void on_body(error_code ec) {
    if (phase_ != Phase::reading) return;
    if (!ec && deadline_expired_) ec = net::error::operation_aborted;
    if (ec == bhttp::error::body_limit) {
      spool_parser_.reset();  // removes the partial spool file before the 413 goes out
      return fail_request(ErrorCode::payload_too_large);
    }
    if (ec && ec.category() == boost::system::generic_category()) {
      spool_parser_.reset();  // the disk refused the spool (full, quota): not the client's fault
      return fail_request(ErrorCode::internal_error);
    }
    if (ec) return on_read_failed(ec);
    if (spool_parser_) {
      auto& spooled = spool_parser_->get().body();
      spooled.finish_writing();
      request_.body_file = std::make_shared<SpooledFile>(std::move(spooled));
      spool_parser_.reset();
    } else {
      request_.body = std::move(body_parser_->get().body());
      body_parser_.reset();
    }
    dispatch();
  }

  // on_read_failed sorts a failed read into an answer (408, 431, 414, 400)
  // or a silent close (the client left, or never sent a byte).
  void on_read_failed(error_code ec) {
    const bool reading_body = body_parser_.has_value() || spool_parser_.has_value();
    spool_parser_.reset();  // a body cut short (timeout, disconnect) leaves no spool file
    if (!reading_body && head_parser_) fill_request(head_parser_->get());
    if (deadline_expired_) {
      const bool any_byte = buffer_.size() > 0 || reading_body || (head_parser_ && head_parser_->got_some());
      if (any_byte) return fail_request(ErrorCode::request_timeout);
      return close();
    }
    if (ec == bhttp::error::header_limit) return fail_request(classify_oversized_head());
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return close();
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
      return fail_request(ErrorCode::bad_request);
    }
    close();  // a socket error: nobody to answer
  }

  // classify_oversized_head tells a too-long request target (414) from a
  // too-large header section (431) after Beast's header_limit error.
  ErrorCode classify_oversized_head() const {
    const std::size_t limit = core_.options.max_target_bytes;
    // Beast consumes the request line only once the whole head is buffered;
    // then the target is known.
    if (!request_.target.empty()) {
      return request_.target.size() > limit ? ErrorCode::uri_too_long : ErrorCode::header_too_large;
    }
    // Otherwise the request line is at the front of the buffer, perhaps cut
    // short: measure the target between the first space and the last one
    // before the line's end (or the end of what arrived).
    const auto data = buffer_.data();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    const std::string_view line = text.substr(0, text.find('\n'));
    const auto first_space = line.find(' ');
    if (first_space == std::string_view::npos) return ErrorCode::header_too_large;
    auto end = line.rfind(' ');
    if (end == first_space) end = line.size();
    return end - first_space - 1 > limit ? ErrorCode::uri_too_long : ErrorCode::header_too_large;
  }

  // blank_request is a request with only the connection's facts, for
  // answers given before (or without) a parsed head.
  Request blank_request() const {
    Request request;
    request.peer_address = peer_address_;
    request.context.client_ip = peer_address_;
    request.context.secure = kTls;  // a trusted proxy's X-Forwarded-Proto may say otherwise later
    request.context.received_at = first_byte_at_;
    return request;
  }

  // fill_request copies Beast's (possibly partial) head into request_.
  void fill_request(const bhttp::request_header<>& head) {
    request_.method_name = std::string(head.method_string());
    request_.method = method_from_string(request_.method_name);
    request_.target = std::string(head.target());
    request_.version = head.version() == 10 ? 10 : 11;
    request_.headers = Headers{};
    request_.headers.reserve(static_cast<std::size_t>(std::distance(head.begin(), head.end())));
    for (const auto& field : head) {
      request_.headers.add(field.name_string(), std::string(field.value()));
    }
  }

  // fail_request answers an early error (the dispatcher renders it) and
  // closes after the response: the rest of the request was not read.
  void fail_request(ErrorCode code) {
    disarm();
    phase_ = Phase::handling;
    close_after_response_ = true;
    request_.context.early_error = code;
    write_response(core_.dispatcher.handle(request_), request_);
  }

  // dispatch runs the handler: inline on this strand (never-blocking routes
  // such as /health, no thread hop) or on the handler pool under
  // handler_timeout.
  void dispatch() {
    disarm();
    phase_ = Phase::handling;
    Request request = std::move(request_);
    if (plan_.execution == Execution::inline_io) {
      Response response = core_.dispatcher.handle(request);
      return write_response(std::move(response), request);
    }
    // The pool task owns the request, so the timeout answer needs its own
    // copy of the head (copied without the body).
    std::string body = std::move(request.body);
    auto body_file = std::move(request.body_file);
    timeout_head_ = request;
    request.body = std::move(body);
    request.body_file = std::move(body_file);
    const auto sequence = ++request_sequence_;
    arm(core_.options.handler_timeout, Deadline::handler);
    net::post(
        core_.pool, [self = this->shared_from_this(), request = std::make_shared<Request>(std::move(request)),
                     &dispatcher = core_.dispatcher, strand = stream_.get_executor(), sequence]() mutable {
          Response response = dispatcher.handle(*request);
          net::post(strand, [self = std::move(self), sequence, response = std::move(response)]() mutable {
            self->on_handled(sequence, std::move(response));
          });
        });
  }

  void on_handled(std::uint64_t sequence, Response response) {
    // After a handler timeout (or a close) the late answer is dropped.
    if (phase_ != Phase::handling || sequence != request_sequence_) return;
    disarm();
    write_response(std::move(response), timeout_head_);
  }

  void on_handler_timeout() {
    ++request_sequence_;
    close_after_response_ = true;
    timeout_head_.context.early_error = ErrorCode::handler_timeout;
    write_response(core_.dispatcher.handle(timeout_head_), timeout_head_);
  }

  // write_response sends a keel Response under the write deadline
  // (read_timeout). `request` supplies the version and method (HEAD answers
  // carry the body's length but not the body). A body in memory goes out in
  // one gathered write of a hand-formatted head and the body; a file body
  // streams through Beast (write_file_response).
  void write_response(Response response, const Request& request) {
    phase_ = Phase::writing;
    auto connection = response.headers.get("Connection");
    const bool keep = keep_alive_ && !close_after_response_ && !response.close &&
                      !(connection && iequals(*connection, "close")) && !core_.draining.load();
    close_after_response_ = !keep;

    ResponseFraming framing{.status = response.status,
                            .version = request.version == 10 ? 10U : 11U,
                            .keep_alive = keep,
                            .content_length = std::nullopt};
    if (framing.status < 100 || framing.status > 999) framing.status = 500;
    // No body for 1xx/204/304; HEAD answers carry the length but not the body.
    const bool has_body = !(framing.status < 200 || framing.status == 204 || framing.status == 304);
    if (has_body) framing.content_length = response.body_size();
    const bool send_body = has_body && request.method != Method::head;
    arm(core_.options.read_timeout, Deadline::write);
    auto on_write = [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); };
    if (send_body && response.body_file) {
      return write_file_response(framing, std::move(response), std::move(on_write));
    }
    write_response_head(head_, framing, response.headers, http_date());
    if constexpr (kTls) {
      // One buffer: Asio's TLS stream writes only the first buffer of a
      // sequence per call, and once the head is consumed that is an empty
      // one, which ends the write early with the body unsent. Encryption
      // copies the bytes anyway.
      if (send_body) head_ += response.body;
      net::async_write(stream_, net::buffer(head_), std::move(on_write));
    } else {
      if (send_body) body_ = std::move(response.body);
      const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
      net::async_write(stream_, buffers, std::move(on_write));
    }
  }

  // write_file_response sends a Response::file through Beast's serializer
  // and FileRangeBody, its head built as write_response_head would.
  template <class Handler>
  void write_file_response(const ResponseFraming& framing, Response response, Handler on_write) {
    file_response_.version(framing.version);
    file_response_.result(static_cast<unsigned>(framing.status));
    bool has_date = false;
    for (const auto& [name, value] : response.headers.fields()) {
      if (!is_passed_through(name, value)) continue;
      has_date = has_date || iequals(name, "Date");
      file_response_.insert(name, value);
    }
    if (!has_date) file_response_.set(bhttp::field::date, http_date());
    file_response_.keep_alive(framing.keep_alive);
    file_response_.content_length(*framing.content_length);
    file_response_.body() = std::move(response.body_file);
    bhttp::async_write(stream_, file_response_, std::move(on_write));
  }

  void on_written(error_code ec) {
    if (phase_ != Phase::writing) return;  // closed by the write deadline
    disarm();
    finish_request();
    body_ = {};
    if (head_.capacity() > kKeptHeadCapacity) head_ = {};
    file_response_ = {};  // closes the file
    if (ec) return close();
    if (close_after_response_) return linger_close();
    wait_for_request(/*first=*/false);
  }

  // linger_close half-closes (the client sees the end of the response) and
  // discards input for a short while before closing (see kMaxLinger). TLS
  // sends close_notify instead and waits (as long) for the client's.
  void linger_close() {
    phase_ = Phase::closing;
    arm(std::min<Milliseconds>(core_.options.read_timeout, kMaxLinger), Deadline::linger);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {
        if (self->phase_ == Phase::closing) self->close();
      });
    } else {
      error_code ec;
      stream_.shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return close();
      discard_input();
    }
  }

  void discard_input() {
    buffer_.clear();
    tcp().async_read_some(buffer_.prepare(kDiscardChunk),
                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                            if (self->phase_ != Phase::closing) return;
                            if (ec) return self->close();
                            self->discard_input();
                          });
  }

  void close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    disarm();
    timer_.cancel();  // the pending wait holds a reference to this connection
    finish_request();
    error_code ignored;
    tcp().close(ignored);  // pending operations complete with operation_aborted
  }

  // finish_request ends the current request's share of core.in_flight.
  void finish_request() {
    if (!counted_in_flight_) return;
    counted_in_flight_ = false;
    core_.in_flight.fetch_sub(1);
  }

  // arm points the connection's deadline at `kind`. The timer is lazy: a
  // request re-arms it several times, and cancelling and re-waiting an Asio
  // timer each time costs a queued handler and often a timerfd syscall. So
  // arm() only moves deadline_at_; the one outstanding wait re-checks it when
  // it fires and waits again if the deadline moved later. The timer itself is
  // rescheduled only when the new deadline is earlier than its expiry.
  void arm(Milliseconds duration, Deadline kind) {
    deadline_ = kind;
    deadline_expired_ = false;
    deadline_at_ = net::steady_timer::clock_type::now() + duration;
    if (!timer_waiting_ || deadline_at_ < timer_.expiry()) wait_for_deadline();
  }

  // disarm clears the deadline; an outstanding wait finds nothing to do.
  void disarm() {
    deadline_ = Deadline::none;
    deadline_expired_ = false;
  }

  void wait_for_deadline() {
    timer_waiting_ = true;
    const auto generation = ++wait_generation_;
    timer_.expires_at(deadline_at_);  // cancels a previous wait, whose generation is then stale
    timer_.async_wait([self = this->shared_from_this(), generation](error_code ec) {
      if (generation != self->wait_generation_) return;
      self->timer_waiting_ = false;
      if (ec || self->phase_ == Phase::closed || self->deadline_ == Deadline::none) return;
      if (net::steady_timer::clock_type::now() < self->deadline_at_) return self->wait_for_deadline();
      self->on_deadline();
    });
  }

  void on_deadline() {
    const Deadline kind = deadline_;
    deadline_ = Deadline::none;
    switch (kind) {
      case Deadline::read: {
        // Cancel the read; its handler decides between 408 and a silent close.
        deadline_expired_ = true;
        error_code ignored;
        tcp().cancel(ignored);
        return;
      }
      case Deadline::handler: return on_handler_timeout();
      case Deadline::idle:
      case Deadline::write:
      case Deadline::linger: return close();
      case Deadline::none: return;
    }
  }

  ServerCore& core_;
  Stream stream_;  // its executor is this connection's strand
  Timer timer_;
  const std::uint64_t id_;
  const std::optional<net::ip::address> client_;  // counted in core.connections_per_client
  std::string peer_address_;

  boost::beast::flat_buffer buffer_;  // keeps pipelined bytes between requests
  std::optional<bhttp::request_parser<bhttp::empty_body>> head_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_parser_;
  std::optional<bhttp::request_parser<SpoolBody>> spool_parser_;  // body to disk (plan_.body_spool_dir)
  std::string head_;  // the response head being written; keeps its capacity between requests
  std::string body_;  // the in-memory body being written
  bhttp::response<FileRangeBody> file_response_;  // a Response::file, alive until its write completes

  Request request_;       // the request being read
  Request timeout_head_;  // head of the request on the pool, for the handler-timeout answer
  RequestPlan plan_;
  RequestContext::Clock::time_point first_byte_at_ = RequestContext::Clock::now();

  Phase phase_ = Phase::waiting;
  Deadline deadline_ = Deadline::none;
  net::steady_timer::time_point deadline_at_{};  // when deadline_ expires
  std::uint64_t wait_generation_ = 0;            // identifies the timer's current wait
  bool timer_waiting_ = false;                   // a wait on timer_ is outstanding
  bool deadline_expired_ = false;                // the read deadline fired; the read is being cancelled
  std::uint64_t request_sequence_ = 0;           // matches pool answers to the current request
  bool counted_in_flight_ = false;
  bool keep_alive_ = false;            // what the request's head asked for
  bool close_after_response_ = false;  // decided: this is the connection's last response
};

// over_client_cap says whether `client` already has its share of
// connections; core.mutex must be held. A proxy (options.connection_cap_exempt)
// carries many clients on its connections and is never capped.
bool over_client_cap(ServerCore& core, const net::ip::address& client) {
  const auto it = core.connections_per_client.find(client);
  if (it == core.connections_per_client.end() || it->second < core.options.max_connections_per_client) {
    return false;
  }
  return !(core.options.connection_cap_exempt && core.options.connection_cap_exempt(client.to_string()));
}

template <class Stream>
void serve(ServerCore& core, ConnectionSocket socket) {
  const auto client = peer_of(socket);
  std::shared_ptr<BasicConnection<Stream>> connection;
  {
    std::lock_guard lock(core.mutex);
    if (client && over_client_cap(core, *client)) {
      connection = std::make_shared<BasicConnection<Stream>>(core, std::move(socket), 0, std::nullopt);
    } else {
      const auto id = ++core.next_connection_id;
      if (client) ++core.connections_per_client[*client];
      connection = std::make_shared<BasicConnection<Stream>>(core, std::move(socket), id, client);
      core.connections.emplace(id, connection);
    }
  }
  // Started outside the lock: a connection that fails at once is destroyed
  // on this thread, and its destructor takes the lock.
  if (connection->registered()) {
    connection->start();
  } else {
    connection->reject();
  }
}

template <class Stream>
void refuse(ServerCore& core, ConnectionSocket socket) {
  std::make_shared<BasicConnection<Stream>>(core, std::move(socket), 0, std::nullopt)->reject();
}

}  // namespace

void start_connection(ServerCore& core, ConnectionSocket socket) {
  if (core.tls != nullptr) return serve<TlsStream>(core, std::move(socket));
  serve<ConnectionSocket>(core, std::move(socket));
}

void reject_connection(ServerCore& core, ConnectionSocket socket) {
  if (core.tls != nullptr) return refuse<TlsStream>(core, std::move(socket));
  refuse<ConnectionSocket>(core, std::move(socket));
}

void drain_connections(ServerCore& core) {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(core.mutex);
    live.reserve(core.connections.size());
    for (const auto& [id, weak] : core.connections) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  // Released outside the lock: ~Connection takes it.
  for (const auto& connection : live) connection->drain();
}

}  // namespace keel::http::detail

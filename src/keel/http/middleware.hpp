// keel/http/middleware.hpp — the request pipeline's building block.
//
// A middleware sees the request on the way in and the response on the way
// out; it calls `next(request)` to pass the request on, or answers itself.
// Middlewares may throw errors::ApiError; the catch-all stage converts it.
//
//   class Timing final : public Middleware {
//     Response handle(Request& r, const Next& next) override {
//       auto response = next(r);
//       response.headers.set("Server-Timing", "...");
//       return response;
//     }
//   };
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "keel/http/request.hpp"
#include "keel/http/response.hpp"

namespace keel::http {

class Pipeline;

// Next calls the rest of the pipeline. Cheap to copy; no allocation.
class Next {
 public:
  Next(const Pipeline& pipeline, std::size_t index) : pipeline_(&pipeline), index_(index) {}
  Response operator()(Request& request) const;

 private:
  const Pipeline* pipeline_;
  std::size_t index_;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  // name identifies the stage in logs and tests.
  virtual std::string_view name() const = 0;
  virtual Response handle(Request& request, const Next& next) const = 0;
};

// Pipeline runs middlewares in the order they were added, then the terminal
// stage (the route's handler). Built once at start-up; const afterwards, so
// any number of threads may run requests through it at once.
class Pipeline {
 public:
  Pipeline& add(std::unique_ptr<Middleware> middleware);
  // terminal sets what runs after the last middleware (the route dispatch).
  Pipeline& terminal(std::function<Response(Request&)> handler_stage);

  Response run(Request& request) const { return run_from(0, request); }
  Response run_from(std::size_t index, Request& request) const;
  std::vector<std::string_view> stage_names() const;

 private:
  std::vector<std::unique_ptr<Middleware>> stages_;
  std::function<Response(Request&)> terminal_;
};

inline Response Next::operator()(Request& request) const {
  return pipeline_->run_from(index_, request);
}

}  // namespace keel::http

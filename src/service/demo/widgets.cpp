#include "service/demo/widgets.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "keel/app/json_body.hpp"
#include "keel/app/query.hpp"
#include "keel/security/random.hpp"

namespace service::demo {
namespace {

namespace m = keel::model;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

struct WidgetCreate {
  std::string name;
  std::int64_t quantity = 0;
  std::optional<std::string> email;
  std::optional<std::string> color;
  std::vector<std::string> tags;
  std::optional<std::string> code;

  static constexpr std::string_view kModelName = "WidgetCreate";
  template <class V>
  static void fields(V& v) {
    v.field("name", &WidgetCreate::name, m::length(1, 50), m::describe("Display name"));
    v.field("quantity", &WidgetCreate::quantity, m::range(0, 1000));
    v.field("email", &WidgetCreate::email, m::email());
    v.field("color", &WidgetCreate::color, m::one_of({"red", "green", "blue"}));
    v.field("tags", &WidgetCreate::tags, m::items(0, 5), m::each(m::length(1, 10)));
    v.field("code", &WidgetCreate::code, m::length(0, 16), m::pattern<"[A-Z]{3}">());
  }
};

struct Widget : WidgetCreate {
  std::string id;

  static constexpr std::string_view kModelName = "Widget";
  template <class V>
  static void fields(V& v) {
    v.field("id", &Widget::id, m::read_only());
    WidgetCreate::fields(v);
  }
};

struct SleepResult {
  std::int64_t slept_ms = 0;

  static constexpr std::string_view kModelName = "SleepResult";
  template <class V>
  static void fields(V& v) {
    v.field("slept_ms", &SleepResult::slept_ms);
  }
};

struct PageResult {
  std::int64_t n = 0;

  static constexpr std::string_view kModelName = "PageResult";
  template <class V>
  static void fields(V& v) {
    v.field("n", &PageResult::n);
  }
};

// WidgetStore keeps demo widgets in memory; any handler thread may use it.
class WidgetStore {
 public:
  Widget add(WidgetCreate input) {
    Widget widget;
    static_cast<WidgetCreate&>(widget) = std::move(input);
    widget.id = keel::security::uuid_v7();
    const std::lock_guard lock(mutex_);
    widgets_.emplace(widget.id, widget);
    return widget;
  }

  std::optional<Widget> find(std::string_view id) const {
    const std::lock_guard lock(mutex_);
    const auto it = widgets_.find(id);
    if (it == widgets_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Widget, std::less<>> widgets_;
};

}  // namespace

void register_demo_routes(keel::app::App& app) {
  auto store = std::make_shared<WidgetStore>();
  auto& router = app.router();

  router.add(Method::post, "/api/v1/demo/widgets",
             [store](Request& request) {
               auto widget = store->add(keel::app::parse_body<WidgetCreate>(request));
               return keel::app::json_response(201, widget)
                   .with_header("Location", "/api/v1/demo/widgets/" + widget.id);
             })
      .named("create_demo_widget").tagged("demo").accepts("application/json").status(201)
      .summarized("Create a demo widget (validated model in, model out).");

  router.add(Method::get, "/api/v1/demo/widgets/{id}",
             [store](Request& request) {
               auto widget = store->find(request.path_param("id"));
               if (!widget) throw keel::errors::ApiError(keel::errors::ErrorCode::not_found, "No such widget.");
               return keel::app::json_response(200, *widget);
             })
      .named("get_demo_widget").tagged("demo").summarized("Read a demo widget.");

  router.add(Method::get, "/api/v1/demo/pages/{n:int}",
             [](Request& request) {
               return keel::app::json_response(200, PageResult{std::stoll(std::string(request.path_param("n")))});
             })
      .named("get_demo_page").tagged("demo").summarized("Echo a typed (integer) path parameter.");

  router.add(Method::get, "/api/v1/demo/slow",
             [](Request& request) {
               const auto ms = keel::app::query_int(request, "ms", {.min = 0, .max = 30000, .fallback = 0});
               std::this_thread::sleep_for(std::chrono::milliseconds(ms));
               return keel::app::json_response(200, SleepResult{ms});
             })
      .named("demo_slow").tagged("demo").summarized("Sleep `ms` milliseconds (handler timeout and drain demo).");

  router.add(Method::get, "/api/v1/demo/fail",
             [](Request&) -> Response {
               throw std::runtime_error("sqlite error at /etc/keel/secret.db: what() must not leak");
             })
      .named("demo_fail").tagged("demo").summarized("Fail with an unexpected exception (the logged 500 demo).");
}

}  // namespace service::demo

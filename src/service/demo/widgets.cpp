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
#include "keel/openapi/describe.hpp"
#include "keel/security/random.hpp"

namespace service::demo {
namespace {

namespace m = keel::model;
namespace doc = keel::openapi;
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
    v.field("name", &WidgetCreate::name, m::length(1, 50), m::describe("Display name"),
            m::example("Sprocket"));
    v.field("quantity", &WidgetCreate::quantity, m::range(0, 1000), m::describe("How many are in stock"));
    v.field("email", &WidgetCreate::email, m::email(), m::describe("Who to ask about it"));
    v.field("color", &WidgetCreate::color, m::one_of({"red", "green", "blue"}));
    v.field("tags", &WidgetCreate::tags, m::items(0, 5), m::each(m::length(1, 10)));
    v.field("code", &WidgetCreate::code, m::length(0, 16), m::pattern<"[A-Z]{3}">(),
            m::describe("Three capitals"));
  }
};

struct Widget : WidgetCreate {
  std::string id;

  static constexpr std::string_view kModelName = "Widget";
  template <class V>
  static void fields(V& v) {
    v.field("id", &Widget::id, m::read_only(), m::describe("Opaque identifier (UUIDv7)"));
    WidgetCreate::fields(v);
  }
};

struct SleepResult {
  std::int64_t slept_ms = 0;

  static constexpr std::string_view kModelName = "SleepResult";
  template <class V>
  static void fields(V& v) {
    v.field("slept_ms", &SleepResult::slept_ms, m::describe("How long the handler slept"));
  }
};

struct PageResult {
  std::int64_t n = 0;

  static constexpr std::string_view kModelName = "PageResult";
  template <class V>
  static void fields(V& v) {
    v.field("n", &PageResult::n, m::describe("The path parameter, parsed"));
  }
};

constexpr keel::http::Tag kDemoTag{
    "demo", "A demonstration resource (development and test only): validation, errors, timeouts."};

// kSleepMs bounds the slow route's `ms` parameter, for its handler and its docs.
constexpr keel::app::IntParam kSleepMs{.min = 0, .max = 30000, .fallback = 0};

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
      .named("create_demo_widget").tagged(kDemoTag).status(201)
      .summarized("Create a demo widget (validated model in, model out).")
      .body(doc::json(WidgetCreate{.name = "Sprocket", .quantity = 3, .email = "ops@example.com",
                                   .color = "red", .tags = {"new"}, .code = "ABC"}))
      .responds(doc::response(201, "The widget, as stored.", doc::json<Widget>())
                    .with_header(doc::location()));

  router.add(Method::get, "/api/v1/demo/widgets/{id}",
             [store](Request& request) {
               auto widget = store->find(request.path_param("id"));
               if (!widget) throw keel::errors::ApiError(keel::errors::ErrorCode::not_found, "No such widget.");
               return keel::app::json_response(200, *widget);
             })
      .named("get_demo_widget").tagged(kDemoTag).summarized("Read a demo widget.")
      .param(doc::path("id", "The widget's id, from its Location."))
      .responds(doc::response(200, "The widget.", doc::json<Widget>()));

  router.add(Method::get, "/api/v1/demo/pages/{n:int}",
             [](Request& request) {
               return keel::app::json_response(200, PageResult{std::stoll(std::string(request.path_param("n")))});
             })
      .named("get_demo_page").tagged(kDemoTag).summarized("Echo a typed (integer) path parameter.")
      .param(doc::path("n", "Any 64-bit integer; anything else is a 422."))
      .responds(doc::response(200, "The parameter.", doc::json<PageResult>()));

  router.add(Method::get, "/api/v1/demo/slow",
             [](Request& request) {
               const auto ms = keel::app::query_int(request, "ms", kSleepMs);
               std::this_thread::sleep_for(std::chrono::milliseconds(ms));
               return keel::app::json_response(200, SleepResult{ms});
             })
      .named("demo_slow").tagged(kDemoTag)
      .summarized("Sleep `ms` milliseconds (handler timeout and drain demo).")
      .param(doc::query_integer("ms", kSleepMs, "Milliseconds to sleep."))
      .responds(doc::response(200, "Slept.", doc::json<SleepResult>()));

  router.add(Method::get, "/api/v1/demo/fail",
             [](Request&) -> Response {
               throw std::runtime_error("sqlite error at /etc/keel/secret.db: what() must not leak");
             })
      .named("demo_fail").tagged(kDemoTag)
      .summarized("Fail with an unexpected exception (the logged 500 demo).")
      .responds(doc::problem(500, "Always: an opaque internal_error whose body reveals nothing."));
}

}  // namespace service::demo

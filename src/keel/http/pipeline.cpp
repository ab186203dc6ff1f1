#include "keel/http/middleware.hpp"

namespace keel::http {

Pipeline& Pipeline::add(std::unique_ptr<Middleware> middleware) {
  stages_.push_back(std::move(middleware));
  return *this;
}

Pipeline& Pipeline::terminal(std::function<Response(Request&)> handler_stage) {
  terminal_ = std::move(handler_stage);
  return *this;
}

Response Pipeline::run_from(std::size_t index, Request& request) const {
  if (index < stages_.size()) return stages_[index]->handle(request, Next(*this, index + 1));
  return terminal_(request);
}

std::vector<std::string_view> Pipeline::stage_names() const {
  std::vector<std::string_view> names;
  for (const auto& stage : stages_) names.push_back(stage->name());
  return names;
}

}  // namespace keel::http

#include <stdexcept>

#include "keel/edge/forwarded.hpp"
#include "keel/edge/stages.hpp"

namespace keel::edge {
namespace {

class ForwardedStage final : public http::Middleware {
 public:
  explicit ForwardedStage(IpNetworks proxies) : proxies_(std::move(proxies)) {}

  std::string_view name() const override { return "forwarded"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    if (proxies_.contains(request.peer_address)) {
      auto& context = request.context;
      const auto forwarded_for = request.headers.get_all("X-Forwarded-For");
      if (auto client = forwarded_client(forwarded_for, proxies_)) context.client_ip = std::move(*client);
      if (auto secure = forwarded_secure(request.headers.get_all("X-Forwarded-Proto")))
        context.secure = *secure;
    }
    return next(request);
  }

 private:
  IpNetworks proxies_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_forwarded_stage(const std::vector<std::string>& trusted_proxies) {
  auto proxies = IpNetworks::parse(trusted_proxies);
  if (!proxies) throw std::invalid_argument("TRUSTED_PROXIES: an entry is not an IP address or CIDR block");
  return std::make_unique<ForwardedStage>(std::move(*proxies));
}

}  // namespace keel::edge

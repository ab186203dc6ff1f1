#include "keel/security/password_hasher.hpp"

#include <sodium.h>

#include <array>
#include <condition_variable>
#include <mutex>

#include "keel/security/random.hpp"

namespace keel::security {

struct PasswordHasher::Impl {
  explicit Impl(PasswordHasherOptions opts) : options(opts) {}

  // Slot is one of the max_concurrent hashing permits, held for one Argon2 run.
  class Slot {
   public:
    explicit Slot(const Impl& impl) : impl_(impl) {
      std::unique_lock lock(impl_.mutex);
      if (!impl_.freed.wait_for(lock, impl_.options.queue_timeout,
                                [&] { return impl_.running < impl_.options.max_concurrent; })) {
        throw HasherBusy();
      }
      ++impl_.running;
    }
    ~Slot() {
      {
        std::lock_guard lock(impl_.mutex);
        --impl_.running;
      }
      impl_.freed.notify_one();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    const Impl& impl_;
  };

  PasswordHasherOptions options;
  mutable std::mutex mutex;
  mutable std::condition_variable freed;
  mutable std::size_t running = 0;
  // The dummy hash costs one full hash, so it is made on first use, not at start-up.
  mutable std::once_flag dummy_once;
  mutable std::string dummy_hash;
};

PasswordHasher::PasswordHasher(PasswordHasherOptions options) : impl_(std::make_unique<Impl>(options)) {
  // sodium_init is idempotent and thread-safe; it picks the fastest Argon2 code for this CPU.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  const auto& parameters = impl_->options.parameters;
  if (parameters.operations < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      parameters.operations > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    throw std::invalid_argument("Argon2id operations (t) out of range");
  }
  if (parameters.memory_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      parameters.memory_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    throw std::invalid_argument("Argon2id memory (m) out of range");
  }
  if (impl_->options.max_concurrent == 0) throw std::invalid_argument("max_concurrent must be at least 1");
}

PasswordHasher::~PasswordHasher() = default;

std::string PasswordHasher::hash(std::string_view password) const {
  const auto& parameters = impl_->options.parameters;
  std::array<char, crypto_pwhash_STRBYTES> out{};
  {
    const Impl::Slot slot(*impl_);
    if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), parameters.operations,
                              parameters.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
      // libsodium fails here only when it cannot allocate the m bytes.
      throw std::runtime_error("Argon2id hashing failed (out of memory)");
    }
  }
  return std::string(out.data());
}

PasswordCheck PasswordHasher::verify(std::string_view stored, std::string_view password) const {
  // libsodium reads a NUL-terminated string of at most STRBYTES - 1 characters.
  if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES ||
      stored.find('\0') != std::string_view::npos) {
    return {};
  }
  const std::string terminated(stored);
  PasswordCheck check;
  {
    const Impl::Slot slot(*impl_);
    check.ok = crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
  }
  if (check.ok) {
    const auto& parameters = impl_->options.parameters;
    // 1 = other costs, -1 = not Argon2id at all (e.g. Argon2i): both deserve a fresh hash.
    check.needs_rehash = crypto_pwhash_str_needs_rehash(terminated.c_str(), parameters.operations,
                                                        parameters.memory_bytes) != 0;
  }
  return check;
}

void PasswordHasher::verify_dummy(std::string_view password) const {
  // If making the dummy hash throws (HasherBusy), call_once lets the next caller try again.
  std::call_once(impl_->dummy_once, [this] { impl_->dummy_hash = hash(random_token(32)); });
  static_cast<void>(verify(impl_->dummy_hash, password));
}

const PasswordHasherOptions& PasswordHasher::options() const { return impl_->options; }

}  // namespace keel::security

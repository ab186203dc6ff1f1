#include "keel/jobs/job.hpp"

#include <array>
#include <chrono>
#include <random>

namespace keel::jobs {

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
constexpr std::array<std::string_view, 4> kStateNames{"queued", "running", "succeeded", "dead"};
}  // namespace

std::string_view to_string(JobState state) { return kStateNames.at(static_cast<std::size_t>(state)); }

std::optional<JobState> parse_job_state(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == text) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

std::string new_job_id() {
  // Job ids are not secrets (they are row keys that only operators see), so
  // std::random_device (getrandom/urandom on Linux) is enough and keeps
  // keel::jobs free of a crypto dependency.
  thread_local std::random_device device;
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 6; i < 16; i += 4) {
    const std::uint32_t r = device();
    for (std::size_t j = 0; j < 4 && i + j < 16; ++j) bytes[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  const auto ms = static_cast<std::uint64_t>(system_clock_ms());
  for (std::size_t i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
  bytes[6] = static_cast<std::uint8_t>(0x70 | (bytes[6] & 0x0f));  // version 7
  bytes[8] = static_cast<std::uint8_t>(0x80 | (bytes[8] & 0x3f));  // RFC 9562 variant
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace keel::jobs

#include "keel/mail/outbox_mailer.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <system_error>

namespace keel::mail {
namespace {

namespace fs = std::filesystem;

// file_stamp formats `t` as 20261127T101500.123456Z: UTC, sortable, no ':' (safe on any file system).
std::string file_stamp(std::chrono::system_clock::time_point t) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 96> buffer{};  // room for any int values: -O3 checks the worst case
  std::snprintf(buffer.data(), buffer.size(), "%04d%02d%02dT%02d%02d%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
  return buffer.data();
}

}  // namespace

OutboxMailer::OutboxMailer(fs::path directory, std::string from)
    : directory_(std::move(directory)), from_(std::move(from)) {}

void OutboxMailer::send(const Message& message) {
  const auto now = std::chrono::system_clock::now();
  const std::string eml = build_mime(message, from_, now);

  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec)
    throw MailError("cannot create the outbox folder " + directory_.string() + ": " + ec.message(), false);
  const std::string name = file_stamp(now) + "-" + random_hex(4) + ".eml";
  const fs::path final_path = directory_ / name;
  const fs::path temp_path = directory_ / ("." + name + ".tmp");
  {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    out.write(eml.data(), static_cast<std::streamsize>(eml.size()));
    out.close();
    if (!out) {
      fs::remove(temp_path, ec);
      throw MailError("cannot write to the outbox folder " + directory_.string(), false);
    }
  }
  fs::rename(temp_path, final_path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp_path, ignored);
    throw MailError("cannot write to the outbox folder " + directory_.string() + ": " + ec.message(), false);
  }
}

}  // namespace keel::mail

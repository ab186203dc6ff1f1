#include "keel/edge/compression.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keel::edge {
namespace {

std::string sample_json(std::size_t approx_bytes) {
  std::string json = "[";
  while (json.size() < approx_bytes) json += R"({"id":"0190a3c4","title":"a widget","tags":["x","y"]},)";
  json.back() = ']';
  return json;
}

TEST(AcceptEncoding, HonoursQValuesAndWildcards) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("br, gzip;q=0.5, deflate"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_FALSE(accepts_gzip(std::nullopt));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));  // an explicit gzip entry beats the wildcard
  EXPECT_TRUE(accepts_gzip("*, gzip;q=1"));
}

TEST(Compressible, CoversTextualTypesOnly) {
  for (const char* yes : {"application/json", "application/problem+json; charset=utf-8", "text/plain",
                          "text/html; charset=utf-8", "text/css", "application/javascript", "image/svg+xml",
                          "application/xml", "application/vnd.api+json"}) {
    EXPECT_TRUE(is_compressible(yes)) << yes;
  }
  for (const char* no : {"image/png", "image/jpeg", "application/pdf", "application/zip", "application/gzip",
                         "application/octet-stream", "video/mp4", "", "json"}) {
    EXPECT_FALSE(is_compressible(no)) << no;
  }
}

TEST(Gzip, RoundTripsAndShrinksJson) {
  const std::string json = sample_json(20000);
  const auto packed = gzip(json);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), json.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  const auto unpacked = gunzip(*packed, json.size());
  ASSERT_EQ(unpacked.status, GunzipStatus::ok);
  EXPECT_EQ(unpacked.data, json);
  // The per-thread deflate state is reused: a second call gives the same bytes.
  EXPECT_EQ(gzip(json), packed);
}

TEST(Gzip, GivesUpWhenItWouldNotShrink) {
  std::string noise;
  unsigned state = 12345;
  for (int i = 0; i < 2000; ++i) {
    state = state * 1103515245 + 12345;
    noise.push_back(static_cast<char>(state >> 16));
  }
  EXPECT_FALSE(gzip(noise));
}

TEST(Gunzip, StopsAZipBombAtTheCap) {
  const std::string zeros(10 * 1024 * 1024, '\0');
  const auto bomb = gzip(zeros, 9);
  ASSERT_TRUE(bomb);
  EXPECT_LT(bomb->size(), 20 * 1024U);
  const auto result = gunzip(*bomb, 1024 * 1024);
  EXPECT_EQ(result.status, GunzipStatus::too_large);
  EXPECT_TRUE(result.data.empty());
  EXPECT_EQ(gunzip(*bomb, zeros.size()).status, GunzipStatus::ok);
}

TEST(Gunzip, RejectsCorruptAndTruncatedStreamsAndAcceptsConcatenatedMembers) {
  const std::string json = sample_json(5000);
  const auto packed = *gzip(json);
  EXPECT_EQ(gunzip(packed.substr(0, packed.size() / 2), 1 << 20).status, GunzipStatus::corrupt);
  EXPECT_EQ(gunzip("definitely not gzip", 1 << 20).status, GunzipStatus::corrupt);
  EXPECT_EQ(gunzip(packed + "trailing", 1 << 20).status, GunzipStatus::corrupt);
  const auto twice = gunzip(packed + packed, 1 << 20);
  ASSERT_EQ(twice.status, GunzipStatus::ok);
  EXPECT_EQ(twice.data, json + json);
}

}  // namespace
}  // namespace keel::edge

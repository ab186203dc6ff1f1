#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "keel/security/access_token.hpp"
#include "keel/security/digest.hpp"

namespace keel::security {
namespace {

constexpr std::int64_t kNow = 1'790'000'000;
constexpr std::string_view kSecret = "test-secret-that-is-at-least-32-bytes-long";
constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"at+jwt"})";

AccessTokenConfig test_config() {
  return {.secret = std::string(kSecret),
          .issuer = "keel",
          .audience = "keel-api",
          .ttl = std::chrono::seconds(900),
          .leeway = std::chrono::seconds(30)};
}

// sign builds a token by hand, so tests can say exactly what the header and payload hold.
std::string sign(std::string_view header, std::string_view payload, std::string_view secret = kSecret) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

// claims_json is a valid payload for kNow with one field replaced or added via `extra`.
std::string claims_json(std::string_view extra = "", std::string_view aud = R"("keel-api")",
                        std::int64_t iat = kNow, std::int64_t exp = kNow + 900) {
  std::string json = R"({"iss":"keel","aud":)" + std::string(aud) + R"(,"sub":"user-1","iat":)" +
                     std::to_string(iat) + R"(,"exp":)" + std::to_string(exp) +
                     R"(,"jti":"jti-1","scope":"profile")";
  if (!extra.empty()) json += "," + std::string(extra);
  return json + "}";
}

TokenProblem problem_of(std::string_view token, std::int64_t now = kNow) {
  return AccessTokenCodec(test_config()).verify(token, now).problem;
}

TEST(AccessToken, RoundTrip) {
  const AccessTokenCodec codec(test_config());
  const auto issued = codec.issue("user-42", {"profile", "items:read"}, "session-7", kNow);
  EXPECT_EQ(issued.claims.expires_at, kNow + 900);
  EXPECT_EQ(issued.claims.token_id.size(), 22u);

  const auto verified = codec.verify(issued.token, kNow + 10);
  ASSERT_EQ(verified.problem, TokenProblem::none) << to_string(verified.problem);
  ASSERT_TRUE(verified.claims.has_value());
  EXPECT_EQ(verified.claims->subject, "user-42");
  EXPECT_EQ(verified.claims->session_id, "session-7");
  EXPECT_EQ(verified.claims->scopes, (std::vector<std::string>{"profile", "items:read"}));
  EXPECT_EQ(verified.claims->issued_at, kNow);
  EXPECT_EQ(verified.claims->expires_at, kNow + 900);
  EXPECT_EQ(verified.claims->token_id, issued.claims.token_id);
}

TEST(AccessToken, IssuedHeaderAndPayloadAreExact) {
  const auto token = AccessTokenCodec(test_config()).issue("u", {}, "", kNow).token;
  const auto first_dot = token.find('.');
  std::string header;
  ASSERT_TRUE(base64url_decode(token.substr(0, first_dot), header));
  EXPECT_EQ(header, kHs256Header);
  std::string payload;
  ASSERT_TRUE(base64url_decode(token.substr(first_dot + 1, token.rfind('.') - first_dot - 1), payload));
  EXPECT_NE(payload.find(R"("scope":"")"), std::string::npos) << payload;
  EXPECT_EQ(payload.find("sid"), std::string::npos) << "an empty session id is left out: " << payload;
  EXPECT_EQ(token.find('='), std::string::npos);
}

TEST(AccessToken, JtiIsFreshPerToken) {
  const AccessTokenCodec codec(test_config());
  EXPECT_NE(codec.issue("u", {}, "", kNow).claims.token_id, codec.issue("u", {}, "", kNow).claims.token_id);
}

TEST(AccessToken, KnownAnswerFromPyJwt) {
  // /usr/bin/python3 -c 'import jwt; print(jwt.encode({"iss":"keel","aud":"keel-api","sub":"user-42",
  //   "iat":1790000000,"exp":1790000900,"jti":"kat-jti-1","scope":"profile items:read","sid":"sess-7"},
  //   "keel-known-answer-secret-0123456789", algorithm="HS256", headers={"typ":"at+jwt"}))'   (PyJWT 2.6.0)
  constexpr std::string_view kPyJwtToken =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9."
      "eyJpc3MiOiJrZWVsIiwiYXVkIjoia2VlbC1hcGkiLCJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNzkwMDAwMDAwLCJleHAiOjE3OTAwMD"
      "A5MDAsImp0"
      "aSI6ImthdC1qdGktMSIsInNjb3BlIjoicHJvZmlsZSBpdGVtczpyZWFkIiwic2lkIjoic2Vzcy03In0."
      "kw_T4ZgppWxCehwEBbXu7Leq8UDy0EDS6Kk-l5tryvU";
  auto config = test_config();
  config.secret = "keel-known-answer-secret-0123456789";
  const AccessTokenCodec codec(config);
  const auto verified = codec.verify(kPyJwtToken, 1'790'000'100);
  ASSERT_EQ(verified.problem, TokenProblem::none) << to_string(verified.problem);
  EXPECT_EQ(verified.claims->subject, "user-42");
  EXPECT_EQ(verified.claims->token_id, "kat-jti-1");
  EXPECT_EQ(verified.claims->session_id, "sess-7");
  EXPECT_EQ(verified.claims->scopes, (std::vector<std::string>{"profile", "items:read"}));
  EXPECT_EQ(verified.claims->expires_at, 1'790'000'900);
  EXPECT_EQ(codec.verify(kPyJwtToken, 1'790'000'930).problem, TokenProblem::expired);

  // Our own signature over PyJWT's header and payload is byte-identical to PyJWT's.
  const std::string_view input = kPyJwtToken.substr(0, kPyJwtToken.rfind('.'));
  EXPECT_EQ(base64url_encode(hmac_sha256(config.secret, input)),
            kPyJwtToken.substr(kPyJwtToken.rfind('.') + 1));
}

TEST(AccessToken, HandBuiltValidTokenVerifies) {
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json())), TokenProblem::none);
  EXPECT_EQ(problem_of(sign(R"({"typ":"application/AT+JWT","alg":"HS256","kid":"k1"})", claims_json())),
            TokenProblem::none);
}

TEST(AccessToken, TamperedPayloadOrSignatureIsRefused) {
  const auto token = AccessTokenCodec(test_config()).issue("user-42", {"profile"}, "", kNow).token;
  const auto first_dot = token.find('.');
  const auto second_dot = token.rfind('.');

  // Same header and signature, payload claiming admin.
  const auto forged_payload =
      base64url_encode(claims_json().replace(claims_json().find("profile"), 7, "admin"));
  EXPECT_EQ(problem_of(token.substr(0, first_dot + 1) + forged_payload + token.substr(second_dot)),
            TokenProblem::bad_signature);

  std::string flipped = token;
  flipped[second_dot + 1] = flipped[second_dot + 1] == 'A' ? 'B' : 'A';
  EXPECT_EQ(problem_of(flipped), TokenProblem::bad_signature);
  EXPECT_EQ(problem_of(token.substr(0, second_dot + 1) + base64url_encode("short")),
            TokenProblem::bad_signature);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json(), "another-secret")), TokenProblem::bad_signature);
}

TEST(AccessToken, AlgNoneIsRefused) {
  const std::string unsigned_token =
      base64url_encode(R"({"alg":"none","typ":"at+jwt"})") + "." + base64url_encode(claims_json()) + ".";
  EXPECT_EQ(problem_of(unsigned_token), TokenProblem::bad_algorithm);
  EXPECT_EQ(problem_of(sign(R"({"alg":"none","typ":"at+jwt"})", claims_json())), TokenProblem::bad_algorithm);
  EXPECT_EQ(problem_of(sign(R"({"alg":"hs256","typ":"at+jwt"})", claims_json())),
            TokenProblem::bad_algorithm);
  EXPECT_EQ(problem_of(sign(R"({"typ":"at+jwt"})", claims_json())), TokenProblem::bad_algorithm);
  EXPECT_EQ(problem_of(sign(R"({"alg":null,"typ":"at+jwt"})", claims_json())), TokenProblem::bad_algorithm);
}

TEST(AccessToken, OtherAlgorithmsAreRefused) {
  // Signed with HMAC-SHA-256 and the right key, but labelled otherwise: the label alone refuses it.
  EXPECT_EQ(problem_of(sign(R"({"alg":"HS512","typ":"at+jwt"})", claims_json())),
            TokenProblem::bad_algorithm);
  EXPECT_EQ(problem_of(sign(R"({"alg":"RS256","typ":"at+jwt"})", claims_json())),
            TokenProblem::bad_algorithm);
}

TEST(AccessToken, WrongTypeIsRefused) {
  EXPECT_EQ(problem_of(sign(R"({"alg":"HS256","typ":"JWT"})", claims_json())), TokenProblem::bad_type);
  EXPECT_EQ(problem_of(sign(R"({"alg":"HS256"})", claims_json())), TokenProblem::bad_type);
  EXPECT_EQ(problem_of(sign(R"({"alg":"HS256","typ":"at+jwt+x"})", claims_json())), TokenProblem::bad_type);
}

TEST(AccessToken, UnknownCriticalHeaderIsRefused) {
  EXPECT_EQ(problem_of(sign(R"({"alg":"HS256","typ":"at+jwt","crit":["exp"]})", claims_json())),
            TokenProblem::malformed);
}

TEST(AccessToken, WrongIssuerIsRefused) {
  auto payload = claims_json();
  payload.replace(payload.find(R"("keel")"), 6, R"("evil")");
  EXPECT_EQ(problem_of(sign(kHs256Header, payload)), TokenProblem::bad_issuer);
}

TEST(AccessToken, AudienceStringOrArray) {
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", R"("other-api")"))), TokenProblem::bad_audience);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", R"(["other-api","keel-api"])"))),
            TokenProblem::none);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", R"(["other-api"])"))), TokenProblem::bad_audience);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", "[]"))), TokenProblem::bad_audience);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", R"(["keel-api",7])"))), TokenProblem::malformed);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", "7"))), TokenProblem::malformed);
}

TEST(AccessToken, ExpiryHonoursLeeway) {
  const auto token = sign(kHs256Header, claims_json());
  EXPECT_EQ(problem_of(token, kNow + 900), TokenProblem::none);          // at exp, inside 30 s leeway
  EXPECT_EQ(problem_of(token, kNow + 900 + 29), TokenProblem::none);     // still inside leeway
  EXPECT_EQ(problem_of(token, kNow + 900 + 30), TokenProblem::expired);  // exp + leeway <= now
  EXPECT_EQ(problem_of(token, kNow + 100'000), TokenProblem::expired);
}

TEST(AccessToken, IssuedInTheFutureIsRefused) {
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", R"("keel-api")", kNow + 30, kNow + 930))),
            TokenProblem::none);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json("", R"("keel-api")", kNow + 31, kNow + 931))),
            TokenProblem::not_yet_valid);
}

TEST(AccessToken, NotBeforeIsHonoured) {
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json(R"("nbf":)" + std::to_string(kNow + 20)))),
            TokenProblem::none);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json(R"("nbf":)" + std::to_string(kNow + 600)))),
            TokenProblem::not_yet_valid);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json(R"("nbf":"soon")"))), TokenProblem::malformed);
}

TEST(AccessToken, MissingOrMistypedClaimsAreMalformed) {
  const auto without = [](std::string_view claim) {
    auto payload = claims_json();
    const auto start = payload.find("\"" + std::string(claim) + "\"");
    const auto end = payload.find_first_of(",}", start);
    payload.erase(start, end - start + (payload[end] == ',' ? 1 : 0));
    if (payload[payload.size() - 2] == ',') payload.erase(payload.size() - 2, 1);
    return payload;
  };
  for (const char* claim : {"iss", "aud", "sub", "iat", "exp", "jti"}) {
    EXPECT_EQ(problem_of(sign(kHs256Header, without(claim))), TokenProblem::malformed) << claim;
  }
  // scope may be absent (no scopes) or empty, but not another type.
  const auto no_scope = AccessTokenCodec(test_config()).verify(sign(kHs256Header, without("scope")), kNow);
  ASSERT_EQ(no_scope.problem, TokenProblem::none);
  EXPECT_TRUE(no_scope.claims->scopes.empty());

  auto numeric_sub = claims_json();
  numeric_sub.replace(numeric_sub.find(R"("user-1")"), 8, "12");
  EXPECT_EQ(problem_of(sign(kHs256Header, numeric_sub)), TokenProblem::malformed);
  auto empty_jti = claims_json();
  empty_jti.replace(empty_jti.find(R"("jti-1")"), 7, R"("")");
  EXPECT_EQ(problem_of(sign(kHs256Header, empty_jti)), TokenProblem::malformed);
  auto scope_array = claims_json();
  scope_array.replace(scope_array.find(R"("profile")"), 9, R"(["profile"])");
  EXPECT_EQ(problem_of(sign(kHs256Header, scope_array)), TokenProblem::malformed);
  auto fractional_exp = claims_json();
  fractional_exp.replace(fractional_exp.find(std::to_string(kNow + 900)), 10,
                         std::to_string(kNow + 900) + ".5");
  EXPECT_EQ(problem_of(sign(kHs256Header, fractional_exp)), TokenProblem::malformed);
  EXPECT_EQ(problem_of(sign(kHs256Header, claims_json(R"("sid":42)"))), TokenProblem::malformed);
  EXPECT_EQ(problem_of(sign(kHs256Header, "[1,2]")), TokenProblem::malformed);
  EXPECT_EQ(problem_of(sign(kHs256Header, R"({"iss":"keel",)")), TokenProblem::malformed);
}

TEST(AccessToken, ScopeSplitsOnSpaces) {
  const auto verified =
      AccessTokenCodec(test_config())
          .verify(sign(kHs256Header, claims_json().replace(claims_json().find(R"("profile")"), 9,
                                                           R"(" profile  items:read ")")),
                  kNow);
  ASSERT_EQ(verified.problem, TokenProblem::none);
  EXPECT_EQ(verified.claims->scopes, (std::vector<std::string>{"profile", "items:read"}));
}

TEST(AccessToken, GarbageIsMalformed) {
  const auto good = sign(kHs256Header, claims_json());
  EXPECT_EQ(problem_of(""), TokenProblem::malformed);
  EXPECT_EQ(problem_of("garbage"), TokenProblem::malformed);
  EXPECT_EQ(problem_of("a.b.c"), TokenProblem::malformed);
  EXPECT_EQ(problem_of(".."), TokenProblem::malformed);
  EXPECT_EQ(problem_of(good.substr(0, good.rfind('.'))), TokenProblem::malformed);  // two parts
  EXPECT_EQ(problem_of(good + ".extra"), TokenProblem::malformed);                  // four parts
  EXPECT_EQ(problem_of(good + "."), TokenProblem::malformed);
  EXPECT_EQ(problem_of("eyJ*bGciOiJIUzI1NiJ9." + good.substr(good.find('.') + 1)), TokenProblem::malformed);
  std::string bad_signature_chars = good;
  bad_signature_chars.back() = '+';
  EXPECT_EQ(problem_of(bad_signature_chars), TokenProblem::malformed);
  EXPECT_EQ(problem_of(good + "="), TokenProblem::malformed);  // JWS parts carry no padding
  EXPECT_EQ(problem_of(sign("not json", claims_json())), TokenProblem::malformed);
  EXPECT_EQ(problem_of(sign(R"(["HS256"])", claims_json())), TokenProblem::malformed);
}

TEST(AccessToken, HugeTokenIsMalformedBeforeAnyWork) {
  const auto padded = sign(kHs256Header, claims_json(R"("pad":")" + std::string(9000, 'x') + "\""));
  ASSERT_GT(padded.size(), 8u * 1024u);
  EXPECT_EQ(problem_of(padded), TokenProblem::malformed);
  EXPECT_EQ(problem_of(std::string(1'000'000, 'A')), TokenProblem::malformed);
  // Just under the cap is fine.
  const auto near_cap = sign(kHs256Header, claims_json(R"("pad":")" + std::string(5000, 'x') + "\""));
  ASSERT_LT(near_cap.size(), 8u * 1024u);
  EXPECT_EQ(problem_of(near_cap), TokenProblem::none);
}

TEST(AccessToken, ProblemNames) {
  EXPECT_EQ(to_string(TokenProblem::none), "none");
  EXPECT_EQ(to_string(TokenProblem::bad_signature), "bad_signature");
  EXPECT_EQ(to_string(TokenProblem::not_yet_valid), "not_yet_valid");
  EXPECT_EQ(to_string(TokenProblem::expired), "expired");
}

TEST(AccessToken, UnixNowIsWallClockSeconds) {
  const auto now = unix_now();
  EXPECT_GT(now, 1'700'000'000);  // after 2023
  EXPECT_LT(now, 4'102'444'800);  // before 2100
}

TEST(AccessToken, IssuedSignatureIsPlainHmacOfTheSigningInput) {
  const auto token = AccessTokenCodec(test_config()).issue("u", {"profile"}, "s", kNow).token;
  const auto last_dot = token.rfind('.');
  EXPECT_EQ(token.substr(last_dot + 1), base64url_encode(hmac_sha256(kSecret, token.substr(0, last_dot))));
  EXPECT_EQ(token.substr(0, token.find('.')), base64url_encode(kHs256Header));
}

TEST(AccessToken, HeaderSpelledDifferentlyStillGoesThroughEveryCheck) {
  // Same meaning as Keel's header but other bytes: parsed and accepted.
  EXPECT_EQ(problem_of(sign(R"({ "alg" : "HS256", "typ" : "at+jwt" })", claims_json())), TokenProblem::none);
  EXPECT_EQ(problem_of(sign(R"({"typ":"at+jwt","alg":"HS256"})", claims_json())), TokenProblem::none);
  // Keel's exact header with one extra member is no longer the known spelling, and crit still refuses it.
  EXPECT_EQ(problem_of(sign(R"({"alg":"HS256","typ":"at+jwt","crit":[]})", claims_json())),
            TokenProblem::malformed);
}

TEST(AccessToken, CodecsWithOtherSecretsNeverAcceptEachOthersTokens) {
  auto other_config = test_config();
  other_config.secret = "a-different-secret-of-reasonable-length";
  const AccessTokenCodec ours(test_config());
  const AccessTokenCodec theirs(other_config);
  const auto our_token = ours.issue("u", {}, "", kNow).token;
  const auto their_token = theirs.issue("u", {}, "", kNow).token;
  // Interleaved on one thread, so any per-thread HMAC state is switched back and forth.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ours.verify(our_token, kNow).problem, TokenProblem::none) << i;
    EXPECT_EQ(theirs.verify(our_token, kNow).problem, TokenProblem::bad_signature) << i;
    EXPECT_EQ(ours.verify(their_token, kNow).problem, TokenProblem::bad_signature) << i;
    EXPECT_EQ(theirs.verify(their_token, kNow).problem, TokenProblem::none) << i;
  }
}

TEST(AccessToken, CopiedAndMovedCodecsVerifyTheSameTokens) {
  const AccessTokenCodec original(test_config());
  const auto token = original.issue("u", {}, "", kNow).token;
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is what is tested.
  const AccessTokenCodec copy = original;
  EXPECT_EQ(copy.verify(token, kNow).problem, TokenProblem::none);
  EXPECT_EQ(original.verify(copy.issue("u", {}, "", kNow).token, kNow).problem, TokenProblem::none);
  AccessTokenCodec source(test_config());
  const AccessTokenCodec moved = std::move(source);
  EXPECT_EQ(moved.verify(token, kNow).problem, TokenProblem::none);
}

TEST(AccessToken, ConcurrentIssueAndVerifyOnOneCodec) {
  const AccessTokenCodec codec(test_config());
  const auto forged = sign(kHs256Header, claims_json(), "another-secret");
  std::array<int, 4> failures{};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const auto issued = codec.issue("user-" + std::to_string(t), {"profile"}, "", kNow);
        const auto verified = codec.verify(issued.token, kNow);
        if (verified.problem != TokenProblem::none || verified.claims->token_id != issued.claims.token_id) {
          ++failures[t];
        }
        if (codec.verify(forged, kNow).problem != TokenProblem::bad_signature) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, (std::array<int, 4>{}));
}

}  // namespace
}  // namespace keel::security

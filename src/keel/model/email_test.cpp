#include "keel/model/email.hpp"

#include <string>

#include <gtest/gtest.h>

namespace keel::model {
namespace {

TEST(EmailError, AcceptsPracticalAddresses) {
  const std::string local64(64, 'a');
  const std::string total254 = "a@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                               std::string(63, 'd') + "." + std::string(60, 'e');
  ASSERT_EQ(total254.size(), 254u);
  for (const std::string& address :
       {std::string("user@example.com"), std::string("first.last+tag@sub.example.co.uk"),
        std::string("a@b.io"), std::string("o'neil@example.org"), std::string("USER@EXAMPLE.COM"),
        std::string("x_y-z@xn--bcher-kva.example"), std::string("1234@123.example.com"),
        std::string("#!$%&*=?^`{|}~@example.com"), local64 + "@example.com", total254}) {
    EXPECT_EQ(email_error(address), "") << address;
  }
}

TEST(EmailError, RejectsMalformedAddresses) {
  const std::string local65(65, 'a');
  const std::string total255 = "a@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                               std::string(63, 'd') + "." + std::string(61, 'e');
  ASSERT_EQ(total255.size(), 255u);
  for (const std::string& address : {std::string(""),
                                     std::string("plain"),
                                     std::string("@example.com"),
                                     std::string("user@"),
                                     std::string("user@@example.com"),
                                     std::string("a@b@example.com"),
                                     std::string(".user@example.com"),
                                     std::string("user.@example.com"),
                                     std::string("us..er@example.com"),
                                     std::string("user@localhost"),
                                     std::string("user@-example.com"),
                                     std::string("user@example-.com"),
                                     std::string("user@exa_mple.com"),
                                     std::string("user@example..com"),
                                     std::string("user@.example.com"),
                                     std::string("user@example.com."),
                                     std::string("user name@example.com"),
                                     std::string("\"quoted\"@example.com"),
                                     std::string("üser@example.com"),
                                     std::string("user@exämple.com"),
                                     std::string("user@[127.0.0.1]"),
                                     std::string("user@example.123"),
                                     local65 + "@example.com",
                                     total255,
                                     "user@" + std::string(64, 'l') + ".com"}) {
    EXPECT_NE(email_error(address), "") << address;
  }
}

TEST(EmailError, ExplainsTheProblem) {
  EXPECT_EQ(email_error("plain"), "An email address must have exactly one @-sign.");
  EXPECT_EQ(email_error("@example.com"), "There must be something before the @-sign.");
  EXPECT_EQ(email_error("user@localhost"), "The part after the @-sign must contain a period.");
}

}  // namespace
}  // namespace keel::model

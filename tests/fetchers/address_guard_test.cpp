// Tests for the address half of the SSRF guard: each refused range at its
// edges, the IPv6 forms that carry a refused IPv4 address, and public
// addresses that must stay reachable.
#include "fetchers/address_guard.hpp"

#include <initializer_list>

#include <gtest/gtest.h>

namespace newsd::fetchers {
namespace {

namespace asio = boost::asio;

void expect_blocked(std::initializer_list<const char*> texts) {
  for (const char* text : texts) {
    EXPECT_TRUE(is_blocked_address(asio::ip::make_address(text))) << text;
  }
}

void expect_allowed(std::initializer_list<const char*> texts) {
  for (const char* text : texts) {
    EXPECT_FALSE(is_blocked_address(asio::ip::make_address(text))) << text;
  }
}

// --- IPv4 ----------------------------------------------------------------------

TEST(AddressGuard, RefusesIpv4Loopback) {
  expect_blocked({"127.0.0.1", "127.0.0.0", "127.255.0.9", "127.255.255.255"});
}

TEST(AddressGuard, RefusesTenSlashEight) {
  expect_blocked({"10.0.0.0", "10.1.2.3", "10.255.255.255"});
  expect_allowed({"9.255.255.255", "11.0.0.0"});
}

TEST(AddressGuard, RefusesOneSevenTwoSixteenSlashTwelve) {
  expect_blocked({"172.16.0.0", "172.16.0.1", "172.20.10.5", "172.31.255.255"});
  expect_allowed({"172.15.255.255", "172.32.0.0", "172.32.0.1"});
}

TEST(AddressGuard, RefusesOneNineTwoOneSixEightSlashSixteen) {
  expect_blocked({"192.168.0.0", "192.168.1.1", "192.168.255.255"});
  expect_allowed({"192.167.255.255", "192.169.0.1"});
}

TEST(AddressGuard, RefusesLinkLocalAndTheMetadataService) {
  expect_blocked({"169.254.0.0", "169.254.169.254", "169.254.255.255"});
  expect_allowed({"169.253.255.255", "169.255.0.0"});
}

TEST(AddressGuard, RefusesCarrierGradeNat) {
  expect_blocked({"100.64.0.0", "100.64.0.1", "100.127.255.254", "100.127.255.255"});
  expect_allowed({"100.63.255.255", "100.128.0.0", "100.128.0.1"});
}

TEST(AddressGuard, RefusesThisNetwork) {
  expect_blocked({"0.0.0.0", "0.1.2.3", "0.255.255.255"});
}

TEST(AddressGuard, RefusesMulticastAndReserved) {
  expect_blocked({"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255"});
}

TEST(AddressGuard, AllowsPublicIpv4) {
  expect_allowed({"8.8.8.8", "1.1.1.1", "93.184.216.34", "1.0.0.1", "223.255.255.255"});
}

// --- IPv6 ----------------------------------------------------------------------

TEST(AddressGuard, RefusesIpv6LoopbackAndUnspecified) {
  expect_blocked({"::1", "::"});
}

TEST(AddressGuard, RefusesUniqueLocal) {
  expect_blocked({"fc00::", "fc00::1", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"});
  expect_allowed({"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"});
}

TEST(AddressGuard, RefusesIpv6LinkLocal) {
  expect_blocked({"fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"});
}

TEST(AddressGuard, RefusesIpv6Multicast) {
  expect_blocked({"ff02::1", "ff0e::1"});
}

TEST(AddressGuard, RefusesIpv4MappedFormsOfRefusedAddresses) {
  expect_blocked({"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:192.168.0.1"});
  expect_allowed({"::ffff:8.8.8.8"});
}

TEST(AddressGuard, RefusesOtherIpv6FormsThatEmbedRefusedIpv4) {
  expect_blocked({"::127.0.0.1",           // IPv4-compatible
                  "64:ff9b::a9fe:a9fe",    // NAT64 of 169.254.169.254
                  "2002:7f00:1::1"});      // 6to4 of 127.0.0.1
  expect_allowed({"64:ff9b::808:808",      // NAT64 of 8.8.8.8
                  "2002:808:808::1"});     // 6to4 of 8.8.8.8
}

TEST(AddressGuard, AllowsPublicIpv6) {
  expect_allowed({"2001:4860:4860::8888", "2606:4700::1111", "2a00:1450:4001:80b::200e"});
}

}  // namespace
}  // namespace newsd::fetchers

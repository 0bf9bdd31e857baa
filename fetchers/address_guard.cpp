// The address half of the SSRF guard (see address_guard.hpp).
#include "fetchers/address_guard.hpp"

#include <cstddef>
#include <cstdint>

namespace newsd::fetchers {
namespace {

namespace asio = boost::asio;

bool in_v4_range(std::uint32_t address, std::uint32_t network, int prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address & mask) == (network & mask);
}

bool is_blocked_v4(const asio::ip::address_v4& address) {
  struct Range {
    std::uint32_t network;
    int prefix;
  };
  static constexpr Range kBlocked[] = {
      {0x00000000, 8},   // 0.0.0.0/8 "this network"; 0.0.0.0 reaches the local host
      {0x0A000000, 8},   // 10/8 private
      {0x64400000, 10},  // 100.64/10 carrier-grade NAT
      {0x7F000000, 8},   // 127/8 loopback
      {0xA9FE0000, 16},  // 169.254/16 link-local, incl. the 169.254.169.254 metadata service
      {0xAC100000, 12},  // 172.16/12 private
      {0xC0000000, 24},  // 192.0.0/24 IETF protocol assignments
      {0xC0A80000, 16},  // 192.168/16 private
      {0xC6120000, 15},  // 198.18/15 benchmarking
      {0xE0000000, 4},   // 224/4 multicast
      {0xF0000000, 4},   // 240/4 reserved, incl. broadcast
  };
  const std::uint32_t value = address.to_uint();
  for (const Range& range : kBlocked) {
    if (in_v4_range(value, range.network, range.prefix)) return true;
  }
  return false;
}

asio::ip::address_v4 v4_at(const asio::ip::address_v6::bytes_type& bytes, std::size_t offset) {
  return asio::ip::address_v4(asio::ip::address_v4::bytes_type{
      bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]});
}

bool is_blocked_v6(const asio::ip::address_v6& address) {
  const auto bytes = address.to_bytes();
  if (address.is_unspecified() || address.is_loopback()) return true;
  if ((bytes[0] & 0xfe) == 0xfc) return true;                         // fc00::/7 unique local
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return true;     // fe80::/10 link-local
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0xc0) return true;     // fec0::/10 site-local
  if (bytes[0] == 0xff) return true;                                  // ff00::/8 multicast
  // Forms that carry an IPv4 address and can reach it: the kernel connects
  // ::ffff:127.0.0.1 to loopback, a NAT64 or 6to4 gateway forwards to it.
  const auto all_zero = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (bytes[i] != 0) return false;
    }
    return true;
  };
  if (address.is_v4_mapped()) return is_blocked_v4(v4_at(bytes, 12));
  if (all_zero(0, 12)) return is_blocked_v4(v4_at(bytes, 12));        // ::a.b.c.d compatible
  if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b &&
      all_zero(4, 12)) {
    return is_blocked_v4(v4_at(bytes, 12));                           // 64:ff9b::/96 NAT64
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x02) return is_blocked_v4(v4_at(bytes, 2));  // 2002::/16 6to4
  return false;
}

}  // namespace

bool is_blocked_address(const boost::asio::ip::address& address) {
  return address.is_v4() ? is_blocked_v4(address.to_v4()) : is_blocked_v6(address.to_v6());
}

}  // namespace newsd::fetchers

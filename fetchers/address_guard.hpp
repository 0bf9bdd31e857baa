#pragma once
// The address half of the SSRF guard: which IP addresses a fetch must not
// reach unless the operator allowed private networks. Pure: an address in,
// a yes or no out. HttpFetcher asks it about every peer, before connecting
// and before each request on a reused connection, and about every hop it
// resolves itself before asking a proxy.
#include <boost/asio/ip/address.hpp>

namespace newsd::fetchers {

// True for the addresses the SSRF guard refuses without allow_private_networks:
// unspecified, loopback, private, CGNAT, link-local (cloud metadata), unique
// local, multicast and reserved ranges, and IPv6 forms that embed such an IPv4
// address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
bool is_blocked_address(const boost::asio::ip::address& address);

}  // namespace newsd::fetchers

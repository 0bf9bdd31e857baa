#pragma once
// Length-prefixed fields: how the stores in sinks/ write a value of several
// strings (a 4-byte length in host order, then the bytes). The stores are
// local files, never moved between machines.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace newsd::sinks {

inline void put_field(std::string& out, std::string_view field) {
  auto size = static_cast<std::uint32_t>(field.size());
  char prefix[4];
  std::memcpy(prefix, &size, 4);
  out.append(prefix, 4).append(field);
}

// Takes the next field off `in`; false when `in` is too short for it.
inline bool take_field(std::string_view& in, std::string& out) {
  if (in.size() < 4) return false;
  std::uint32_t size;
  std::memcpy(&size, in.data(), 4);
  in.remove_prefix(4);
  if (in.size() < size) return false;
  out.assign(in.substr(0, size));
  in.remove_prefix(size);
  return true;
}

}  // namespace newsd::sinks

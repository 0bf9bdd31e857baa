#include "daemon/pipeline/source_checkpoint.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace newsd::daemon {

std::string encode_checkpoint(const SourceCheckpoint& checkpoint) {
  boost::json::object out;
  out["etag"] = checkpoint.etag;
  out["last_modified"] = checkpoint.last_modified;
  out["moved_to"] = checkpoint.moved_to;
  out["polled_at"] = std::chrono::duration_cast<std::chrono::milliseconds>(checkpoint.polled_at.time_since_epoch()).count();
  return boost::json::serialize(out);
}

std::optional<SourceCheckpoint> decode_checkpoint(std::string_view json) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& object = parsed.as_object();
  SourceCheckpoint checkpoint;
  auto text = [&](std::string_view key, std::string& out) {
    const auto* value = object.if_contains(key);
    if (value == nullptr || !value->is_string()) return false;
    out = std::string(value->get_string());
    return true;
  };
  const auto* polled = object.if_contains("polled_at");
  if (!text("etag", checkpoint.etag) || !text("last_modified", checkpoint.last_modified) ||
      !text("moved_to", checkpoint.moved_to) || polled == nullptr || !polled->is_int64())
    return std::nullopt;
  checkpoint.polled_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(polled->get_int64()));
  return checkpoint;
}

}  // namespace newsd::daemon

#pragma once
// fetch_once: one synchronous GET for the one-shot commands (parse-feed,
// extract), through the daemon's own HttpFetcher on a private event loop, so
// the tools fetch exactly as newsd does (protocols, redirects, decompression,
// body cap). Private addresses are allowed: the operator names the URL.
#include <cstdint>
#include <string>

#include "fetchers/http_fetcher.hpp"

namespace newsd::daemon {

// The response of a 2xx answer; otherwise `error` says why there is none.
struct OneShotResult {
  fetchers::FetchResponse response;
  std::string error;  // empty on success
};

OneShotResult fetch_once(const std::string& url, std::int64_t max_body_bytes,
                         const std::string& user_agent);

}  // namespace newsd::daemon

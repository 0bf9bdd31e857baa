#include "daemon/pipeline/fetch_request.hpp"

namespace newsd::daemon {

fetchers::FetchRequest request_for(const SourceConfig& source, std::string url) {
  fetchers::FetchRequest request;
  request.url = std::move(url);
  if (source.allow_private_networks) request.private_host = parsers::url_host(source.url);
  request.proxy = source.proxy;
  request.extra_headers = source.headers;
  return request;
}

}  // namespace newsd::daemon

#pragma once
// A Fetcher for unit tests: answers each URL with the response the test set
// for it (404 for others) and keeps every request it was asked, so the
// pipeline's stages run without a network or a loopback server.
#include <map>
#include <string>
#include <vector>

#include "fetchers/fetcher.hpp"

namespace newsd::daemon::testing {

class FakeFetcher final : public fetchers::Fetcher {
 public:
  boost::asio::awaitable<fetchers::FetchResponse> fetch(fetchers::FetchRequest request) override {
    requests.push_back(request);
    auto found = responses.find(request.url);
    fetchers::FetchResponse response;
    if (found == responses.end()) {
      response.status = 404;
    } else {
      response = found->second;
      if (!request.if_none_match.empty() && request.if_none_match == response.etag) {
        response.status = 304;
        response.body.clear();
      }
    }
    if (response.effective_url.empty()) response.effective_url = request.url;
    co_return response;
  }

  // A 200 with `body` for `url`.
  void serve(const std::string& url, std::string body, std::string content_type = "text/html",
             std::string etag = "") {
    fetchers::FetchResponse response;
    response.status = 200;
    response.body = std::move(body);
    response.content_type = std::move(content_type);
    response.etag = std::move(etag);
    responses[url] = std::move(response);
  }

  std::map<std::string, fetchers::FetchResponse> responses;
  std::vector<fetchers::FetchRequest> requests;
};

}  // namespace newsd::daemon::testing

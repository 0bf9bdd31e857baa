#pragma once
// A Fetcher for unit tests: answers each URL with the response the test set
// for it (404 for others), holds or throws where the test says, and keeps
// every request it was asked, so the pipeline's stages run without a
// network or a loopback server.
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fetchers/fetcher.hpp"

namespace newsd::daemon::testing {

class FakeFetcher final : public fetchers::Fetcher {
 public:
  boost::asio::awaitable<fetchers::FetchResponse> fetch(fetchers::FetchRequest request) override {
    requests.push_back(request);
    if (throwing.contains(request.url)) throw std::runtime_error("fake fetcher: a bug fetching " + request.url);
    if (held.contains(request.url)) {
      auto gate = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                              boost::asio::steady_timer::time_point::max());
      gates_.push_back(gate);
      co_await gate->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
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

  // Lets every held fetch complete.
  void release() {
    held.clear();
    for (auto& gate : gates_) gate->cancel();
    gates_.clear();
  }

  std::map<std::string, fetchers::FetchResponse> responses;
  std::vector<fetchers::FetchRequest> requests;
  std::set<std::string> held;      // URLs whose fetches wait until release(): a transfer in flight
  std::set<std::string> throwing;  // URLs whose fetches throw: a bug in the fetch stage

 private:
  std::vector<std::shared_ptr<boost::asio::steady_timer>> gates_;
};

}  // namespace newsd::daemon::testing

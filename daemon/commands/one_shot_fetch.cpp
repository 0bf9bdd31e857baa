#include "daemon/commands/one_shot_fetch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace newsd::daemon {

OneShotResult fetch_once(const std::string& url, std::int64_t max_body_bytes,
                         const std::string& user_agent) {
  boost::asio::io_context io;
  fetchers::FetchOptions options;
  options.user_agent = user_agent;
  options.max_body_bytes = max_body_bytes;
  options.total_timeout = std::chrono::seconds(60);
  options.allow_private_networks = true;
  fetchers::HttpFetcher fetcher(io, options);
  OneShotResult result;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        fetchers::FetchRequest request;
        request.url = url;
        result.response = co_await fetcher.fetch(std::move(request));
      },
      boost::asio::detached);
  io.run();
  const auto& response = result.response;
  if (!response.ok())
    result.error = std::string(fetchers::to_string(response.error)) +
                   (response.error_detail.empty() ? "" : ": " + response.error_detail);
  else if (response.status < 200 || response.status >= 300)
    result.error = "HTTP " + std::to_string(response.status);
  return result;
}

}  // namespace newsd::daemon

#include "daemon/pipeline/file_fetcher.hpp"

#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include "daemon/config/bounded_read.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

fetchers::FetchResponse FileFetcher::read(const fetchers::FetchRequest& request, std::size_t max_bytes) {
  fetchers::FetchResponse response;
  auto parsed = boost::urls::parse_uri(request.url);
  const std::string path = parsed ? std::string(parsed->path()) : std::string();
  response.effective_url = "file://" + path;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  const auto size = ec ? 0 : std::filesystem::file_size(path, ec);
  // Replayed feeds on disk: the file's size and mtime act as its validator.
  const std::string etag = std::to_string(size) + "-" + std::to_string(mtime.time_since_epoch().count());
  if (!ec && !request.if_none_match.empty() && request.if_none_match == etag) {
    response.status = 304;
    return response;
  }
  auto read = read_regular_file(path, max_bytes);
  if (ec || !read.bytes) {
    response.error = fetchers::FetchError::unreadable_file;
    response.error_detail = "cannot read " + path + ": " + (ec ? ec.message() : read.error);
    return response;
  }
  response.status = 200;
  response.body = std::move(*read.bytes);
  response.etag = etag;
  return response;
}

asio::awaitable<fetchers::FetchResponse> FileFetcher::fetch(fetchers::FetchRequest request) {
  if (!request.url.starts_with("file:")) co_return co_await web_.fetch(std::move(request));
  // A named task, not a temporary lambda inside the co_await expression:
  // GCC 12 destroys such temporaries twice.
  auto task = [&request, max = max_bytes_]() -> asio::awaitable<fetchers::FetchResponse> {
    co_return read(request, max);
  };
  co_return co_await asio::co_spawn(cpu_, std::move(task), asio::use_awaitable);
}

}  // namespace newsd::daemon

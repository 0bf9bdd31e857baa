#pragma once
// FileFetcher: `file:` sources (feeds replayed from disk, the quick start's
// sample feed) read like any other document: a capped read off the event
// loop, the file's size and modification time as its ETag, 304 when they
// have not changed. Every other URL goes to the web fetcher it wraps.
#include <cstddef>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "fetchers/fetcher.hpp"

namespace newsd::daemon {

class FileFetcher final : public fetchers::Fetcher {
 public:
  FileFetcher(fetchers::Fetcher& web, boost::asio::thread_pool& cpu, std::size_t max_bytes)
      : web_(web), cpu_(cpu), max_bytes_(max_bytes) {}

  boost::asio::awaitable<fetchers::FetchResponse> fetch(fetchers::FetchRequest request) override;

  // The response for a `file:` URL, read on the calling thread.
  static fetchers::FetchResponse read(const fetchers::FetchRequest& request, std::size_t max_bytes);

 private:
  fetchers::Fetcher& web_;
  boost::asio::thread_pool& cpu_;
  std::size_t max_bytes_;
};

}  // namespace newsd::daemon

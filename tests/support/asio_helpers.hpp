#pragma once
// Driving an io_context from a test: run it until a condition holds, or
// until a coroutine has produced its value.
#include <chrono>
#include <exception>
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace newsd::daemon::testing {

// Runs `io` until `done()` holds or `timeout` passed; returns done().
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Runs `task` on `io` to its end and returns its value (rethrowing what it threw).
template <typename T>
T run_task(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result = std::move(value);
  });
  run_until(io, [&] { return result.has_value() || error; });
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace newsd::daemon::testing

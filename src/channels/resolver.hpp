#pragma once

#include "pants/channels/address.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pants {

/// Resolves host names on a background thread, so getaddrinfo never blocks
/// an engine or a CAF worker. Requests are served in order.
/// `resolve` is safe from any thread; the callback runs in the resolver's
/// thread and must only hand the result on (e.g. to the engine).
class resolver {
public:
  using callback = std::function<void(std::vector<endpoint> found, std::string error)>;

  resolver() = default;
  /// Finishes the request in progress, drops the rest, joins the thread.
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  /// The process-wide resolver.
  static resolver& instance();

  /// Queues a lookup of `host`:`port`. Safe from any thread.
  void resolve(std::string host, std::uint16_t port, callback done);

private:
  struct request {
    std::string host;
    std::uint16_t port;
    callback done;
  };
  void run();

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<request> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace pants

#include "pants/channels/resolver.hpp"

namespace pants {

resolver::~resolver() {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

resolver& resolver::instance() {
  static resolver shared;
  return shared;
}

void resolver::resolve(std::string host, std::uint16_t port, callback done) {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    queue_.push_back({std::move(host), port, std::move(done)});
    if (!thread_.joinable())
      thread_ = std::thread([this] { run(); });
  }
  cv_.notify_one();
}

void resolver::run() {
  std::unique_lock<std::mutex> lock(mtx_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_)
      return;
    auto req = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::string error;
    auto found = endpoint::resolve(req.host, req.port, error);
    req.done(std::move(found), std::move(error));
    lock.lock();
  }
}

} // namespace pants

// See http/header_gate.h.
#include "http/header_gate.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"

namespace vitals {

namespace {
constexpr uint64_t kWakeId = 0;  // epoll data of the eventfd; parked ids start at 1

// The end of a request header: an empty line ("\r\n\r\n", or "\n\n" which civetweb accepts too).
bool header_complete(std::string_view s) {
  return s.find("\r\n\r\n") != std::string_view::npos || s.find("\n\n") != std::string_view::npos;
}
}  // namespace

HeaderGate::HeaderGate(Options o, Ready ready, Dropped dropped)
    : opts_(o), ready_(std::move(ready)), dropped_(std::move(dropped)) {}

HeaderGate::~HeaderGate() {
  stop();
}

bool HeaderGate::start(std::string* error) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epfd_ < 0 || wakefd_ < 0) {
    *error = std::string("header gate: ") + std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) != 0) {
    *error = std::string("header gate: epoll_ctl: ") + std::strerror(errno);
    return false;
  }
  // One byte more than the limit tells "no end within the limit" from "not all here yet".
  peek_.resize(static_cast<size_t>(opts_.max_header_bytes) + 1);
  return true;
}

void HeaderGate::begin() {
  std::lock_guard<std::mutex> lk(mu_);
  if (!stopping_ && epfd_ >= 0 && !thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void HeaderGate::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(wakefd_, &one, sizeof one);
    thread_.join();
  }
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& [id, e] : entries_) ids.push_back(id);
  }
  for (uint64_t id : ids) drop(id, Drop::kStopping);
  if (epfd_ >= 0) ::close(epfd_);
  if (wakefd_ >= 0) ::close(wakefd_);
  epfd_ = wakefd_ = -1;
}

size_t HeaderGate::parked() const {
  std::lock_guard<std::mutex> lk(mu_);
  return entries_.size();
}

bool HeaderGate::park(int fd, unsigned listener, std::string key) {
  // civetweb sets close-on-exec when it queues the socket; a parked one must not leak into a
  // child process meanwhile.
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  std::optional<Entry> evicted;
  std::unique_lock<std::mutex> lk(mu_);
  if (stopping_ || epfd_ < 0 || opts_.max_parked == 0) return false;
  if (entries_.size() >= opts_.max_parked) {
    // Full: the oldest parked connection makes room (the one nearest its header timeout), so
    // a newcomer such as a scrape is always parked; an attacker has to open max_parked
    // connections per scrape's round trip to keep one out.
    while (!order_.empty()) {
      auto it = entries_.find(order_.front().second);
      order_.pop_front();
      if (it == entries_.end()) continue;
      evicted = std::move(it->second);
      entries_.erase(it);
      break;
    }
  }
  uint64_t id = next_id_++;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.timeout_ms);
  entries_.emplace(id, Entry{fd, listener, std::move(key), deadline});
  // Edge-triggered: each arrival of new bytes reports the socket once, so a header that is
  // still incomplete does not report it again until more comes.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = id;
  bool ok = epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
  if (!ok) {
    entries_.erase(id);
  } else {
    bool first = order_.empty();
    order_.emplace_back(deadline, id);
    if (first) {  // the thread may be waiting without a deadline
      uint64_t one = 1;
      (void)!::write(wakefd_, &one, sizeof one);
    }
  }
  lk.unlock();
  if (evicted) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, evicted->fd, nullptr);
    ::close(evicted->fd);
    dropped_(evicted->key, Drop::kEvicted);
  }
  return ok;
}

void HeaderGate::run() {
  std::vector<epoll_event> events(256);
  for (;;) {
    int timeout = -1;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stopping_) return;
      if (!order_.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        order_.front().first - std::chrono::steady_clock::now())
                        .count();
        timeout = left < 0 ? 0 : static_cast<int>(left) + 1;
      }
    }
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
      log::error("header gate: epoll_wait failed", {{"err", std::strerror(errno)}});
      return;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        uint64_t v;
        (void)!::read(wakefd_, &v, sizeof v);
        continue;
      }
      check(id, (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    }
    expire(std::chrono::steady_clock::now());
  }
}

bool HeaderGate::check(uint64_t id, bool hangup) {
  int fd;
  unsigned listener;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return true;
    fd = it->second.fd;
    listener = it->second.listener;
  }
  ssize_t got = ::recv(fd, peek_.data(), peek_.size(), MSG_PEEK | MSG_DONTWAIT);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  if (got <= 0) {
    drop(id, Drop::kClosed);
    return true;
  }
  std::string_view seen(peek_.data(), static_cast<size_t>(got));
  if (!opts_.tls && !header_complete(seen)) {
    if (seen.size() > static_cast<size_t>(opts_.max_header_bytes)) {
      drop(id, Drop::kTooLarge);
      return true;
    }
    // Half a header and the client has shut down its side: it cannot complete it.
    if (hangup) {
      drop(id, Drop::kClosed);
      return true;
    }
    return false;
  }
  std::string key;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return true;
    key = std::move(it->second.key);
    entries_.erase(it);
  }
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  ready_(fd, listener, key);
  return true;
}

void HeaderGate::drop(uint64_t id, Drop why) {
  Entry e;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    e = std::move(it->second);
    entries_.erase(it);
  }
  if (epfd_ >= 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, e.fd, nullptr);
  if (why == Drop::kTooLarge) {
    static constexpr std::string_view k431 =
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
        "Content-Length: 35\r\nConnection: close\r\n\r\nrequest header larger than allowed\n";
    (void)!::send(e.fd, k431.data(), k431.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  ::close(e.fd);
  dropped_(e.key, why);
}

void HeaderGate::expire(std::chrono::steady_clock::time_point now) {
  std::vector<uint64_t> due;
  {
    std::lock_guard<std::mutex> lk(mu_);
    while (!order_.empty() && order_.front().first <= now) {
      if (entries_.count(order_.front().second)) due.push_back(order_.front().second);
      order_.pop_front();
    }
  }
  for (uint64_t id : due) drop(id, Drop::kTimeout);
}

}  // namespace vitals

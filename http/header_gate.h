// Parks accepted connections until their request header is complete, so that civetweb's
// worker threads (one per connection being served) only get connections with a request ready.
// One thread per listener waits on all parked sockets with epoll. Plain HTTP: a socket is
// ready when MSG_PEEK shows the end of the header (an empty line) within max_header_bytes;
// TLS: when any byte (the ClientHello) has arrived. Used by http/civetweb_server.cpp only.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace vitals {

class HeaderGate {
 public:
  // Why a parked connection left the gate without being handed on.
  enum class Drop {
    kTimeout,   // no complete header within timeout_ms (closed)
    kEvicted,   // the oldest parked one when the gate was full and another came (closed)
    kTooLarge,  // no end of header within max_header_bytes (431, closed)
    kClosed,    // the client closed or reset it first
    kStopping,  // the gate stopped
  };
  struct Options {
    int timeout_ms = 5000;
    int max_header_bytes = 16384;
    bool tls = false;
    size_t max_parked = 4096;
  };
  // ready(fd, listener, key): hand the socket on (it is no longer the gate's).
  // dropped(key, why): the socket was closed by the gate.
  using Ready = std::function<void(int fd, unsigned listener, const std::string& key)>;
  using Dropped = std::function<void(const std::string& key, Drop why)>;

  HeaderGate(Options o, Ready ready, Dropped dropped);
  ~HeaderGate();
  HeaderGate(const HeaderGate&) = delete;
  HeaderGate& operator=(const HeaderGate&) = delete;

  // Sets up epoll; park() works from here on, but nothing is handed on before begin().
  bool start(std::string* error);
  // Starts the thread (after civetweb's context exists, which ready() needs).
  void begin();
  // Closes every parked socket (dropped(..., kStopping)) and joins the thread.
  void stop();
  // Takes the socket (when max_parked are parked already, the oldest is closed to make room);
  // false (and the socket is left to the caller) when the gate is stopped or failed.
  bool park(int fd, unsigned listener, std::string key);
  size_t parked() const;

 private:
  struct Entry {
    int fd;
    unsigned listener;
    std::string key;
    std::chrono::steady_clock::time_point deadline;
  };
  void run();
  // Looks at what has arrived on a parked socket; true when it left the gate.
  bool check(uint64_t id, bool hangup);
  void drop(uint64_t id, Drop why);
  void expire(std::chrono::steady_clock::time_point now);

  Options opts_;
  Ready ready_;
  Dropped dropped_;
  int epfd_ = -1;
  int wakefd_ = -1;  // eventfd: a new first entry, or stop
  std::thread thread_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Entry> entries_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> order_;  // by deadline
  std::string peek_;  // the gate thread's buffer
};

}  // namespace vitals

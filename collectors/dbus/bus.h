// A small sd-bus client for the systemd and logind collectors: one connection kept between
// scrapes, and batches of method calls sent asynchronously (at most kWindow in flight, under
// dbus-daemon's default 128 pending replies per connection) and awaited together with one
// deadline, so a scrape costs about one round trip per batch, not one per property, and a bus
// that never answers fails the collector when the deadline passes instead of hanging it.
#pragma once

#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vitals::dbus {

using Clock = std::chrono::steady_clock;

// When a collector stops waiting for D-Bus: `budget` from now, and a little before the scrape's
// deadline (a tenth of the time left, at most 200 ms), so that the collector's own message
// ("no reply before the deadline") is what the scrape reports, not the scraper's.
Clock::time_point call_deadline(Clock::time_point scrape_deadline, Clock::duration budget);

// The bus address sd_bus_open_system connects to ($DBUS_SYSTEM_BUS_ADDRESS or the default), for
// messages.
std::string system_bus_address();

class Connection {
 public:
  // `systemd_private`: systemd's private socket /run/systemd/private (root only), else the system
  // bus.
  explicit Connection(bool systemd_private = false) : private_(systemd_private) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The open connection, opened now if there is none; throws CollectError naming the address.
  sd_bus* get();
  // Drops the connection (after an error or timeout; the next get() opens a new one).
  void close();
  const std::string& address() const { return address_; }
  // Whether the peer is a bus (method calls carry a destination) or systemd itself.
  bool is_private() const { return private_; }

 private:
  bool private_;
  std::string address_;
  sd_bus* bus_ = nullptr;
};

// A batch of method calls. Queue them with call()/get_property(), then run(); afterwards each
// call has either a reply or an error.
class Batch {
 public:
  static constexpr size_t kWindow = 64;

  explicit Batch(Connection& conn) : conn_(conn) {}
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Returns the call's index. Arguments: none, or one string argument (`arg`, may be null).
  size_t call(const char* destination, std::string path, const char* interface, const char* member);
  // org.freedesktop.DBus.Properties.Get(interface, property) on `path`.
  size_t get_property(const char* destination, std::string path, const char* interface,
                      const char* property);
  // Sends every call and waits for all replies until `deadline`. Throws CollectError (and drops
  // the connection) when the bus fails or the deadline passes; `what` names the batch there.
  void run(Clock::time_point deadline, const char* what);

  size_t size() const { return calls_.size(); }
  // A method call's reply, or null if the call failed.
  sd_bus_message* reply(size_t i) const { return calls_[i].reply; }
  // A get_property's value: false if the call failed or the value has another type. (The value
  // is taken out of the reply when it arrives and the reply dropped, so a batch of thousands of
  // properties holds thousands of small values, not thousands of messages.)
  bool string_property(size_t i, std::string& out) const;
  bool u32_property(size_t i, uint32_t& out) const;
  bool u64_property(size_t i, uint64_t& out) const;
  bool bool_property(size_t i, bool& out) const;
  // "org.freedesktop.DBus.Error.UnknownProperty: ..." for a failed call.
  const std::string& error(size_t i) const { return calls_[i].error; }

 private:
  struct Call {
    const char* destination = nullptr;
    std::string path;
    const char* interface = nullptr;
    const char* member = nullptr;
    const char* arg1 = nullptr;  // Properties.Get: interface, property
    const char* arg2 = nullptr;
    sd_bus_slot* slot = nullptr;
    sd_bus_message* reply = nullptr;  // method calls
    char type = 0;                    // get_property: the value's D-Bus type ('s', 'u', ...)
    uint64_t number = 0;              // ... a 'u', 't' or 'b' value
    std::string text;                 // ... an 's' value
    std::string error;
    bool done = false;
    Batch* batch = nullptr;
  };
  static int on_reply(sd_bus_message* m, void* userdata, sd_bus_error* ret_error);
  static void read_variant(sd_bus_message* m, Call& c);
  int send(Call& c, uint64_t timeout_usec);

  Connection& conn_;
  std::vector<Call> calls_;
  size_t done_ = 0;
};

}  // namespace vitals::dbus

#include "collectors/dbus/bus.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/fs.h"

namespace vitals::dbus {

namespace {

constexpr const char* kPrivateAddress = "unix:path=/run/systemd/private";

std::string errno_text(int r) {
  return std::strerror(r < 0 ? -r : r);
}

}  // namespace

Clock::time_point call_deadline(Clock::time_point scrape_deadline, Clock::duration budget) {
  const auto now = Clock::now();
  const auto margin =
      std::min<Clock::duration>(std::chrono::milliseconds(200), (scrape_deadline - now) / 10);
  return std::min(scrape_deadline - std::max<Clock::duration>(margin, Clock::duration(0)),
                  now + budget);
}

std::string system_bus_address() {
  const char* e = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return e && *e ? e : "unix:path=/run/dbus/system_bus_socket";
}

sd_bus* Connection::get() {
  if (bus_) return bus_;
  address_ = private_ ? kPrivateAddress : system_bus_address();
  sd_bus* bus = nullptr;
  int r;
  if (private_) {
    r = sd_bus_new(&bus);
    if (r >= 0) r = sd_bus_set_address(bus, kPrivateAddress);
    if (r >= 0) r = sd_bus_start(bus);
  } else {
    // Connects without blocking; authentication and Hello complete in Batch::run.
    r = sd_bus_open_system(&bus);
  }
  if (r < 0) {
    sd_bus_unref(bus);
    throw CollectError("couldn't connect to D-Bus at " + address_ + ": " + errno_text(r));
  }
  bus_ = bus;
  return bus_;
}

void Connection::close() {
  if (bus_) bus_ = sd_bus_close_unref(bus_);
}

Batch::~Batch() {
  for (Call& c : calls_) {
    sd_bus_slot_unref(c.slot);  // cancels a call still pending
    sd_bus_message_unref(c.reply);
  }
}

size_t Batch::call(const char* destination, std::string path, const char* interface,
                   const char* member) {
  Call c;
  c.destination = destination;
  c.path = std::move(path);
  c.interface = interface;
  c.member = member;
  calls_.push_back(std::move(c));
  return calls_.size() - 1;
}

size_t Batch::get_property(const char* destination, std::string path, const char* interface,
                           const char* property) {
  Call c;
  c.destination = destination;
  c.path = std::move(path);
  c.interface = "org.freedesktop.DBus.Properties";
  c.member = "Get";
  c.arg1 = interface;
  c.arg2 = property;
  calls_.push_back(std::move(c));
  return calls_.size() - 1;
}

// Takes a Properties.Get reply's variant ('s', 'u', 't' or 'b') into the call; other types leave
// the call without a value, as a failed one.
void Batch::read_variant(sd_bus_message* m, Call& c) {
  char t = 0;
  const char* contents = nullptr;
  if (sd_bus_message_peek_type(m, &t, &contents) <= 0 || t != 'v' || !contents) return;
  if (std::strlen(contents) != 1 || sd_bus_message_enter_container(m, 'v', contents) <= 0) return;
  int r = 0;
  switch (contents[0]) {
    case 's': {
      const char* s = nullptr;
      r = sd_bus_message_read_basic(m, 's', &s);
      if (r > 0) c.text.assign(s);
      break;
    }
    case 'u': {
      uint32_t u = 0;
      r = sd_bus_message_read_basic(m, 'u', &u);
      c.number = u;
      break;
    }
    case 't':
      r = sd_bus_message_read_basic(m, 't', &c.number);
      break;
    case 'b': {
      int b = 0;
      r = sd_bus_message_read_basic(m, 'b', &b);
      c.number = b != 0;
      break;
    }
    default:
      return;
  }
  if (r > 0) c.type = contents[0];
}

int Batch::on_reply(sd_bus_message* m, void* userdata, sd_bus_error*) {
  Call& c = *static_cast<Call*>(userdata);
  const sd_bus_error* e = sd_bus_message_get_error(m);
  if (e) {
    c.error = std::string(e->name ? e->name : "error") + ": " + (e->message ? e->message : "");
  } else if (!c.arg1) {
    c.reply = sd_bus_message_ref(m);
  } else {
    read_variant(m, c);
  }
  c.done = true;
  ++c.batch->done_;
  return 1;
}

int Batch::send(Call& c, uint64_t timeout_usec) {
  sd_bus* bus = conn_.get();
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, conn_.is_private() ? nullptr : c.destination,
                                         c.path.c_str(), c.interface, c.member);
  if (r >= 0 && c.arg1) r = sd_bus_message_append(m, "ss", c.arg1, c.arg2);
  if (r >= 0) {
    c.batch = this;
    r = sd_bus_call_async(bus, &c.slot, m, &Batch::on_reply, &c, timeout_usec);
  }
  sd_bus_message_unref(m);
  if (r < 0) {
    // A call that cannot be queued (a bad object path) fails alone; run() fails the batch when
    // the connection itself is gone.
    c.error = std::string("sending ") + c.interface + "." + c.member + " to " + c.path + ": " +
              errno_text(r);
    c.done = true;
    ++done_;
  }
  return r;
}

void Batch::run(Clock::time_point deadline, const char* what) {
  sd_bus* bus = conn_.get();
  size_t next = 0;
  auto in_flight = [&] { return next - done_; };
  auto fail = [&](const std::string& why) {
    conn_.close();
    throw CollectError(std::string(what) + " over D-Bus at " + conn_.address() + ": " + why);
  };
  while (done_ < calls_.size()) {
    auto now = Clock::now();
    if (now >= deadline) {
      fail("no reply before the deadline (" + std::to_string(calls_.size() - done_) + " of " +
           std::to_string(calls_.size()) + " calls unanswered)");
    }
    uint64_t left_usec =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count() + 1;
    while (next < calls_.size() && in_flight() < kWindow) {
      int r = send(calls_[next++], left_usec);
      // The peer went away (dbus-daemon restarted): drop the connection so that the next scrape
      // opens a new one.
      if (r < 0 && sd_bus_is_open(bus) <= 0) fail(errno_text(r));
    }
    int r = sd_bus_process(bus, nullptr);
    if (r < 0) fail(errno_text(r));
    if (r > 0) continue;
    r = sd_bus_wait(bus, left_usec);
    if (r < 0 && r != -EINTR) fail(errno_text(r));
  }
  // A connection lost while the replies came in answered the calls left with errors; the next
  // scrape opens a new one.
  if (sd_bus_is_open(bus) <= 0) conn_.close();
}

bool Batch::string_property(size_t i, std::string& out) const {
  if (calls_[i].type != 's') return false;
  out = calls_[i].text;
  return true;
}
bool Batch::u32_property(size_t i, uint32_t& out) const {
  if (calls_[i].type != 'u') return false;
  out = static_cast<uint32_t>(calls_[i].number);
  return true;
}
bool Batch::u64_property(size_t i, uint64_t& out) const {
  if (calls_[i].type != 't') return false;
  out = calls_[i].number;
  return true;
}
bool Batch::bool_property(size_t i, bool& out) const {
  if (calls_[i].type != 'b') return false;
  out = calls_[i].number != 0;
  return true;
}

}  // namespace vitals::dbus

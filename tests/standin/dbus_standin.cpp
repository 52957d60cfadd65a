// A stand-in for systemd's and logind's D-Bus services, for tests on machines where neither
// runs: it connects to the bus of $DBUS_SYSTEM_BUS_ADDRESS (a private dbus-daemon the test
// starts), takes the names org.freedesktop.systemd1 and org.freedesktop.login1, and answers what
// node_exporter's and vitals' systemd and logind collectors ask, from a description file:
//
//   version 252.22-1~deb12u1          Manager.Version
//   system-state running              Manager.SystemState
//   unit NAME LOAD ACTIVE [Prop=V]... a unit (ListUnits); its properties, read from the
//                                     interface the name's suffix implies (Service, Socket,
//                                     Timer, Mount; ActiveEnterTimestamp on Unit). A property not
//                                     given answers UnknownProperty.
//   generate N                        N more units, a realistic mix (for cost measurements)
//   seat ID                           logind: a seat (ListSeats)
//   session ID SEAT REMOTE TYPE CLASS logind: a session (SEAT "-" for none)
//
// Prints "ready" on stdout once both names are owned, then serves until killed.
#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Unit {
  std::string name, load, active, sub, path;
  std::map<std::string, std::string> props;
};

struct Session {
  std::string id, seat, remote, type, cls, path;
};

std::string g_version = "252";
std::string g_state = "running";
std::vector<std::unique_ptr<Unit>> g_units;
std::map<std::string, Unit*> g_unit_by_path;
std::vector<std::string> g_seats;
std::vector<std::unique_ptr<Session>> g_sessions;
std::map<std::string, Session*> g_session_by_path;

std::string encode(const char* prefix, const std::string& name) {
  char* out = nullptr;
  if (sd_bus_path_encode(prefix, name.c_str(), &out) < 0) std::abort();
  std::string s(out);
  std::free(out);
  return s;
}

void add_unit(std::string name, std::string load, std::string active,
              std::map<std::string, std::string> props) {
  auto u = std::make_unique<Unit>();
  u->name = std::move(name);
  u->load = std::move(load);
  u->active = std::move(active);
  u->sub = u->active == "active" ? "running" : "dead";
  u->props = std::move(props);
  u->path = encode("/org/freedesktop/systemd1/unit", u->name);
  g_unit_by_path[u->path] = u.get();
  g_units.push_back(std::move(u));
}

void generate(int n) {
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(i);
    int kind = i % 10;
    std::string active = i % 17 == 0 ? "failed" : (i % 7 == 0 ? "inactive" : "active");
    std::map<std::string, std::string> p;
    p["ActiveEnterTimestamp"] = std::to_string(1700000000000000ULL + i * 1000ULL);
    if (kind < 6) {
      p["Type"] = i % 3 ? "simple" : "oneshot";
      p["NRestarts"] = std::to_string(i % 5);
      p["TasksCurrent"] = std::to_string(i % 40);
      p["TasksMax"] = i % 4 ? "4915" : "18446744073709551615";
      add_unit("gen-" + id + ".service", "loaded", active, p);
    } else if (kind < 8) {
      p["NAccepted"] = std::to_string(i * 3);
      p["NConnections"] = std::to_string(i % 9);
      p["NRefused"] = std::to_string(i % 2);
      add_unit("gen-" + id + ".socket", "loaded", active, p);
    } else if (kind == 8) {
      p["LastTriggerUSec"] = std::to_string(1700000100000000ULL + i);
      add_unit("gen-" + id + ".timer", "loaded", active, p);
    } else {
      p["Type"] = "ext4";
      add_unit("gen\\x2d" + id + ".mount", "loaded", active, p);
    }
  }
}

bool load(const char* file) {
  std::ifstream in(file);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string word;
    if (!(ls >> word) || word[0] == '#') continue;
    if (word == "version") {
      std::getline(ls >> std::ws, g_version);
    } else if (word == "system-state") {
      ls >> g_state;
    } else if (word == "unit") {
      std::string name, load_state, active, kv;
      ls >> name >> load_state >> active;
      std::map<std::string, std::string> props;
      while (ls >> kv) {
        auto eq = kv.find('=');
        props[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      add_unit(name, load_state, active, props);
    } else if (word == "generate") {
      int n = 0;
      ls >> n;
      generate(n);
    } else if (word == "seat") {
      std::string id;
      ls >> id;
      g_seats.push_back(id);
    } else if (word == "session") {
      auto s = std::make_unique<Session>();
      ls >> s->id >> s->seat >> s->remote >> s->type >> s->cls;
      if (s->seat == "-") s->seat.clear();
      s->path = encode("/org/freedesktop/login1/session", s->id);
      g_session_by_path[s->path] = s.get();
      g_sessions.push_back(std::move(s));
    }
  }
  return true;
}

// --- systemd1 ---

int list_units(sd_bus_message* m, void*, sd_bus_error*) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
  for (const auto& u : g_units) {
    if (r < 0) break;
    r = sd_bus_message_append(reply, "(ssssssouso)", u->name.c_str(), "stand-in unit",
                              u->load.c_str(), u->active.c_str(), u->sub.c_str(), "",
                              u->path.c_str(), 0u, "", "/");
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int manager_prop(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
                 void*, sd_bus_error*) {
  const std::string& v = std::strcmp(property, "Version") == 0 ? g_version : g_state;
  return sd_bus_message_append(reply, "s", v.c_str());
}

const char* unit_value(void* userdata, const char* property, sd_bus_error* error) {
  auto* u = static_cast<Unit*>(userdata);
  auto it = u->props.find(property);
  if (it == u->props.end()) {
    sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "stand-in: %s has no %s",
                      u->name.c_str(), property);
    return nullptr;
  }
  return it->second.c_str();
}

int prop_s(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
           void* userdata, sd_bus_error* error) {
  const char* v = unit_value(userdata, property, error);
  if (!v) return -ENOENT;
  return sd_bus_message_append(reply, "s", v);
}

int prop_u(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
           void* userdata, sd_bus_error* error) {
  const char* v = unit_value(userdata, property, error);
  if (!v) return -ENOENT;
  return sd_bus_message_append(reply, "u", static_cast<uint32_t>(std::strtoul(v, nullptr, 10)));
}

int prop_t(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
           void* userdata, sd_bus_error* error) {
  const char* v = unit_value(userdata, property, error);
  if (!v) return -ENOENT;
  return sd_bus_message_append(reply, "t", static_cast<uint64_t>(std::strtoull(v, nullptr, 10)));
}

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Which unit objects have which interfaces, as systemd has them (by the name's suffix).
int find_unit(sd_bus*, const char* path, const char* interface, void*, void** found,
              sd_bus_error*) {
  auto it = g_unit_by_path.find(path);
  if (it == g_unit_by_path.end()) return 0;
  const std::string& n = it->second->name;
  std::string i = interface;
  bool ok = i == "org.freedesktop.systemd1.Unit" ||
            (i == "org.freedesktop.systemd1.Service" && ends_with(n, ".service")) ||
            (i == "org.freedesktop.systemd1.Socket" && ends_with(n, ".socket")) ||
            (i == "org.freedesktop.systemd1.Timer" && ends_with(n, ".timer")) ||
            (i == "org.freedesktop.systemd1.Mount" && ends_with(n, ".mount"));
  if (!ok) return 0;
  *found = it->second;
  return 1;
}

const sd_bus_vtable kManagerVtable[] = {
    SD_BUS_VTABLE_START(0), SD_BUS_METHOD("ListUnits", "", "a(ssssssouso)", list_units, 0),
    SD_BUS_PROPERTY("Version", "s", manager_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("SystemState", "s", manager_prop, 0, 0), SD_BUS_VTABLE_END};
const sd_bus_vtable kUnitVtable[] = {SD_BUS_VTABLE_START(0),
                                     SD_BUS_PROPERTY("ActiveEnterTimestamp", "t", prop_t, 0, 0),
                                     SD_BUS_VTABLE_END};
const sd_bus_vtable kServiceVtable[] = {SD_BUS_VTABLE_START(0),
                                        SD_BUS_PROPERTY("Type", "s", prop_s, 0, 0),
                                        SD_BUS_PROPERTY("NRestarts", "u", prop_u, 0, 0),
                                        SD_BUS_PROPERTY("TasksCurrent", "t", prop_t, 0, 0),
                                        SD_BUS_PROPERTY("TasksMax", "t", prop_t, 0, 0),
                                        SD_BUS_VTABLE_END};
const sd_bus_vtable kMountVtable[] = {
    SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("Type", "s", prop_s, 0, 0), SD_BUS_VTABLE_END};
const sd_bus_vtable kSocketVtable[] = {
    SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("NAccepted", "u", prop_u, 0, 0),
    SD_BUS_PROPERTY("NConnections", "u", prop_u, 0, 0),
    SD_BUS_PROPERTY("NRefused", "u", prop_u, 0, 0), SD_BUS_VTABLE_END};
const sd_bus_vtable kTimerVtable[] = {SD_BUS_VTABLE_START(0),
                                      SD_BUS_PROPERTY("LastTriggerUSec", "t", prop_t, 0, 0),
                                      SD_BUS_VTABLE_END};

// --- login1 ---

int list_seats(sd_bus_message* m, void*, sd_bus_error*) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(so)");
  for (const auto& s : g_seats) {
    if (r < 0) break;
    std::string path = encode("/org/freedesktop/login1/seat", s);
    r = sd_bus_message_append(reply, "(so)", s.c_str(), path.c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int list_sessions(sd_bus_message* m, void*, sd_bus_error*) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(susso)");
  for (const auto& s : g_sessions) {
    if (r < 0) break;
    r = sd_bus_message_append(reply, "(susso)", s->id.c_str(), 1000u, "user", s->seat.c_str(),
                              s->path.c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int session_prop(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
                 void* userdata, sd_bus_error*) {
  auto* s = static_cast<Session*>(userdata);
  if (std::strcmp(property, "Remote") == 0) {
    return sd_bus_message_append(reply, "b", static_cast<int>(s->remote == "true"));
  }
  return sd_bus_message_append(
      reply, "s", std::strcmp(property, "Type") == 0 ? s->type.c_str() : s->cls.c_str());
}

int find_session(sd_bus*, const char* path, const char*, void*, void** found, sd_bus_error*) {
  auto it = g_session_by_path.find(path);
  if (it == g_session_by_path.end()) return 0;
  *found = it->second;
  return 1;
}

const sd_bus_vtable kLoginManagerVtable[] = {
    SD_BUS_VTABLE_START(0), SD_BUS_METHOD("ListSeats", "", "a(so)", list_seats, 0),
    SD_BUS_METHOD("ListSessions", "", "a(susso)", list_sessions, 0), SD_BUS_VTABLE_END};
const sd_bus_vtable kSessionVtable[] = {
    SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("Remote", "b", session_prop, 0, 0),
    SD_BUS_PROPERTY("Type", "s", session_prop, 0, 0),
    SD_BUS_PROPERTY("Class", "s", session_prop, 0, 0), SD_BUS_VTABLE_END};

void check(int r, const char* what) {
  if (r < 0) {
    std::fprintf(stderr, "dbus_standin: %s: %s\n", what, std::strerror(-r));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || !load(argv[1])) {
    std::fprintf(stderr, "usage: DBUS_SYSTEM_BUS_ADDRESS=... dbus_standin DESCRIPTION-FILE\n");
    return 2;
  }
  sd_bus* bus = nullptr;
  check(sd_bus_open_system(&bus), "connect");
  const char* sd = "/org/freedesktop/systemd1";
  check(sd_bus_add_object_vtable(bus, nullptr, sd, "org.freedesktop.systemd1.Manager",
                                 kManagerVtable, nullptr),
        "vtable");
  const char* unit = "/org/freedesktop/systemd1/unit";
  check(sd_bus_add_fallback_vtable(bus, nullptr, unit, "org.freedesktop.systemd1.Unit", kUnitVtable,
                                   find_unit, nullptr),
        "vtable");
  check(sd_bus_add_fallback_vtable(bus, nullptr, unit, "org.freedesktop.systemd1.Service",
                                   kServiceVtable, find_unit, nullptr),
        "vtable");
  check(sd_bus_add_fallback_vtable(bus, nullptr, unit, "org.freedesktop.systemd1.Mount",
                                   kMountVtable, find_unit, nullptr),
        "vtable");
  check(sd_bus_add_fallback_vtable(bus, nullptr, unit, "org.freedesktop.systemd1.Socket",
                                   kSocketVtable, find_unit, nullptr),
        "vtable");
  check(sd_bus_add_fallback_vtable(bus, nullptr, unit, "org.freedesktop.systemd1.Timer",
                                   kTimerVtable, find_unit, nullptr),
        "vtable");
  const char* login = "/org/freedesktop/login1";
  check(sd_bus_add_object_vtable(bus, nullptr, login, "org.freedesktop.login1.Manager",
                                 kLoginManagerVtable, nullptr),
        "vtable");
  check(sd_bus_add_fallback_vtable(bus, nullptr, "/org/freedesktop/login1/session",
                                   "org.freedesktop.login1.Session", kSessionVtable, find_session,
                                   nullptr),
        "vtable");
  check(sd_bus_request_name(bus, "org.freedesktop.systemd1", 0), "request name systemd1");
  check(sd_bus_request_name(bus, "org.freedesktop.login1", 0), "request name login1");
  std::cout << "ready" << std::endl;
  for (;;) {
    int r = sd_bus_process(bus, nullptr);
    check(r, "process");
    if (r > 0) continue;
    r = sd_bus_wait(bus, UINT64_MAX);
    if (r < 0 && r != -EINTR) check(r, "wait");
  }
}

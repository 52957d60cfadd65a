// logind: node_logind_sessions{seat,remote,type,class} over D-Bus (sd-bus), as node_exporter
// 1.5.0 counts them: org.freedesktop.login1.Manager's ListSeats and ListSessions, then each
// session's Remote, Type and Class properties (one pipelined batch, collectors/dbus/bus.h).
// Every combination of the known remote/type/class values and the seats (plus the empty seat of
// remote sessions) is shown, zero or not; unknown types and classes count as "other".
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "collectors/dbus/bus.h"
#include "collectors/dbus/systemd_units.h"
#include "core/collector.h"

namespace vitals {
namespace {

using dbus::Batch;

constexpr Desc kSessions{"node_logind_sessions", "Number of sessions registered in logind.",
                         MetricType::kGauge};

constexpr const char* kDest = "org.freedesktop.login1";
constexpr const char* kPath = "/org/freedesktop/login1";
constexpr const char* kManager = "org.freedesktop.login1.Manager";
constexpr const char* kSession = "org.freedesktop.login1.Session";
constexpr auto kBudget = std::chrono::seconds(10);

struct Session {
  std::string seat;
  std::string path;
};

// ListSeats' a(so) (seat ids) or ListSessions' a(susso) (seat ids and object paths).
bool read_seats(sd_bus_message* m, std::vector<std::string>& seats) {
  if (!m || sd_bus_message_enter_container(m, 'a', "(so)") <= 0) return false;
  for (;;) {
    const char *id, *path;
    int r = sd_bus_message_read(m, "(so)", &id, &path);
    if (r < 0) return false;
    if (r == 0) break;
    seats.emplace_back(id);
  }
  return sd_bus_message_exit_container(m) >= 0;
}

bool read_sessions(sd_bus_message* m, std::vector<Session>& sessions) {
  if (!m || sd_bus_message_enter_container(m, 'a', "(susso)") <= 0) return false;
  for (;;) {
    const char *id, *user, *seat, *path;
    uint32_t uid;
    int r = sd_bus_message_read(m, "(susso)", &id, &uid, &user, &seat, &path);
    if (r < 0) return false;
    if (r == 0) break;
    sessions.push_back({seat, path});
  }
  return sd_bus_message_exit_container(m) >= 0;
}

class LogindCollector final : public Collector {
 public:
  void collect(const CollectContext& ctx, MetricSet& out) override {
    const auto deadline = dbus::call_deadline(ctx.deadline, kBudget);
    Batch lists(conn_);
    size_t seats_call = lists.call(kDest, kPath, kManager, "ListSeats");
    size_t sessions_call = lists.call(kDest, kPath, kManager, "ListSessions");
    lists.run(deadline, "logind: ListSeats/ListSessions");

    std::vector<std::string> seats;
    if (!lists.reply(seats_call)) {
      throw CollectError("logind: unable to get seats: " + lists.error(seats_call));
    }
    if (!read_seats(lists.reply(seats_call), seats)) {
      throw CollectError("logind: unable to get seats: ListSeats reply is not a(so)");
    }
    seats.emplace_back();  // remote sessions (ssh) have no seat
    std::vector<Session> sessions;
    if (!lists.reply(sessions_call)) {
      throw CollectError("logind: unable to get sessions: " + lists.error(sessions_call));
    }
    if (!read_sessions(lists.reply(sessions_call), sessions)) {
      throw CollectError("logind: unable to get sessions: ListSessions reply is not a(susso)");
    }

    Batch props(conn_);
    for (const Session& s : sessions) {
      props.get_property(kDest, s.path, kSession, "Remote");
      props.get_property(kDest, s.path, kSession, "Type");
      props.get_property(kDest, s.path, kSession, "Class");
    }
    props.run(deadline, "logind: session properties");

    // (seat, remote, type, class) -> sessions. A session whose properties cannot be read is
    // left out, as node_exporter does.
    std::map<std::tuple<std::string, bool, std::string_view, std::string_view>, double> counts;
    std::string type, cls;
    for (size_t i = 0; i < sessions.size(); ++i) {
      bool remote;
      if (!props.bool_property(3 * i, remote) || !props.string_property(3 * i + 1, type) ||
          !props.string_property(3 * i + 2, cls)) {
        continue;
      }
      counts[{sessions[i].seat, remote, dbus::known_or_other(type, dbus::kSessionTypes),
              dbus::known_or_other(cls, dbus::kSessionClasses)}] += 1;
    }

    Family& f = out.add(kSessions);
    for (bool remote : {true, false}) {
      for (std::string_view t : dbus::kSessionTypes) {
        for (std::string_view c : dbus::kSessionClasses) {
          for (const std::string& seat : seats) {
            auto it = counts.find({seat, remote, t, c});
            f.add(
                {{"seat", seat}, {"remote", remote ? "true" : "false"}, {"type", t}, {"class", c}},
                it == counts.end() ? 0 : it->second);
          }
        }
      }
    }
  }

 private:
  dbus::Connection conn_;
};

}  // namespace

VITALS_COLLECTOR(LogindCollector, "logind", false, "Exposes session counts from logind.");

}  // namespace vitals

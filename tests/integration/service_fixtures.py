"""Real local services for the supervisord, runit and ntp collectors, started by tests on free
ports and temporary directories: Debian's supervisord, runsvdir and chronyd."""

import os
import shutil
import signal
import subprocess
import tempfile
import urllib.request

from vitals_testlib import free_port, require_tool, wait_until


class Supervisord:
    """supervisord with an inet_http_server on a free loopback port and a unix socket; programs:
    sleeper (running), quitter (exited 3) and web in group grp (running)."""

    def __enter__(self):
        exe = require_tool("supervisord", "supervisor")
        self.tmp = tempfile.mkdtemp(prefix="vitals-supervisord-")
        self.port = free_port()
        self.sock = os.path.join(self.tmp, "supervisor.sock")
        conf = os.path.join(self.tmp, "supervisord.conf")
        with open(conf, "w") as f:
            f.write(f"""[supervisord]
nodaemon=true
logfile={self.tmp}/supervisord.log
pidfile={self.tmp}/supervisord.pid
childlogdir={self.tmp}

[inet_http_server]
port=127.0.0.1:{self.port}

[unix_http_server]
file={self.sock}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:sleeper]
command=sleep 1000
startsecs=0

[program:quitter]
command=sh -c "exit 3"
autorestart=false
startsecs=0

[program:web]
command=sleep 1000
startsecs=0

[group:grp]
programs=web
""")
        self.proc = subprocess.Popen([exe, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/RPC2"

        def settled():
            req = urllib.request.Request(
                self.url, headers={"Content-Type": "text/xml"},
                data=b"<?xml version='1.0'?><methodCall><methodName>"
                     b"supervisor.getAllProcessInfo</methodName></methodCall>")
            with urllib.request.urlopen(req, timeout=5) as r:
                t = r.read().decode()
            return t.count("<name>state</name>") == 3 and \
                t.count("<value><int>20</int></value>") == 2 and "<int>100</int>" in t
        try:
            wait_until(settled, timeout=30, what="supervisord's programs settled")
        except AssertionError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        shutil.rmtree(self.tmp, ignore_errors=True)


class RunitDir:
    """runsvdir on a temporary service directory: up1 (running), down1 (sv down), norun (no run
    script), a regular file (not a service) and .hidden (a directory runsvdir skips, so it has
    no runsv)."""

    def __enter__(self):
        exe = require_tool("runsvdir", "runit")
        sv = require_tool("sv", "runit")
        self.tmp = tempfile.mkdtemp(prefix="vitals-runit-")
        self.dir = os.path.join(self.tmp, "service")
        for name in ("up1", "down1", "norun", ".hidden"):
            os.makedirs(os.path.join(self.dir, name))
        for name in ("up1", "down1"):
            run = os.path.join(self.dir, name, "run")
            with open(run, "w") as f:
                f.write("#!/bin/sh\nexec sleep 1000\n")
            os.chmod(run, 0o755)
        with open(os.path.join(self.dir, "regular"), "w") as f:
            f.write("x\n")
        # A new session: __exit__ ends runsvdir, the runsv processes and the services at once.
        self.proc = subprocess.Popen([exe, self.dir], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

        def status(name):
            with open(os.path.join(self.dir, name, "supervise", "status"), "rb") as f:
                return f.read()
        try:
            wait_until(lambda: all(len(status(n)) == 20 for n in ("up1", "down1", "norun")) and
                       status("up1")[19] == 1 and status("down1")[19] == 1, timeout=30,
                       what="runsv started the services")
            subprocess.run([sv, "down", os.path.join(self.dir, "down1")], check=True,
                           stdout=subprocess.DEVNULL, timeout=30)
            wait_until(lambda: status("down1")[19] == 0 and status("down1")[17] == ord("d"),
                       timeout=30, what="down1 down")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Chronyd:
    """chronyd as a local NTP server (stratum 10 from its own clock) on a free loopback UDP
    port; -x: it never touches the system clock."""

    def __enter__(self):
        exe = require_tool("chronyd", "chrony")
        self.tmp = tempfile.mkdtemp(prefix="vitals-chrony-")
        self.port = free_udp_port()
        conf = os.path.join(self.tmp, "chrony.conf")
        with open(conf, "w") as f:
            f.write(f"port {self.port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\n"
                    f"local stratum 10\ncmdport 0\nbindcmdaddress /\n"
                    f"pidfile {self.tmp}/chronyd.pid\n")
        self.log = open(os.path.join(self.tmp, "chronyd.log"), "w")
        self.proc = subprocess.Popen([exe, "-x", "-d", "-u", "root", "-f", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: self.answers(), timeout=30, what="chronyd answering")
        except BaseException:
            self.__exit__()
            raise
        return self

    def answers(self):
        import socket
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            s.sendto(b"\x23" + b"\0" * 39 + b"\x01\x02\x03\x04\x05\x06\x07\x08",
                     ("127.0.0.1", self.port))
            data = s.recv(64)
            return len(data) >= 48 and data[1] == 10  # stratum 10: its local reference is on

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def free_udp_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

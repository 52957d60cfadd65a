"""--web.config.file: TLS, client certificates, basic auth and response headers, as
exporter-toolkit's web-config.yml has them. Certificates are made here with the openssl CLI (a CA,
a server certificate for 127.0.0.1/localhost, client certificates from that CA and from another);
a real Prometheus scrapes over HTTPS with basic auth, the OpenTelemetry JS exporter sends spans
over HTTPS with basic auth, and Python's ssl module checks what is refused."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

from apm_lib import series, span_labels
from vitals_testlib import (VITALS_BIN, Agent, free_port, parse_exposition, require,
                            require_tool, wait_until)

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients")
# htpasswd -nbB -C 5 prom s3cret
PROM_HASH = "$2y$05$wKiFkgkvZURRVJdU4AgMb.Z.HF3FXnhHSCYiGBDng7MzN1pKTQkCO"
# htpasswd -nbB -C 4 alice secret
ALICE_HASH = "$2y$04$dLzG2dsrNW8cSX1NmQUNT.Cq4J9dQ7a5LS.SRtD3v.mZnov2UY2Ri"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Certs:
    """A CA, a server certificate (SAN 127.0.0.1, localhost), client certificates."""

    def __init__(self, d):
        self.d = d
        self.openssl = require_tool("openssl", "openssl")
        self.ca("ca")
        self.ca("otherca")
        self.cert("server", "ca", "IP:127.0.0.1,DNS:localhost")
        self.cert("server2", "ca", "IP:127.0.0.1,DNS:localhost")  # for the rotation test
        self.cert("client", "ca", "DNS:client.example")
        self.cert("wrongsan", "ca", "DNS:other.example")
        self.cert("rogue", "otherca", "DNS:client.example")

    def p(self, name):
        return os.path.join(self.d, name)

    def run(self, *args):
        subprocess.run([self.openssl, *args], check=True, capture_output=True, cwd=self.d)

    def ca(self, name):
        self.run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                 "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}")

    def cert(self, name, ca, san):
        self.run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", f"/CN={name}")
        with open(self.p(f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        self.run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                 "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")


class TlsAgent(Agent):
    """An agent whose metrics port speaks HTTPS; ready when /-/ready answers over TLS."""

    def __init__(self, certs, *args, client=None, auth=None, **kw):
        self.certs = certs
        self.client = client
        self.auth = auth
        super().__init__(*args, **kw)

    def context(self, client=None, **kw):
        ctx = ssl.create_default_context(cafile=self.certs.p("ca.crt"))
        client = client or self.client
        if client:
            ctx.load_cert_chain(self.certs.p(f"{client}.crt"), self.certs.p(f"{client}.key"))
        for k, v in kw.items():
            setattr(ctx, k, v)
        return ctx

    def https(self, path="/metrics", headers=None, ctx=None, port=None, method="GET", body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", port or self.port, timeout=10,
                                           context=ctx or self.context())
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("vitals exited with %s:\n%s" % (self.proc.returncode, self.output()))
        headers = {"Authorization": self.auth} if self.auth else {}
        return self.https("/-/ready", headers=headers)[0] == 200

    def peer_cert(self):
        ctx = self.context()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                return t.getpeercert(binary_form=True)


class WebConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="vitals-webcfg-")
        cls.certs = Certs(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        return path

    def test_prometheus_scrapes_over_https_with_basic_auth(self):
        prom = require_tool("prometheus", "prometheus")
        cfg = self.write("prom-web.yml", f"""tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: {PROM_HASH}
""")
        tmp = tempfile.mkdtemp(prefix="vitals-prom-", dir=self.dir)
        with TlsAgent(self.certs, f"--web.config.file={cfg}", auth=basic("prom", "s3cret")) as agent:
            pcfg = os.path.join(tmp, "prometheus.yml")
            with open(pcfg, "w") as f:
                f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: vitals
    scheme: https
    tls_config:
      ca_file: {self.certs.p("ca.crt")}
    basic_auth:
      username: prom
      password: s3cret
    static_configs:
      - targets: ['127.0.0.1:{agent.port}']
""")
            port = free_port()
            log = open(os.path.join(tmp, "prometheus.log"), "w")
            p = subprocess.Popen([prom, f"--config.file={pcfg}", f"--storage.tsdb.path={tmp}/data",
                                  f"--web.listen-address=127.0.0.1:{port}"],
                                 stdout=log, stderr=subprocess.STDOUT)
            try:
                def query(q):
                    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
                    with urllib.request.urlopen(url, timeout=5) as r:
                        return json.load(r)["data"]["result"]

                up = wait_until(lambda: (lambda r: r and r[0]["value"][1] == "1" and r)(
                    query('up{job="vitals"}')), timeout=60, what="up == 1 over HTTPS")
                self.assertEqual(up[0]["metric"]["instance"], f"127.0.0.1:{agent.port}")
                load = wait_until(lambda: query('node_load1{job="vitals"}'), timeout=60,
                                  what="node_load1 scraped over HTTPS")
                self.assertGreaterEqual(float(load[0]["value"][1]), 0.0)
            finally:
                p.terminate()
                p.wait(timeout=30)
                log.close()

    def test_basic_auth_and_headers(self):
        cfg = self.write("auth-web.yml", f"""tls_server_config:
  cert_file: server.crt
  key_file: server.key
http_server_config:
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prom: {PROM_HASH}
  alice: {ALICE_HASH}
""")
        with TlsAgent(self.certs, f"--web.config.file={cfg}", auth=basic("prom", "s3cret")) as agent:
            for headers in ({}, {"Authorization": basic("prom", "wrong")},
                            {"Authorization": basic("nobody", "s3cret")},
                            {"Authorization": "Bearer abc"}):
                with self.subTest(headers=headers):
                    status, h, body = agent.https("/metrics", headers=headers)
                    self.assertEqual(status, 401)
                    self.assertEqual(h["www-authenticate"], "Basic")
                    self.assertEqual(h["x-frame-options"], "deny")
                    self.assertNotIn(b"node_", body)
            for user, pw in (("prom", "s3cret"), ("alice", "secret")):
                status, h, body = agent.https("/metrics", headers={"Authorization": basic(user, pw)})
                self.assertEqual(status, 200)
                self.assertEqual(h["strict-transport-security"], "max-age=31536000")
                self.assertIn(b"node_load1 ", body)
            # Unknown paths are behind the same check (as in exporter-toolkit).
            self.assertEqual(agent.https("/nope")[0], 401)

    def test_basic_auth_without_tls(self):
        cfg = self.write("plain-web.yml", f"basic_auth_users:\n  prom: {PROM_HASH}\n")
        port = free_port()
        p = subprocess.Popen([VITALS_BIN, f"--web.listen-address=127.0.0.1:{port}",
                              f"--web.config.file={cfg}", "--apm.otlp.listen-address=",
                              "--apm.zipkin.listen-address="],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def get(headers):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", "/metrics", headers=headers)
                r = c.getresponse()
                r.read()
                c.close()
                return r.status, r.getheader("WWW-Authenticate")

            self.assertEqual(wait_until(lambda: get({}), what="plain HTTP listener"), (401, "Basic"))
            self.assertEqual(get({"Authorization": basic("prom", "wrong")}), (401, "Basic"))
            self.assertEqual(get({"Authorization": basic("prom", "s3cret")}), (200, None))
        finally:
            p.terminate()
            p.wait(timeout=10)

    def test_client_certificates(self):
        cfg = self.write("mtls-web.yml", """tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans:
    - client.example
""")
        with TlsAgent(self.certs, f"--web.config.file={cfg}", client="client") as agent:
            status, _, body = agent.https("/metrics")
            self.assertEqual(status, 200)
            self.assertIn(b"node_load1 ", body)
            # No certificate, one from another CA, one from the CA without an allowed SAN; four
            # times each, more than --web.max-connections-per-source: failed handshakes must not
            # hold their source's count (nor crash the server).
            for client in (None, "rogue", "wrongsan") * 4:
                with self.subTest(client=client):
                    ctx = ssl.create_default_context(cafile=self.certs.p("ca.crt"))
                    if client:
                        ctx.load_cert_chain(self.certs.p(f"{client}.crt"), self.certs.p(f"{client}.key"))
                    with self.assertRaises((ssl.SSLError, ConnectionError)):
                        agent.https("/metrics", ctx=ctx)
            self.assertEqual(agent.https("/metrics")[0], 200)  # still serving

    def test_tls_below_min_version_refused(self):
        cfg = self.write("v12-web.yml", """tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS12
  max_version: TLS12
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
  curve_preferences: [X25519]
""")
        with TlsAgent(self.certs, f"--web.config.file={cfg}") as agent:
            # TLS 1.1 (OpenSSL 3 refuses it below security level 0, client-side too).
            ctx = agent.context()
            ctx.set_ciphers("DEFAULT@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1_1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            with self.assertRaises(ssl.SSLError) as e:
                agent.https("/metrics", ctx=ctx)
            self.assertIn("VERSION", str(e.exception).upper())
            # TLS 1.3 is above max_version.
            ctx = agent.context(minimum_version=ssl.TLSVersion.TLSv1_3)
            with self.assertRaises(ssl.SSLError):
                agent.https("/metrics", ctx=ctx)
            # TLS 1.2 with the one suite and group.
            with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as s:
                with agent.context().wrap_socket(s, server_hostname="127.0.0.1") as t:
                    self.assertEqual(t.version(), "TLSv1.2")
                    self.assertEqual(t.cipher()[0], "ECDHE-RSA-AES256-GCM-SHA384")

    def test_certificate_rotation_without_restart(self):
        shutil.copy(self.certs.p("server.crt"), self.certs.p("rot.crt"))
        shutil.copy(self.certs.p("server.key"), self.certs.p("rot.key"))
        cfg = self.write("rot-web.yml", "tls_server_config:\n  cert_file: rot.crt\n  key_file: rot.key\n")
        with TlsAgent(self.certs, f"--web.config.file={cfg}") as agent:
            first = agent.peer_cert()
            with open(self.certs.p("server.crt"), "rb") as f:
                self.assertEqual(ssl.PEM_cert_to_DER_cert(f.read().decode()), first)
            # Key first, then the certificate (each replaced atomically): in between the pair
            # does not match and the old one stays in use.
            shutil.copy(self.certs.p("server2.key"), self.certs.p("rot.key.new"))
            os.replace(self.certs.p("rot.key.new"), self.certs.p("rot.key"))
            shutil.copy(self.certs.p("server2.crt"), self.certs.p("rot.crt.new"))
            os.replace(self.certs.p("rot.crt.new"), self.certs.p("rot.crt"))
            with open(self.certs.p("server2.crt"), "rb") as f:
                want = ssl.PEM_cert_to_DER_cert(f.read().decode())
            wait_until(lambda: agent.peer_cert() == want, timeout=20,
                       what="a new connection to see the new certificate", interval=0.2)
            self.assertEqual(agent.https("/metrics")[0], 200)
            self.assertEqual(agent.proc.poll(), None)

    def test_sighup_with_a_broken_file_keeps_the_old_one(self):
        cfg = self.write("hup-web.yml", f"""tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: {PROM_HASH}
""")
        auth = {"Authorization": basic("prom", "s3cret")}
        with TlsAgent(self.certs, f"--web.config.file={cfg}", auth=auth["Authorization"]) as agent:
            self.write("hup-web.yml", "tls_server_config:\n  cert_file: server.crt\n  kye_file: x\n")
            agent.signal(signal.SIGHUP)
            wait_until(lambda: "web config reload failed" in agent.output(), what="reload failure log")
            line = [ln for ln in agent.output().splitlines() if "web config reload failed" in ln][0]
            self.assertIn("hup-web.yml:3: tls_server_config.kye_file: unknown key", line)
            self.assertEqual(agent.https("/metrics", headers=auth)[0], 200)
            self.assertEqual(agent.https("/metrics")[0], 401)
            # A good file with another user takes over on the next SIGHUP.
            self.write("hup-web.yml", f"""tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  alice: {ALICE_HASH}
""")
            agent.signal(signal.SIGHUP)
            wait_until(lambda: agent.https("/metrics", headers=auth)[0] == 401,
                       what="the reloaded users")
            self.assertEqual(agent.https("/metrics", headers={"Authorization": basic("alice", "secret")})[0], 200)
            # Switching TLS off needs a restart: refused, still HTTPS.
            self.write("hup-web.yml", f"basic_auth_users:\n  alice: {ALICE_HASH}\n")
            agent.signal(signal.SIGHUP)
            wait_until(lambda: "TLS cannot be switched off" in agent.output(), what="TLS off refused")
            self.assertEqual(agent.https("/metrics", headers={"Authorization": basic("alice", "secret")})[0], 200)

    def test_bad_file_at_start_exits_1_naming_the_key(self):
        cases = [
            ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS14\n",
             "bad-web.yml:4: tls_server_config.min_version: unknown TLS version \"TLS14\""),
            ("basic_auth_users:\n  prom: plaintext\n", "bad-web.yml:2: basic_auth_users.prom: not a bcrypt hash"),
            ("tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n",
             "tls_server_config.cert_file " + self.certs.p("missing.crt")),
            ("tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n",
             "does not match cert_file"),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                cfg = self.write("bad-web.yml", text)
                p = subprocess.run([VITALS_BIN, f"--web.listen-address=127.0.0.1:{free_port()}",
                                    f"--web.config.file={cfg}", "--apm.otlp.listen-address=",
                                    "--apm.zipkin.listen-address="],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 1, p.stderr)
                lines = [ln for ln in p.stderr.splitlines() if want in ln]
                self.assertEqual(len(lines), 1, p.stderr)
        p = subprocess.run([VITALS_BIN, "--web.config.file=/nonexistent/web.yml"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.strip(),
                         "vitals: web config /nonexistent/web.yml: cannot open: No such file or directory")

    def test_opentelemetry_js_sends_spans_over_https_with_basic_auth(self):
        node = require_tool("node", "nodejs")
        require(os.path.isdir(os.path.join(CLIENTS, "node_modules", "@opentelemetry")),
                "tests/clients/node_modules is missing: run `npm ci` in tests/clients")
        cfg = self.write("apm-web.yml", f"""tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: {PROM_HASH}
""")
        otlp = free_port()
        auth = basic("prom", "s3cret")
        with TlsAgent(self.certs, f"--web.config.file={cfg}", f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                      auth=auth) as agent:
            # The span listener has the metrics listener's web config: no credentials, no spans.
            status, h, _ = agent.https("/v1/traces", port=otlp, method="POST", body=b"",
                                       headers={"Content-Type": "application/x-protobuf"})
            self.assertEqual((status, h["www-authenticate"]), (401, "Basic"))
            for mode in ("proto", "json"):
                env = dict(os.environ, MODE=mode, OTLP_URL=f"https://127.0.0.1:{otlp}",
                           NODE_EXTRA_CA_CERTS=self.certs.p("ca.crt"),
                           OTEL_EXPORTER_OTLP_HEADERS="Authorization=" + urllib.parse.quote(auth, safe=""))
                p = subprocess.run([node, "send.js"], cwd=CLIENTS, env=env, capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(p.returncode, 0, f"{mode}: {p.stdout}\n{p.stderr}")
            # Without the header the exporter's request is refused.
            env = dict(os.environ, MODE="json", OTLP_URL=f"https://127.0.0.1:{otlp}",
                       NODE_EXTRA_CA_CERTS=self.certs.p("ca.crt"))
            p = subprocess.run([node, "send.js"], cwd=CLIENTS, env=env, capture_output=True,
                               text=True, timeout=120)
            self.assertNotEqual(p.returncode, 0)
            f = parse_exposition(agent.https("/metrics", headers={"Authorization": auth})[2].decode())
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_proto"), 7)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_json"), 7)
        for mode in ("proto", "json"):
            self.assertEqual(series(f, "traces_span_metrics_calls_total",
                                    **span_labels(f"{mode}-backend", "GET /users")), 4)

    def test_apm_web_config_file_overrides(self):
        metrics_cfg = self.write("m-web.yml", f"basic_auth_users:\n  prom: {PROM_HASH}\n")
        apm_cfg = self.write("a-web.yml", f"basic_auth_users:\n  alice: {ALICE_HASH}\n")
        otlp = free_port()
        port = free_port()
        p = subprocess.Popen([VITALS_BIN, f"--web.listen-address=127.0.0.1:{port}",
                              f"--web.config.file={metrics_cfg}", f"--apm.web.config.file={apm_cfg}",
                              f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address="],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            def post(headers):
                c = http.client.HTTPConnection("127.0.0.1", otlp, timeout=10)
                c.request("POST", "/v1/traces", body=b"",
                          headers=dict(headers, **{"Content-Type": "application/x-protobuf"}))
                r = c.getresponse()
                r.read()
                c.close()
                return r.status

            def metrics_status():
                if p.poll() is not None:
                    raise AssertionError(f"vitals exited with {p.returncode}: {p.stdout.read()}")
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", "/metrics")
                r = c.getresponse()
                r.read()
                c.close()
                return r.status

            self.assertEqual(wait_until(metrics_status, what="metrics listener"), 401)
            # The span listener starts after the metrics one.
            wait_until(lambda: metrics_status() and post(
                {"Authorization": basic("alice", "secret")}) == 200, what="OTLP listener")
            self.assertEqual(post({"Authorization": basic("prom", "s3cret")}), 401)
            self.assertEqual(post({}), 401)
            self.assertEqual(metrics_status(), 401)
        finally:
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    from vitals_testlib import main
    main()

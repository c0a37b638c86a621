#!/usr/bin/env python3
"""A fake status server on 127.0.0.1 for trying Weathervane by hand and for end-to-end tests.

Serves the recorded Statuspage payload (tests/fixtures/status) for any number of
providers, each at /<provider>/api/v2/summary.json, and lets you flip each one
between healthy, outage and faults while the app runs:

    scripts/fake_status_server.py --port 8765 &
    curl -X POST 127.0.0.1:8765/_control/openai/major      # Codex API major outage
    curl -X POST 127.0.0.1:8765/_control/openai/operational
    curl 127.0.0.1:8765/_control                             # current modes

Modes: operational, degraded, partial, major, maintenance, e500, hang, truncated,
notutf8, huge, loop, downgrade, html, gzip (a bomb: 64 MiB of zeros, 64 KiB on the wire),
drip (one byte a second), offsite (a redirect to a private address).
Each provider also has a fake API for early-warning probes at /<provider>/v1/models
(Anthropic-style: `x-api-key` or `Authorization: Bearer` gets the model list, no key a 401),
flipped with `curl -X POST 127.0.0.1:8765/_control/openai/api-529`. API modes: api-ok,
api-529, api-429, api-500, api-slow (4 s), api-hang. `GET /_control/probes` counts the
probe requests per provider and says whether they carried a key.
`--tls-port-file F` also serves the same pages over https with a self-signed certificate
(made with openssl at start), for TLS errors. Healthy answers carry an ETag and honour
If-None-Match, like real Statuspage pages. `--history` also serves a made-up incident history
(a few resolved incidents on Codex API and Codex Web over the last 90 days) at
/<provider>/api/v2/incidents.json, which the app reads once to fill its History page; without
it that address is a 404, as before. Binds only to loopback.
"""

import argparse
import copy
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "tests", "fixtures", "status",
                       "statuspage_openai_summary_operational_2026-07-09.json")
COMPONENT_STATUS = {
    "operational": "operational",
    "degraded": "degraded_performance",
    "partial": "partial_outage",
    "major": "major_outage",
    "maintenance": "under_maintenance",
}
IMPACT = {"degraded": "minor", "partial": "major", "major": "critical", "maintenance": "maintenance"}

with open(FIXTURE, "rb") as f:
    BASE = json.load(f)

modes = {}
api_modes = {}
probe_requests = {}
started = {}
lock = threading.Lock()


def summary(provider, mode, component):
    doc = copy.deepcopy(BASE)
    doc["page"]["name"] = provider
    status = COMPONENT_STATUS[mode]
    comp_id = None
    for c in doc["components"]:
        if c["name"] == component:
            c["status"] = status
            comp_id = c["id"]
    if mode != "operational":
        since = started.get(provider, time.time())
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
        doc["status"] = {"indicator": IMPACT[mode],
                         "description": {"degraded": "Minor Service Outage", "partial": "Partial System Outage",
                                         "major": "Major System Outage",
                                         "maintenance": "Service Under Maintenance"}[mode]}
        key = "scheduled_maintenances" if mode == "maintenance" else "incidents"
        doc[key] = [{
            "id": "fake-%s-%d" % (provider, int(since)),
            "name": "Elevated errors on %s" % component,
            "status": "in_progress" if mode == "maintenance" else "investigating",
            "impact": IMPACT[mode],
            "created_at": iso, "started_at": iso, "updated_at": iso, "resolved_at": None,
            "shortlink": "https://status.example.test/incidents/%d" % int(since),
            "components": [{"id": comp_id, "name": component, "status": status}],
            "incident_updates": [{"id": "u1", "status": "investigating", "created_at": iso,
                                  "body": "We are investigating elevated error rates."}],
        }]
    return json.dumps(doc).encode()


# --history: (days ago, start hour UTC, minutes, impact, component, title) of made-up past
# incidents, all resolved.
HISTORY = [
    (4, 14, 95, "minor", "Codex API", "Increased latency on Codex API"),
    (11, 9, 40, "major", "Codex API", "Elevated errors on Codex API"),
    (12, 16, 25, "minor", "Codex Web", "Codex Web slow to load tasks"),
    (27, 20, 180, "critical", "Codex API", "Codex API unavailable"),
    (41, 7, 55, "minor", "Codex Web", "Degraded performance on Codex Web"),
    (58, 13, 70, "major", "Codex API", "Elevated errors on Codex API"),
    (76, 18, 30, "minor", "Codex API", "Increased latency on Codex API"),
]


def history(provider):
    ids = {c["name"]: c["id"] for c in BASE["components"]}
    today = int(time.time()) // 86400 * 86400
    incidents = []
    for days_ago, hour, minutes, impact, component, title in HISTORY:
        start = today - days_ago * 86400 + hour * 3600
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
        incidents.append({
            "id": "fake-%s-history-%d" % (provider, days_ago),
            "name": title, "status": "resolved", "impact": impact,
            "created_at": iso(start), "started_at": iso(start), "updated_at": iso(start + minutes * 60),
            "resolved_at": iso(start + minutes * 60),
            "shortlink": "https://status.example.test/incidents/h%d" % days_ago,
            "components": [{"id": ids[component], "name": component, "status": "operational"}],
            "incident_updates": [
                {"id": "h%d-2" % days_ago, "status": "resolved", "created_at": iso(start + minutes * 60),
                 "body": "This incident has been resolved."},
                {"id": "h%d-1" % days_ago, "status": "investigating", "created_at": iso(start),
                 "body": "We are investigating."},
            ],
        })
    return json.dumps({"page": dict(BASE["page"], name=provider), "incidents": incidents}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    component = "Codex API"
    serve_history = False

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_STATUS_VERBOSE"):
            sys.stderr.write("fake-status: " + (fmt % args) + "\n")

    def send(self, code, body=b"", ctype="application/json", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "_control":
            provider, mode = parts[1], parts[2]
            if mode.startswith("api-"):
                with lock:
                    api_modes[provider] = mode
                return self.send(200, json.dumps({provider: mode}).encode())
            with lock:
                prev = modes.get(provider, "operational")
                if mode in COMPONENT_STATUS and mode != "operational":
                    if prev == "operational" or prev not in COMPONENT_STATUS:
                        started[provider] = time.time()
                modes[provider] = mode
            return self.send(200, json.dumps({provider: mode}).encode())
        self.send(404, b"{}")

    def do_GET(self):
        if self.path.rstrip("/") == "/_control":
            with lock:
                return self.send(200, json.dumps(modes).encode())
        if self.path.rstrip("/") == "/_control/probes":
            with lock:
                return self.send(200, json.dumps(probe_requests).encode())
        parts = self.path.strip("/").split("/", 1)
        if len(parts) == 2 and parts[1] == "v1/models":
            return self.api(parts[0])
        if len(parts) == 2 and parts[1] == "api/v2/incidents.json" and self.serve_history:
            return self.send(200, history(parts[0]))
        if len(parts) != 2 or parts[1] != "api/v2/summary.json":
            return self.send(404, b'{"error":"not found"}')
        provider = parts[0]
        with lock:
            mode = modes.get(provider, "operational")
        if mode in COMPONENT_STATUS:
            body = summary(provider, mode, self.component)
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, headers={"ETag": etag})
            return self.send(200, body, headers={"ETag": etag})
        if mode == "e500":
            return self.send(500, b"internal error", "text/plain")
        if mode == "hang":
            time.sleep(120)
            return self.send(200, summary(provider, "operational", self.component))
        if mode == "truncated":
            body = summary(provider, "operational", self.component)
            return self.send(200, body[: len(body) // 2])
        if mode == "notutf8":
            body = bytearray(summary(provider, "operational", self.component))
            body[40:42] = b"\xff\xfe"
            return self.send(200, bytes(body))
        if mode == "huge":
            return self.send(200, b" " * (50 * 1024 * 1024))
        if mode == "loop":
            return self.send(302, headers={"Location": self.path})
        if mode == "downgrade":
            return self.send(301, headers={"Location": "http://status.example.com/api/v2/summary.json"})
        if mode == "html":
            return self.send(200, b"<html>captive portal</html>", "text/html")
        if mode == "gzip":
            return self.send(200, GZIP_BOMB, headers={"Content-Encoding": "gzip"})
        if mode == "drip":
            body = summary(provider, "operational", self.component)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass  # the client gave up, as it should
            return
        if mode == "offsite":
            return self.send(302, headers={"Location": "https://169.254.169.254/latest/meta-data/"})
        self.send(400, b'{"error":"unknown mode"}')


    def api(self, provider):
        keyed = bool(self.headers.get("x-api-key") or self.headers.get("Authorization"))
        with lock:
            mode = api_modes.get(provider, "api-ok")
            seen = probe_requests.setdefault(provider, {"requests": 0, "keyed": 0})
            seen["requests"] += 1
            seen["keyed"] += int(keyed)
        if mode == "api-529":
            return self.send(529, b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
        if mode == "api-429":
            return self.send(429, b'{"type":"error","error":{"type":"rate_limit_error"}}')
        if mode == "api-500":
            return self.send(500, b'{"type":"error","error":{"type":"api_error"}}')
        if mode == "api-hang":
            time.sleep(120)
        if mode == "api-slow":
            time.sleep(4)
        if not keyed:
            return self.send(401, b'{"type":"error","error":{"type":"authentication_error"}}')
        return self.send(200, b'{"data":[{"id":"fake-model-1"},{"id":"fake-model-2"}],"has_more":false}')


def gzip_bomb():
    import gzip
    import io
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as z:
        block = b"\0" * (1024 * 1024)
        for _ in range(64):
            z.write(block)
    return out.getvalue()


GZIP_BOMB = gzip_bomb()


def serve_tls(port_file):
    """The same handler over https with a throwaway self-signed certificate."""
    import ssl
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="fake-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # Loaded: the files are not needed again, and the server is usually ended by a signal,
    # which would leave them in /tmp after every scenario.
    import shutil
    shutil.rmtree(d, ignore_errors=True)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--component", default="Codex API", help="the component outages hit")
    ap.add_argument("--port-file", help="write the bound port here (use --port 0 for any free port)")
    ap.add_argument("--tls-port-file", help="also serve https (self-signed) and write its port here")
    ap.add_argument("--history", action="store_true",
                    help="serve a made-up incident history at /<provider>/api/v2/incidents.json")
    args = ap.parse_args()
    Handler.serve_history = args.history
    if args.tls_port_file:
        serve_tls(args.tls_port_file)
    Handler.component = args.component
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(str(port))
    sys.stderr.write("fake status server on http://127.0.0.1:%d\n" % port)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

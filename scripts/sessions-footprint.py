#!/usr/bin/env python3
"""What following the assistants' session files costs: the resident (`weathervane-tray`) or
the headless poller (`weathervane watch`, the same runtime) idling in a temp HOME with no
transcripts, then with N transcript files present (Claude Code projects and Codex rollouts,
a few MB in all), and how long the first poll takes in each (the first request at the fake
status page after the start; a first start over a large tree must not delay it). CPU is
read from /proc/PID/stat, PSS from /proc/PID/smaps_rollup.

    scripts/sessions-footprint.py target/release/weathervane [--files 1000] [--secs 60]
    dbus-run-session -- scripts/sessions-footprint.py target/release/weathervane-tray --tray
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = os.path.join(ROOT, "tests", "fixtures", "status", "statuspage_openai_summary_operational_2026-07-09.json")


REQUESTS = []  # monotonic times of the page's requests


def serve():
    body = open(SUMMARY, "rb").read()

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            REQUESTS.append(time.monotonic())
            code, data = (200, body) if self.path.endswith("/summary.json") else (404, b"")
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s.server_address[1]


def make_tree(home, n):
    line = json.dumps({"type": "assistant", "timestamp": "2026-12-01T09:00:00.000Z",
                       "message": {"role": "assistant", "content": [{"type": "text", "text": "x" * 400}]}})
    for i in range(n):
        if i % 2:
            d = os.path.join(home, ".claude", "projects", "-home-me-p%d" % (i % 50))
            name = "%08d-0000-4000-8000-000000000000.jsonl" % i
        else:
            d = os.path.join(home, ".codex", "sessions", "2026", "11", "%02d" % (1 + i % 28))
            name = "rollout-2026-11-01T00-00-00-%08d.jsonl" % i
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "w") as f:
            for _ in range(10):
                f.write(line + "\n")


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def pss_kib(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def measure(binary, n, secs, port, tray):
    with tempfile.TemporaryDirectory() as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        if n:
            make_tree(home, n)
        # Flush the tree just written, so the kernel's writeback does not slow the
        # database's own fsyncs at start and count as our cost.
        os.sync()
        cfg = os.path.join(tmp, "config.toml")
        with open(cfg, "w") as f:
            f.write('catalog = false\n[[providers]]\nid = "anthropic"\nname = "Anthropic"\n'
                    'kind = "statuspage"\nurl = "http://127.0.0.1:%d/a"\ninterval = "60s"\n' % port)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "WEATHERVANE_CONFIG": cfg,
               "WEATHERVANE_DATA_DIR": os.path.join(tmp, "data"), "NO_COLOR": "1",
               "XDG_CONFIG_HOME": os.path.join(home, ".config")}
        if tray:
            env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
        argv = [binary] if tray else [binary, "watch"]
        seen = len(REQUESTS)
        t0 = time.monotonic()
        p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = t0 + 30
        while len(REQUESTS) == seen and time.monotonic() < end and p.poll() is None:
            time.sleep(0.005)
        first = REQUESTS[seen] - t0 if len(REQUESTS) > seen else None
        time.sleep(5)  # start-up settles (discovery of the tree runs on its own thread)
        c0, w0 = ticks(p.pid), time.monotonic()
        time.sleep(secs)
        c1, w1 = ticks(p.pid), time.monotonic()
        pss = pss_kib(p.pid)
        p.terminate()
        p.wait(10)
        hz = os.sysconf("SC_CLK_TCK")
        cpu = 100.0 * (c1 - c0) / hz / (w1 - w0)
        return first, cpu, pss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--secs", type=int, default=60)
    ap.add_argument("--tray", action="store_true",
                    help="BINARY is weathervane-tray (run under dbus-run-session), not the CLI")
    a = ap.parse_args()
    if a.tray and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        ap.error("--tray needs a session bus: run under dbus-run-session")
    port = serve()
    print("%-22s %16s %14s %10s" % ("transcript files", "first poll (s)", "idle CPU (%)", "PSS (MiB)"))
    for n in (0, a.files):
        first, cpu, pss = measure(os.path.abspath(a.binary), n, a.secs, port, a.tray)
        print("%-22d %16s %14.3f %10.1f" % (n, "%.2f" % first if first is not None else "?", cpu, pss))
    return 0


if __name__ == "__main__":
    sys.exit(main())

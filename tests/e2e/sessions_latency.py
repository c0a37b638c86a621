#!/usr/bin/python3
"""From a provider-trouble record appended to a Claude Code transcript to the notification on
the bus, over several runs of the resident (weathervane-tray), on a private session bus:

    xvfb-run -a dbus-run-session -- /usr/bin/python3 tests/e2e/sessions_latency.py \
        --app PATH/TO/weathervane-tray [--runs 10] [--out FILE]

Each run starts the resident in a fresh temp HOME and data dir (so each storm is news: one
user's storm stays in the verdict's window for minutes), waits until the tray shows the fake
page's first answer ("FakeAI: Operational"), then appends four 529 retries to a transcript in
one write and takes the time of the Notify call "... (your own sessions)" from dbus-monitor's
own timestamp (the bus's clock, not this script's polling). The verdict's threshold (three
provider errors in five minutes) is reached by the third line. Prints every run, the median and
the worst; exits non-zero if a run gets no notification within 30 s.
"""

import argparse
import os
import re
import signal
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

# dbus-monitor prints the sender's call with the time it saw it.
NOTIFY_AT_RE = re.compile(
    r'^method call time=(?P<t>[0-9.]+) [^\n]*member=Notify\n'
    r'\s+string "[^"\n]*"\n\s+uint32 \d+\n\s+string "[^"\n]*"\n\s+string "(?P<summary>[^"\n]*)"',
    re.M)


def wait(probe, timeout, every=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = probe()
        if v:
            return v
        time.sleep(every)
    return None


def notify_times(path):
    try:
        text = open(path, "rb").read().decode("utf-8", "replace")
    except OSError:
        return []
    return [(float(m.group("t")), m.group("summary")) for m in NOTIFY_AT_RE.finditer(text)]


def one_run(i, a, tmp, port, procs, mon):
    home = os.path.join(tmp, "run-%d" % i, "home")
    transcript = os.path.join(home, ".claude", "projects", "-home-me-app", e2e.SESSION_ID + ".jsonl")
    os.makedirs(os.path.dirname(transcript))
    with open(os.path.join(home, ".claude", "settings.json"), "w") as f:
        f.write(e2e.CLAUDE_SETTINGS)
    with open(transcript, "w") as f:
        f.write('{"type":"user","timestamp":"2026-12-01T09:00:00.000Z","message":{"role":"user","content":"hi"}}\n')
    config = os.path.join(tmp, "run-%d" % i, "config.toml")
    e2e.write_config(config, port)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home + "/.config",
               XDG_DATA_HOME=home + "/.local/share", XDG_CACHE_HOME=home + "/.cache",
               WEATHERVANE_CONFIG=config, WEATHERVANE_DATA_DIR=os.path.join(home, "data"),
               RUST_LOG="info")
    p = procs.start("resident-%d" % i, [a.app], os.path.join(tmp, "resident-%d.log" % i), env=env)
    tray = e2e.Tray()

    def ready():
        try:
            for item in tray.items():
                if "FakeAI: Operational" in e2e.flatten(tray.menu_tree(item)):
                    return True
        except Exception:  # noqa: BLE001 (not registered yet)
            return False
        return False
    if not wait(ready, 30, 0.05):
        raise SystemExit("run %d: the tray never showed 'FakeAI: Operational' (log %s)"
                         % (i, os.path.join(tmp, "resident-%d.log" % i)))
    before = len(notify_times(mon))
    data = e2e.retry_lines(4)
    t0 = time.time()
    with open(transcript, "a") as f:
        f.write(data)
    got = wait(lambda: [t for t, s in notify_times(mon)[before:] if s.endswith("(your own sessions)")], 30)
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(10)
    # The next run's tray must not be confused with this one's.
    wait(lambda: not tray.items(), 10)
    if not got:
        raise SystemExit("run %d: no Notify '... (your own sessions)' within 30 s; saw %s"
                         % (i, notify_times(mon)[before:]))
    return got[0] - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out")
    a = ap.parse_args()
    a.app = os.path.abspath(a.app)
    tmp = tempfile.mkdtemp(prefix="wv-sessions-latency-")
    procs = e2e.Procs()
    logs = lambda n: os.path.join(tmp, n + ".log")  # noqa: E731
    try:
        port_file = os.path.join(tmp, "port")
        procs.start("fake", ["/usr/bin/python3", e2e.FAKE_SERVER, "--port", "0", "--port-file", port_file],
                    logs("fake"), env=os.environ)
        port = int(wait(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 10))
        with open(os.path.join(tmp, "dunstrc"), "w") as f:
            f.write(e2e.DUNSTRC)
        procs.start("dunst", ["dunst", "-config", os.path.join(tmp, "dunstrc")], logs("dunst"))
        mon = logs("monitor")
        procs.start("monitor", ["dbus-monitor", "--session",
                                "interface='org.freedesktop.Notifications',member='Notify'"], mon)
        procs.start("watcher", ["/usr/bin/python3", "-u", os.path.join(e2e.HERE, "e2e.py"), "watcher"],
                    logs("watcher"))
        tray = e2e.Tray()

        def up():
            try:
                tray.items()
                return os.path.getsize(mon) > 0
            except Exception:  # noqa: BLE001
                return False
        if not wait(up, 10, 0.05):
            raise SystemExit("the watcher or dbus-monitor did not start (logs in %s)" % tmp)
        took = []
        for i in range(a.runs):
            s = one_run(i, a, tmp, port, procs, mon)
            took.append(s)
            print("run %d: %.3f s from the appended line to Notify" % (i + 1, s), flush=True)
    finally:
        procs.stop_all()
    line = ("sessions line-to-notify over %d runs: median %.3f s, worst %.3f s, best %.3f s"
            % (len(took), statistics.median(took), max(took), min(took)))
    print(line)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join("%.3f" % s for s in took) + "\n" + line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

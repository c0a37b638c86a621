#!/usr/bin/python3
"""Checks of the toolkit-free resident (weathervane-tray) on a private display and session
bus, reusing e2e.py's watcher, dunst setup, fake status server and dbusmenu reader:

    xvfb-run -a dbus-run-session -- /usr/bin/python3 tests/e2e/resident_check.py \
        --app PATH/TO/weathervane-tray [--desktop PATH/TO/weathervane-desktop] [--idle 60]

In order: with no StatusNotifierWatcher it says so once in a notification and keeps going;
it registers as soon as a watcher appears; a fresh start registers in N ms; the menu reads
right over dbusmenu; "Refresh now" polls at once; an outage and its recovery are notified;
"Open dashboard" and a second launch start `weathervane-desktop --dashboard`; no GTK or
WebKit is mapped; PSS and CPU after --idle seconds with 5 providers. Prints one line per
check and the figures; exit 0 when all pass.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

RESULTS = []


def check(name, ok, seen=""):
    RESULTS.append(ok)
    print("%s %s %s" % ("PASS" if ok else "FAIL", name, seen), flush=True)


def wait(probe, timeout, every=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = probe()
        if v:
            return v
        time.sleep(every)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--desktop")
    ap.add_argument("--idle", type=int, default=60)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="wv-resident-")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home + "/.config",
               XDG_DATA_HOME=home + "/.local/share", XDG_CACHE_HOME=home + "/.cache",
               WEATHERVANE_CONFIG=os.path.join(tmp, "config.toml"),
               WEATHERVANE_DATA_DIR=os.path.join(home, "data"), RUST_LOG="info")
    if a.desktop:
        env["WEATHERVANE_DESKTOP"] = os.path.abspath(a.desktop)
    procs = e2e.Procs()
    logs = lambda n: os.path.join(tmp, n + ".log")  # noqa: E731
    try:
        # The fake server and a config with five providers on it.
        port_file = os.path.join(tmp, "port")
        procs.start("fake", ["/usr/bin/python3", e2e.FAKE_SERVER, "--port", "0", "--port-file", port_file],
                    logs("fake"), env=dict(env, FAKE_STATUS_VERBOSE="1"))
        port = int(wait(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 10))
        e2e.write_config(env["WEATHERVANE_CONFIG"], port)
        with open(env["WEATHERVANE_CONFIG"], "a") as f:
            for i in range(2, 6):
                f.write('\n[[providers]]\nid = "fake%d"\nname = "Fake %d"\nkind = "statuspage"\n'
                        'url = "http://127.0.0.1:%d/fake%d"\ninterval = "60s"\n' % (i, i, port, i))
        with open(os.path.join(tmp, "dunstrc"), "w") as f:
            f.write(e2e.DUNSTRC)
        procs.start("dunst", ["dunst", "-config", os.path.join(tmp, "dunstrc")], logs("dunst"), env=env)
        mon = logs("monitor")
        procs.start("monitor", ["dbus-monitor", "--session",
                                "interface='org.freedesktop.Notifications',member='Notify'",
                                "type='method_return',sender='org.freedesktop.Notifications'"], mon, env=env)
        time.sleep(1)
        summaries = lambda: [n["summary"] for n in e2e.notifications(mon)]  # noqa: E731

        # 1. No watcher: one notification, then registration once a watcher appears.
        r1 = procs.start("resident-1", [a.app], logs("resident-1"), env=env)
        said = wait(lambda: "Weathervane has no tray icon here" in summaries(), 10)
        check("no tray host: said once in a notification", bool(said), summaries())
        procs.start("watcher", ["/usr/bin/python3", "-u", os.path.join(e2e.HERE, "e2e.py"), "watcher"],
                    logs("watcher"), env=env)
        tray = None
        def items():
            nonlocal tray
            try:
                tray = tray or e2e.Tray()
                return tray.items()
            except Exception:
                return []
        late = wait(items, 10)
        check("registers when a watcher appears", bool(late), late)
        time.sleep(1)
        check("...and said it only once",
              summaries().count("Weathervane has no tray icon here") == 1, summaries())
        os.killpg(r1.pid, signal.SIGTERM)
        r1.wait(10)
        wait(lambda: not items(), 5)

        # 2. A fresh start with a watcher: time to the item on the watcher.
        t0 = time.monotonic()
        r2 = procs.start("resident-2", [a.app], logs("resident-2"), env=env)
        item = wait(lambda: items(), 10, 0.005)
        ms = (time.monotonic() - t0) * 1000
        check("registers at start", bool(item), "%.0f ms" % ms)
        item = item[0]

        # 3. The menu over dbusmenu.
        def labels():
            try:
                return e2e.flatten(tray.menu_tree(item))
            except Exception:
                return []
        want = ["FakeAI: Operational"] + e2e.FIXED_LABELS
        got = wait(lambda: all(w in labels() for w in want) and labels(), 30, 0.5)
        check("menu reads right", bool(got), labels())
        print("\n".join(e2e.menu_text(tray.menu_tree(item))))

        def click(label):
            service, path = item.split("/", 1)
            obj = tray.bus.get_object(service, "/" + path)
            menu = tray.bus.get_object(service, str(obj.Get(e2e.SNI_IFACE, "Menu",
                                                            dbus_interface=tray.dbus.PROPERTIES_IFACE)))
            _rev, layout = menu.GetLayout(0, -1, tray.dbus.Array([], signature="s"),
                                          dbus_interface=e2e.DBUSMENU_IFACE)
            def find(node):
                ident, props, children = node
                if str(props.get("label", "")) == label:
                    return int(ident)
                for c in children:
                    r = find(c)
                    if r is not None:
                        return r
            ident = find(layout)
            menu.Event(ident, "clicked", tray.dbus.String("", variant_level=1), tray.dbus.UInt32(0),
                       dbus_interface=e2e.DBUSMENU_IFACE)

        # 4. "Refresh now" polls at once (the fake server logs each request).
        count = lambda: open(logs("fake")).read().count("GET /fakeai/")  # noqa: E731
        time.sleep(1)
        before = count()
        click("Refresh now")
        check("Refresh now polls at once", bool(wait(lambda: count() > before, 5)),
              "%d -> %d requests" % (before, count()))

        # 5. Outage and recovery: notifications and the menu.
        urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/_control/fakeai/major" % port, data=b"", method="POST")).read()
        click("Refresh now")
        check("outage notified", bool(wait(lambda: "FakeAI: major outage" in summaries(), 20)), summaries())
        check("menu shows the outage", bool(wait(lambda: "FakeAI: Major outage" in labels(), 10)), labels()[:3])
        urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/_control/fakeai/operational" % port, data=b"", method="POST")).read()
        click("Refresh now")
        check("recovery notified", bool(wait(lambda: "FakeAI recovered" in summaries(), 20)), summaries())

        # 6. Open dashboard: from the menu, and from a second launch.
        def dashboards():
            out = []
            for d in os.listdir("/proc"):
                if d.isdigit():
                    try:
                        cmd = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
                        stat = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    if b"--dashboard" in cmd and int(stat[1]) == r2.pid:
                        out.append(int(d))
            return out
        click("Open dashboard")
        d1 = wait(dashboards, 10)
        check("Open dashboard starts weathervane-desktop --dashboard", bool(d1), d1)
        for p in d1 or []:
            os.kill(p, signal.SIGTERM)
        wait(lambda: not dashboards(), 10)
        r3 = subprocess.run([a.app], env=env, timeout=20, capture_output=True)
        d2 = wait(dashboards, 10)
        check("a second launch exits and the first opens the dashboard",
              r3.returncode == 0 and bool(d2), "rc %d, %s" % (r3.returncode, d2))
        for p in d2 or []:
            os.kill(p, signal.SIGTERM)
        wait(lambda: not dashboards(), 10)

        # 7. No toolkit mapped; footprint when idle.
        maps = open("/proc/%d/maps" % r2.pid).read()
        bad = sorted({l.split()[-1] for l in maps.splitlines()
                      if "libgtk" in l or "libwebkit2gtk" in l or "libjavascriptcore" in l})
        check("no GTK or WebKit mapped", not bad, bad)
        def cpu():
            s = open("/proc/%d/stat" % r2.pid).read().rsplit(")", 1)[1].split()
            return int(s[11]) + int(s[12])
        c0, t0 = cpu(), time.monotonic()
        time.sleep(a.idle)
        c1, t1 = cpu(), time.monotonic()
        pss = [l for l in open("/proc/%d/smaps_rollup" % r2.pid) if l.startswith(("Pss:", "Rss:"))]
        threads = len(os.listdir("/proc/%d/task" % r2.pid))
        tick = os.sysconf("SC_CLK_TCK")
        print("FIGURES start-to-registered %.0f ms; after %d s idle: %s; CPU %.3f %% of a core; %d threads"
              % (ms, a.idle, " ".join(x.split(":")[0] + " " + x.split()[1] + " kB" for x in pss),
                 100.0 * (c1 - c0) / tick / (t1 - t0), threads), flush=True)
        check("still alive", r2.poll() is None)
    finally:
        procs.stop_all()
        print("logs in", tmp)
    n = len(RESULTS)
    ok = sum(RESULTS)
    print("RESIDENT %s: %d/%d checks passed" % ("PASS" if ok == n else "FAIL", ok, n))
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(main())

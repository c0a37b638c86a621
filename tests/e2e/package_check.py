#!/usr/bin/python3
"""The installed package at work: /usr/bin/weathervane-tray on a private display and session
bus, against the fake status server. Run by scripts/package-check.sh after `apt-get install`:

    xvfb-run -a dbus-run-session -- /usr/bin/python3 tests/e2e/package_check.py \
        [--prefix /usr] [--version 0.1.0]

Checks, each waited for (no fixed sleeps): the tray item registers on our
StatusNotifierWatcher; the outage the fake page already shows is notified once (app name
"Weathervane"); the menu says so; a second launch opens the dashboard, the installed
/usr/bin/weathervane-desktop, whose window maps (WebKitGTK loaded from the package's
Depends); `weathervane-tray --autostart on` writes the entry the package ships (Exec runs
/usr/bin/weathervane-tray), `--autostart off` removes it. One line per check; exit 0 when all
pass. Reuses e2e.py's watcher, dunst setup, Notify parser and dbusmenu reader.
"""

import argparse
import os
import re
import shutil
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
    RESULTS.append(bool(ok))
    print("%s %s %s" % ("PASS" if ok else "FAIL", name, seen), flush=True)
    return ok


def wait(probe, timeout, every=0.05):
    end = time.monotonic() + timeout
    while True:
        try:
            v = probe()
        except Exception:  # noqa: BLE001 - not there yet
            v = None
        if v:
            return v
        if time.monotonic() > end:
            return None
        time.sleep(every)


def desktop_entry(path):
    """The [Desktop Entry] group as a dict (enough of the spec for our own files)."""
    out, group = {}, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("["):
                group = line
            elif group == "[Desktop Entry]" and "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def unquote_exec(v):
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(d))
    return out


def exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return ""


def viewable_window(title, pid):
    """The WM_CLASS of a mapped X window titled `title` whose _NET_WM_PID is `pid` (no
    window manager here), or None."""
    from Xlib import X, display as xdisplay  # python3-xlib
    d = xdisplay.Display()
    try:
        net_wm_pid = d.intern_atom("_NET_WM_PID")
        for w in d.screen().root.query_tree().children:
            try:
                if w.get_wm_name() != title or w.get_attributes().map_state != X.IsViewable:
                    continue
                p = w.get_full_property(net_wm_pid, X.AnyPropertyType)
                if p and int(p.value[0]) == pid:
                    return w.get_wm_class() or ("", "")
            except Exception:  # noqa: BLE001 - a window that went away meanwhile
                continue
        return None
    finally:
        d.close()


def desktop_entry_hints(monitor_log):
    """The desktop-entry hint of every Notify call dbus-monitor logged."""
    with open(monitor_log, errors="replace") as f:
        return re.findall(r'string "desktop-entry"\s+variant\s+string "([^"]*)"', f.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", default="/usr")
    ap.add_argument("--version", help="what `weathervane --version` must say")
    a = ap.parse_args()
    tray_exe = os.path.join(a.prefix, "bin", "weathervane-tray")
    desktop_exe = os.path.join(a.prefix, "bin", "weathervane-desktop")
    template = os.path.join(a.prefix, "share", "weathervane", "autostart", "weathervane-tray.desktop")

    tmp = tempfile.mkdtemp(prefix="wv-package-")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEATHERVANE_")}
    env.update(HOME=home, XDG_CONFIG_HOME=home + "/.config", XDG_DATA_HOME=home + "/.local/share",
               XDG_CACHE_HOME=home + "/.cache", XDG_STATE_HOME=home + "/.local/state",
               WEATHERVANE_CONFIG=os.path.join(tmp, "config.toml"), RUST_LOG="info")
    procs = e2e.Procs()
    logs = lambda n: os.path.join(tmp, n + ".log")  # noqa: E731
    t_start = time.monotonic()
    try:
        # 0. The CLI from /usr/bin.
        for prog in ("weathervane", "weathervane-tray"):
            r = subprocess.run([os.path.join(a.prefix, "bin", prog), "--version"], env=env,
                               capture_output=True, text=True, timeout=10)
            want = "%s %s" % (prog, a.version) if a.version else prog
            check("%s --version" % prog, r.returncode == 0 and r.stdout.strip() == want,
                  repr(r.stdout.strip() or r.stderr.strip()))

        # 1. The fake page is already in a major outage when the app first looks.
        port_file = os.path.join(tmp, "port")
        procs.start("fake", ["/usr/bin/python3", e2e.FAKE_SERVER, "--port", "0", "--port-file", port_file],
                    logs("fake"), env=env)
        port = int(wait(lambda: open(port_file).read().strip(), 10))
        urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/_control/%s/major" % (port, e2e.PROVIDER_ID), data=b"", method="POST"),
            timeout=5).read()
        e2e.write_config(env["WEATHERVANE_CONFIG"], port)

        # 2. A tray host, a notification daemon and a log of every Notify call.
        with open(os.path.join(tmp, "dunstrc"), "w") as f:
            f.write(e2e.DUNSTRC)
        mon = logs("monitor")
        procs.start("monitor", ["dbus-monitor", "--session",
                                "interface='org.freedesktop.Notifications',member='Notify'",
                                "type='method_return',sender='org.freedesktop.Notifications'"], mon, env=env)
        procs.start("dunst", ["dunst", "-config", os.path.join(tmp, "dunstrc")], logs("dunst"), env=env)
        procs.start("watcher", ["/usr/bin/python3", "-u", os.path.join(e2e.HERE, "e2e.py"), "watcher"],
                    logs("watcher"), env=env)
        tray = e2e.Tray()
        bus_names = lambda: [str(n) for n in tray.bus.list_names()]  # noqa: E731
        up = wait(lambda: e2e.WATCHER_NAME in bus_names() and e2e.NOTIFY_NAME in bus_names(), 15)
        # dbus-monitor has its match rules once it is a monitor (it then loses its own name).
        up = up and wait(lambda: "NameLost" in open(mon).read(), 10)
        if not check("tray host, notification daemon and bus monitor up", up, bus_names()):
            return 1

        # 3. The installed resident: its item on the watcher, then the outage notification.
        t0 = time.monotonic()
        resident = procs.start("weathervane-tray", [tray_exe], logs("weathervane-tray"), env=env)
        items = wait(lambda: tray.items(), 15)
        ms = (time.monotonic() - t0) * 1000
        owner = None
        if items:
            dbus_obj = tray.bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
            owner = int(dbus_obj.GetConnectionUnixProcessID(items[0].split("/", 1)[0],
                                                            dbus_interface="org.freedesktop.DBus"))
        check("the tray item registers", items and owner == resident.pid,
              "%s, owner pid %s (weathervane-tray %d), %.0f ms" % (items, owner, resident.pid, ms))

        def outage():
            return [n for n in e2e.notifications(mon)
                    if n["summary"] == "%s: major outage" % e2e.PROVIDER_NAME]
        seen = wait(outage, 30)
        ms_notify = (time.monotonic() - t0) * 1000
        check("the outage is notified", seen and seen[0]["app"] == "Weathervane",
              "%s after %.0f ms" % (e2e.short(e2e.notifications(mon)), ms_notify))
        if items:
            labels = wait(lambda: (lambda ls: "%s: Major outage" % e2e.PROVIDER_NAME in ls and ls)(
                e2e.flatten(tray.menu_tree(items[0]))), 10)
            check("the menu shows it", labels, (labels or [])[:3])
        check("...notified once", len(outage()) == 1, e2e.short(e2e.notifications(mon)))
        # Desktops file a notification under the entry its desktop-entry hint names.
        apps = os.path.join(a.prefix, "share", "applications")
        hints = sorted(set(desktop_entry_hints(mon)))
        check("its desktop-entry hint names the installed menu entry",
              hints and all(os.path.isfile(os.path.join(apps, h + ".desktop")) for h in hints), hints)

        # 4. A second launch opens the dashboard: the installed weathervane-desktop, which
        #    maps its window (so its libraries, WebKitGTK included, resolve).
        r = subprocess.run([tray_exe], env=env, capture_output=True, text=True, timeout=20)
        dash = wait(lambda: [p for p in children(resident.pid) if exe(p) == desktop_exe], 10)
        check("a second launch exits and the first starts %s --dashboard" % desktop_exe,
              r.returncode == 0 and dash, "rc %d, %s" % (r.returncode, dash))
        if dash:
            wm_class = wait(lambda: viewable_window("Weathervane", dash[0]), 30, 0.2)
            check("the dashboard window maps", wm_class,
                  "pid %d %s" % (dash[0], "alive" if os.path.exists("/proc/%d" % dash[0]) else "gone"))
            # Desktops match the window to the menu entry by its class (StartupWMClass).
            launcher = desktop_entry(os.path.join(apps, "weathervane-desktop.desktop"))
            check("...its WM_CLASS is the menu entry's StartupWMClass",
                  wm_class and wm_class[0] == launcher.get("StartupWMClass"),
                  "%s vs %s" % (wm_class, launcher.get("StartupWMClass")))
            for p in dash:
                os.kill(p, signal.SIGTERM)
            wait(lambda: not [p for p in children(resident.pid) if exe(p) == desktop_exe], 10)
        check("weathervane-tray still running", resident.poll() is None, resident.returncode)

        # 5. Start at login writes the entry the package ships; off removes it.
        entry = os.path.join(home, ".config", "autostart", "weathervane-tray.desktop")
        on = subprocess.run([tray_exe, "--autostart", "on"], env=env, capture_output=True, text=True,
                            timeout=10)
        written = desktop_entry(entry) if os.path.exists(entry) else {}
        shipped = desktop_entry(template) if os.path.exists(template) else {}
        check("--autostart on writes ~/.config/autostart/weathervane-tray.desktop running %s" % tray_exe,
              on.returncode == 0 and unquote_exec(written.get("Exec", "")) == tray_exe,
              written.get("Exec") or on.stderr.strip())
        diff = {k: (written.get(k), shipped.get(k)) for k in set(written) | set(shipped)
                if written.get(k) != shipped.get(k)}
        check("...the same entry as %s" % template, shipped and not diff,
              "differs (written, shipped): %s" % diff if diff else "" if shipped else "not installed")
        off = subprocess.run([tray_exe, "--autostart", "off"], env=env, capture_output=True, timeout=10)
        check("--autostart off removes it", off.returncode == 0 and not os.path.exists(entry))
    except Exception as e:  # noqa: BLE001 - a broken step is a failed check, with the logs below
        check("no step raised", False, "%s: %s" % (type(e).__name__, e))
    finally:
        procs.stop_all()
        if not all(RESULTS):
            for n in ("weathervane-tray", "dunst", "watcher", "fake"):
                print("----- %s log (last 30 lines) -----" % n)
                print("\n".join(e2e.tail(logs(n), 30)))
        if all(RESULTS) and os.environ.get("PACKAGE_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("logs in", tmp)
    n, ok = len(RESULTS), sum(RESULTS)
    print("PACKAGE E2E %s: %d/%d checks passed in %.1f s"
          % ("PASS" if ok == n else "FAIL", ok, n, time.monotonic() - t_start))
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(main())

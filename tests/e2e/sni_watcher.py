#!/usr/bin/python3
"""A minimal StatusNotifierWatcher (and host) on the session bus, for tests.

Tray icons (libayatana-appindicator, which Tauri uses on Linux) register over D-Bus only
when a watcher exists; a desktop panel normally provides one. This one records what
registers and answers the properties clients ask for. Needs python3-dbus and python3-gi.
"""
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
IFACE="org.kde.StatusNotifierWatcher"
class W(dbus.service.Object):
    def __init__(s, bus):
        s.items=[]; s.bus=bus
        dbus.service.Object.__init__(s, bus, "/StatusNotifierWatcher")
    @dbus.service.method(IFACE, in_signature="s", sender_keyword="sender")
    def RegisterStatusNotifierItem(s, svc, sender=None):
        item = (sender + svc) if svc.startswith("/") else svc + "/StatusNotifierItem"
        if item not in s.items: s.items.append(item)
        print("registered", item, flush=True)
        s.StatusNotifierItemRegistered(item)
    @dbus.service.method(IFACE, in_signature="s")
    def RegisterStatusNotifierHost(s, svc): pass
    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemRegistered(s, i): pass
    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemUnregistered(s, i): pass
    @dbus.service.signal(IFACE, signature="")
    def StatusNotifierHostRegistered(s): pass
    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(s, i, p): return s.GetAll(i)[p]
    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(s, i):
        return {"RegisteredStatusNotifierItems": dbus.Array(s.items, signature="s"), "IsStatusNotifierHostRegistered": True, "ProtocolVersion": dbus.Int32(0)}
bus=dbus.SessionBus()
n1=dbus.service.BusName(IFACE, bus); n2=dbus.service.BusName("org.kde.StatusNotifierHost-1", bus)
w=W(bus); print("watcher up", flush=True)
GLib.MainLoop().run()

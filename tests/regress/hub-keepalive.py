#!/usr/bin/python3
"""hub-keepalive.py: a dead peer is dropped within 35 s; a live idle one is not.

The dead peer is a raw socket that does the WebSocket handshake and hello,
then never reads again (so it never answers the hub's pings); the live one
is a websockets client that answers pings but sends nothing. A supervisor
sees the dead agent go offline. A connection that never says hello is
closed with 4401 after 10 s. Takes about 40 seconds."""
import asyncio
import base64
import importlib.util
import json
import os
import socket
import time

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)


def raw_ws(port, token):
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: baton.v1\r\n\r\n"
               % key).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("handshake refused")
        buf += chunk
    if b" 101 " not in buf.split(b"\r\n")[0]:
        raise RuntimeError("handshake: %r" % buf[:80])
    payload = json.dumps({"type": "hello", "v": 1, "token": token}).encode()
    mask = os.urandom(4)
    hdr = bytes([0x81, 0x80 | len(payload)]) if len(payload) < 126 else \
        bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return s


async def main(tap):
    hub = hubc.Hub(config="offline_grace_s = 3\n")
    try:
        dead_t = hub.token("dead", "agent", "Dead")
        live_t = hub.token("live", "agent", "Live")
        sup_t = hub.token("sup", "supervisor", "Sup")
        hub.start()
        sup = await hubc.Peer(hub, sup_t, "sup").connect()
        live = await hubc.Peer(hub, live_t, "live").connect()
        silent = await hubc.Peer(hub, live_t, "silent").connect(hello=False)
        s = raw_ws(hub.port, dead_t)
        t0 = time.time()
        ev = await sup.event("agent.presence", pred=lambda f: f["body"]["presence"]["id"] == "dead"
                             and f["body"]["presence"]["status"] == "online")
        tap.ok(ev is not None, "the raw peer is online")
        closed = await silent.wait_closed(15)
        e = await silent.wait(lambda f: f.get("type") == "error", timeout=0.1)
        tap.ok(closed and closed[0] == 4401 and e and e["code"] == "unauthorized",
               "a connection that sends no hello for 10 s is closed with 4401", (closed, e))
        off = await sup.event("agent.presence", timeout=40,
                              pred=lambda f: f["body"]["presence"]["id"] == "dead"
                              and f["body"]["presence"]["status"] == "offline")
        took = time.time() - t0
        tap.ok(off is not None and took <= 35, "a peer that never answers pings is dropped within 35 s (%.1f s)" % took)
        s.settimeout(2)
        closed = False
        try:
            while True:
                if not s.recv(65536):
                    closed = True
                    break
        except (socket.timeout, ConnectionResetError):
            closed = False
        tap.ok(closed, "its TCP connection was closed by the hub")
        s.close()
        r = await live.cmd("presence.set", {"status": "online"})
        tap.ok(r is not None and r["status"] == "ok", "an idle peer that answers pings is still connected")
        tap.ok(sup.closed is None, "the supervisor (idle, answering pings) is still connected")

        # An agent gone offline with work: its conversations return to the queue
        # after offline_grace_s (3 s here); one that comes back in time keeps them.
        bot = hub.token("bot", "bot", "Bot")
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ka-1", hubc.customer("cu-k1", "o-k1")), bot)
        c1 = b["conversation"]
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ka-2", hubc.customer("cu-k2", "o-k2")), bot)
        c2 = b["conversation"]
        r = await live.cmd("claim", {"conv": c1})
        tap.ok(r and r["status"] == "ok", "live claims a conversation")
        await live.close()
        back = await hubc.Peer(hub, live_t, "back").connect()
        await asyncio.sleep(4.5)
        tap.ok(hub.sql("SELECT assignee FROM conversations WHERE n = ?", (int(c1[2:]),))[0][0] == "live",
               "an agent back within the grace period keeps its conversation")
        mark = len(sup.frames)
        await back.close()
        t0 = time.time()
        ev = await sup.wait(lambda f: f.get("type") == "event" and f.get("kind") == "conversation.queued"
                            and f.get("conv") == c1, timeout=10, start=mark)
        tap.ok(ev is not None and 2.5 <= time.time() - t0 <= 6,
               "an agent offline past the grace period: its conversation is queued again (%.1f s)" % (time.time() - t0))
        # after a restart, an agent that never returns loses its work after the grace period too
        back = await hubc.Peer(hub, live_t, "back2").connect()
        await back.cmd("claim", {"conv": c2})
        await sup.close()
        hub.stop()
        hub.start()
        sup = await hubc.Peer(hub, sup_t, "sup2").connect()
        ev = await sup.event("conversation.queued", c2, timeout=10)
        tap.ok(ev is not None, "after a restart, work of an agent who does not come back is queued again")
        await sup.close()
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

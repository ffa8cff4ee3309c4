#!/usr/bin/python3
"""hub-common.py: what the hub regression scripts share.

Imported by tests/regress/hub-*.py (importlib, the name has a dash); run on
its own it is a smoke test of the harness itself: start a hub, check
/healthz, stop it.

- Hub: the real $BATOND_BIN on a free loopback port with a database in a
  temporary directory; start, stop (SIGTERM), kill -9, restart on the same
  database; `token add` through the binary itself.
- Peer: an asyncio websockets 10.4 client speaking baton.v1: hello, welcome,
  snapshot or replay, commands with their results, events as they come.
- Tap: TAP lines ("ok N - what") for tests/run.
"""
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BATOND = os.environ.get("BATOND_BIN") or os.path.join(ROOT, os.environ.get("BUILD", "build"), "batond")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if not cond:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            if detail is not None:
                for line in str(detail).splitlines()[:20]:
                    print("#   " + line)
        else:
            print("ok %d - %s" % (self.n, name))
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, expected %r" % (got, want))

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Hub:
    def __init__(self, args=(), config=None):
        self.dir = tempfile.mkdtemp(prefix="baton-hub-")
        self.db = os.path.join(self.dir, "hub.db")
        self.args = list(args)
        self.proc = None
        self.port = None
        self.config = None
        if config:
            self.config = os.path.join(self.dir, "batond.conf")
            with open(self.config, "w") as f:
                f.write(config)
        self.log = open(os.path.join(self.dir, "batond.log"), "ab")

    def token(self, ident, role="agent", name=None, skills=None, max_active=None):
        cmd = [BATOND, "--db", self.db, "token", "add", "--id", ident, "--role", role,
               "--name", name or ident.capitalize()]
        if skills:
            cmd += ["--skills", skills]
        if max_active is not None:
            cmd += ["--max-active", str(max_active)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return out.stdout.decode().strip()

    def start(self, wait=True):
        for attempt in range(5):
            self.port = self.port or free_port()
            cmd = [BATOND, "--db", self.db, "--listen", "127.0.0.1:%d" % self.port] + self.args
            if self.config:
                cmd += ["--config", self.config]
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
            if not wait:
                return
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    st, _ = self.http("GET", "/healthz")
                    if st == 200:
                        return
                except OSError:
                    pass
                time.sleep(0.05)
            self.stop()
            self.port = None    # maybe the port was taken: try another
        raise RuntimeError("batond did not start; log in %s" % self.dir)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def kill9(self):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def cleanup(self):
        if self.proc:
            self.kill9()
        self.log.close()
        if os.environ.get("BATON_KEEP_TMP"):
            return
        subprocess.run(["rm", "-rf", self.dir])

    def logtext(self):
        with open(os.path.join(self.dir, "batond.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def ws_url(self):
        return "ws://127.0.0.1:%d/v1/stream" % self.port

    def http(self, method, path, body=None, token=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url(path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                payload = r.read()
                status = r.status
                ctype = r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            payload = e.read()
            status = e.code
            ctype = e.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                return status, json.loads(payload)
            except ValueError:
                return status, payload
        return status, payload

    def sql(self, query, args=()):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            rows = con.execute(query, args).fetchall()
            con.commit()
            return rows
        finally:
            con.close()


def customer(cid="cu-1", order="o-1", delivered_days_ago=3, qty=2, price=4500, currency="EUR"):
    now = time.time()

    def t(days):
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - days * 86400))
    return {
        "id": cid, "name": "Zeynep Çelik", "email": "z@example.com", "tier": "gold",
        "since": t(800), "lifetime_value_minor": 123400, "currency": currency,
        "orders": [
            {"id": order, "placed_at": t(delivered_days_ago + 4), "delivered_at": t(delivered_days_ago),
             "status": "delivered", "total_minor": qty * price, "currency": currency,
             "carrier": "DHL", "tracking": "JD000000000000000001",
             "items": [{"sku": "SNK-9-BLK", "name": "Trail sneaker, 9, black", "qty": qty,
                        "price_minor": price}]},
            {"id": order + "-old", "placed_at": t(90), "delivered_at": t(80), "status": "delivered",
             "total_minor": 2000, "currency": currency,
             "items": [{"sku": "SOCK-3", "name": "Socks, 3 pack", "qty": 1, "price_minor": 2000}]},
            {"id": order + "-ship", "placed_at": t(2), "delivered_at": None, "status": "shipped",
             "total_minor": 1000, "currency": currency,
             "items": [{"sku": "CAP-1", "name": "Cap", "qty": 1, "price_minor": 1000}]},
        ],
    }


def escalation(ext, cust=None, priority="normal", skills=None, callback=None):
    body = {
        "external_id": ext, "channel": "web", "language": "tr", "priority": priority,
        "escalation": {"reason": {"code": "discount_request", "text": "wants 20%"},
                       "confidence": 0.4, "sentiment": -0.5, "skills": skills or [],
                       "summary": "Customer wants a bigger discount.",
                       "attempted": [{"step": "offered 10%", "outcome": "declined"}]},
        "customer": cust or customer(),
        "transcript": [{"from": "customer", "text": "Merhaba, indirim istiyorum", "kind": "public"},
                       {"from": "bot", "text": "Size %10 verebilirim."}],
    }
    if callback:
        body["callback_url"] = callback
    return body


class Peer:
    """One baton.v1 connection."""

    def __init__(self, hub, token, name="peer"):
        self.hub = hub
        self.token = token
        self.name = name
        self.ws = None
        self.events = []        # every event frame, in order
        self.frames = []        # every frame
        self.results = {}
        self.welcome = None
        self.snapshot = None
        self.n = 0
        self.reader = None
        self.closed = None      # (code, reason) once closed
        self.cond = asyncio.Condition()

    async def connect(self, since=None, hello=True, header_token=False, extra=None):
        headers = {"Authorization": "Bearer " + self.token} if header_token else None
        self.ws = await websockets.connect(self.hub.ws_url(), subprotocols=["baton.v1"], max_size=None,
                                           extra_headers=headers, ping_interval=None)
        self.reader = asyncio.ensure_future(self._read())
        if hello:
            h = {"type": "hello", "v": 1, "client": "test/1"}
            if not header_token:
                h["token"] = self.token
            if since is not None:
                h["since"] = since
            if extra:
                h.update(extra)
            await self.send(h)
            self.welcome = await self.wait(lambda f: f.get("type") in ("welcome", "error"))
            if self.welcome.get("type") == "welcome" and self.welcome.get("resume") == "snapshot":
                self.snapshot = await self.wait(lambda f: f.get("type") == "snapshot")
        return self

    async def _read(self):
        try:
            async for msg in self.ws:
                f = json.loads(msg)
                async with self.cond:
                    self.frames.append(f)
                    if f.get("type") == "event":
                        self.events.append(f)
                    elif f.get("type") == "result":
                        self.results[f["cmd_id"]] = f
                    self.cond.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            async with self.cond:
                self.closed = (self.ws.close_code, self.ws.close_reason)
                self.cond.notify_all()

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def wait(self, pred, timeout=5, start=0):
        """The first frame (from index start) that pred accepts."""
        deadline = asyncio.get_event_loop().time() + timeout
        async with self.cond:
            while True:
                for f in self.frames[start:]:
                    if pred(f):
                        return f
                left = deadline - asyncio.get_event_loop().time()
                if left <= 0 or self.closed:
                    return None
                try:
                    await asyncio.wait_for(self.cond.wait(), left)
                except asyncio.TimeoutError:
                    return None

    async def wait_closed(self, timeout=5):
        deadline = asyncio.get_event_loop().time() + timeout
        async with self.cond:
            while not self.closed:
                left = deadline - asyncio.get_event_loop().time()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self.cond.wait(), left)
                except asyncio.TimeoutError:
                    return None
        return self.closed

    async def cmd(self, op, args, cmd_id=None, timeout=5):
        if cmd_id is None:
            self.n += 1
            cmd_id = "%s-%d-%d" % (self.name, os.getpid(), self.n)
        mark = len(self.frames)
        await self.send({"type": "cmd", "cmd_id": cmd_id, "op": op, "args": args})
        return await self.wait(lambda f: f.get("type") == "result" and f.get("cmd_id") == cmd_id, timeout,
                               start=mark)

    async def event(self, kind, conv=None, timeout=5, pred=None):
        return await self.wait(lambda f: f.get("type") == "event" and f.get("kind") == kind
                               and (conv is None or f.get("conv") == conv)
                               and (pred is None or pred(f)), timeout)

    async def close(self):
        if self.ws:
            await self.ws.close()
        if self.reader:
            await self.reader


def run(main):
    """Runs an async main(tap, ...) and exits with TAP's status."""
    tap = Tap()
    try:
        asyncio.get_event_loop().run_until_complete(main(tap))
    except Exception as e:   # a crash in the test is a failure, with its story
        import traceback
        tap.ok(False, "test script completed", traceback.format_exc())
    sys.exit(tap.done())


if __name__ == "__main__":
    async def smoke(tap):
        hub = Hub()
        try:
            tok = hub.token("a1")
            tap.ok(tok.startswith("bt_") and len(tok) > 40, "token add prints a token")
            raw = b""
            for suffix in ("", "-wal"):
                if os.path.exists(hub.db + suffix):
                    with open(hub.db + suffix, "rb") as f:
                        raw += f.read()
            tap.ok(raw and tok.encode() not in raw and tok[3:].encode() not in raw,
                   "the token itself is nowhere in the database files")
            hub.start()
            st, body = hub.http("GET", "/healthz")
            tap.eq(st, 200, "healthz answers 200")
            peer = await Peer(hub, tok, "p").connect()
            tap.eq(peer.welcome.get("type"), "welcome", "the token opens a stream")
            tap.eq(hub.stop(), 0, "SIGTERM stops the hub with status 0")
            closed = await peer.wait_closed(3)
            tap.ok(closed and closed[0] == 1001, "streams are closed with 1001 going away", closed)
            tok2 = hub.token("a1")
            hub.start()
            bad = await Peer(hub, tok, "old").connect()
            tap.eq(bad.welcome.get("code"), "unauthorized", "a second token add replaces the first token")
            good = await Peer(hub, tok2, "new").connect()
            tap.eq(good.welcome.get("type"), "welcome", "the new token works")
            hub.token("a1", name="Renamed")
            closed = await good.wait_closed(5)
            e = await good.wait(lambda f: f.get("type") == "error", timeout=0.1)
            tap.ok(closed and closed[0] == 4401 and e and e["code"] == "unauthorized",
                   "replacing the token of a connected agent closes its stream with 4401", (closed, e))
            await good.close()
        finally:
            hub.cleanup()
    run(smoke)

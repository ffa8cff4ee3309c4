#!/usr/bin/python3
"""hub-webhook.py: webhooks to the bot's callback_url.

A receiver that fails the first tries of every webhook: the hub retries with
the same Idempotency-Key until a 2xx; all four types arrive, in order per
conversation, with the structured outcome; notes never reach the bot; a
webhook pending when the hub stops (SIGTERM, and kill -9) is delivered after
the restart."""
import asyncio
import http.server
import importlib.util
import json
import os
import threading
import time

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)


class Receiver:
    def __init__(self, fail_first=2):
        self.fail_first = fail_first
        self.tries = {}         # key -> attempts
        self.got = []           # (key, body) of accepted deliveries
        self.lock = threading.RLock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n) or b"{}")
                key = self.headers.get("Idempotency-Key")
                with rec.lock:
                    rec.tries[key] = rec.tries.get(key, 0) + 1
                    fail = rec.tries[key] <= rec.fail_first
                    if not fail:
                        rec.got.append((key, body))
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.port = hubc.free_port()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()

    def types(self, conv):
        with self.lock:
            return [b["type"] for k, b in self.got if b.get("conversation") == conv]

    async def wait_for(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if pred(self):
                    return True
            await asyncio.sleep(0.1)
        return False


async def main(tap):
    hub = hubc.Hub(config="webhook_max_backoff_s = 1\nrate_per_s = 100000\nrate_burst = 1000000\n")
    rec = Receiver(fail_first=2)
    try:
        ana_t = hub.token("ana", "agent", "Ana")
        bot = hub.token("bot", "bot", "Bot")
        hub.start()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("wh-1", callback=rec.url()), bot)
        conv = b["conversation"]
        ana = await hubc.Peer(hub, ana_t, "ana").connect()
        await ana.cmd("claim", {"conv": conv})
        for i in range(3):
            await ana.cmd("message.send", {"conv": conv, "text": "agent line %d" % i})
        await ana.cmd("note.add", {"conv": conv, "text": "SECRET-NOTE"})
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 10, "order": "o-1", "reason": "sorry"})
        code = r["body"]["action"]["result"]["code"]
        r = await ana.cmd("return.create", {"conv": conv, "order": "o-1", "lines": [{"sku": "SNK-9-BLK", "qty": 1}],
                                            "reason": "size"})
        rma = r["body"]["action"]["result"]["rma"]
        r = await ana.cmd("label.create", {"conv": conv, "rma": rma, "carrier": "ups"})
        tracking = r["body"]["action"]["result"]["tracking"]
        await ana.cmd("handback", {"conv": conv, "disposition": "resolved", "note": "all done", "tags": ["refund"]})

        done = await rec.wait_for(lambda r: "handoff.completed" in r.types(conv), 90)
        tap.ok(done, "webhooks arrive although the receiver fails the first two tries of each")
        types = rec.types(conv)
        tap.eq(types, ["handoff.accepted", "agent.message", "agent.message", "agent.message", "action.applied",
                       "action.applied", "action.applied", "handoff.completed"],
               "all four types, in the order things happened")
        with rec.lock:
            bodies = [b for k, b in rec.got if b.get("conversation") == conv]
            keys = [k for k, b in rec.got if b.get("conversation") == conv]
            tries = dict(rec.tries)
        tap.ok(all(k and tries.get(k) == 3 for k in keys), "each was retried with the same Idempotency-Key", tries)
        texts = [b["message"]["text"] for b in bodies if b["type"] == "agent.message"]
        tap.eq(texts, ["agent line 0", "agent line 1", "agent line 2"], "agent messages in order")
        tap.ok(not any("SECRET-NOTE" in json.dumps(b) for b in bodies), "notes never go to the bot")
        hc = [b for b in bodies if b["type"] == "handoff.completed"][0]
        out = hc.get("outcome", {})
        tap.ok(hc["disposition"] == "resolved" and hc["note"] == "all done" and hc["tags"] == ["refund"]
               and out["discounts"][0]["code"] == code and out["returns"][0]["rma"] == rma
               and out["labels"][0]["tracking"] == tracking,
               "handoff.completed carries disposition, note, tags and the outcome", hc)
        tap.ok(all(b.get("external_id") == "wh-1" for b in bodies), "webhooks carry the bot's external_id")
        st, m = hub.http("GET", "/metrics")
        tap.ok(b"batond_webhook_retries_total" in m and b"batond_webhook_retries_total 0" not in m,
               "metrics count webhook retries")

        # Across a restart: receiver down, message sent, hub stopped; receiver up, hub restarted.
        rec.fail_first = 0
        port = rec.port
        rec.stop()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("wh-2", hubc.customer("cu-2", "o-2"),
                                                                    callback="http://127.0.0.1:%d/hook" % port), bot)
        conv2 = b["conversation"]
        await ana.cmd("claim", {"conv": conv2})
        await ana.cmd("message.send", {"conv": conv2, "text": "sent while the bot is down"})
        await asyncio.sleep(1.5)
        await ana.close()
        tap.eq(hub.stop(), 0, "hub stops with webhooks pending")
        pending = hub.sql("SELECT count(*) FROM webhooks WHERE state = 'pending' AND conv = ?",
                          (int(conv2[2:]),))[0][0]
        tap.ok(pending >= 2, "the undelivered webhooks are in the store (%d)" % pending)
        rec = PortReceiver(port)
        hub.start()
        ok = await rec.wait_for(lambda r: "agent.message" in r.types(conv2), 30)
        tap.ok(ok, "after the restart the pending webhooks are delivered")
        tap.eq(rec.types(conv2), ["handoff.accepted", "agent.message"], "in order")

        # kill -9 with a webhook pending
        rec.stop()
        hub2 = await hubc.Peer(hub, ana_t, "ana2").connect()
        await hub2.cmd("message.send", {"conv": conv2, "text": "before the crash"})
        await asyncio.sleep(0.5)
        await hub2.close()
        hub.kill9()
        rec = PortReceiver(port)
        hub.start()
        ok = await rec.wait_for(lambda r: any(b.get("message", {}).get("text") == "before the crash"
                                             for k, b in r.got), 30)
        tap.ok(ok, "a webhook pending at kill -9 is delivered after the restart")

        # Webhooks keep flowing while the hub is busy with other traffic.
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("wh-busy", hubc.customer("cu-busy", "o-busy")), bot)
        busy_conv = b["conversation"]
        p = await hubc.Peer(hub, ana_t, "ana3").connect()
        await p.cmd("claim", {"conv": busy_conv})
        stop = asyncio.Event()

        async def load():
            i = 0
            while not stop.is_set():
                i += 1
                await p.send({"type": "cmd", "cmd_id": "busy-%d" % i, "op": "note.add",
                              "args": {"conv": busy_conv, "text": "load %d" % i}})
                if i % 20 == 0:
                    await asyncio.sleep(0.005)
        task = asyncio.ensure_future(load())
        await asyncio.sleep(0.5)
        for i in range(5):
            await p.cmd("message.send", {"conv": conv2, "text": "under load %d" % i}, timeout=20)
        ok = await rec.wait_for(lambda r: sum(1 for k, b in r.got
                                              if b.get("message", {}).get("text", "").startswith("under load")) == 5, 15)
        stop.set()
        await task
        tap.ok(ok, "webhooks are delivered while commands keep arriving")
        await p.close()
    finally:
        try:
            rec.stop()
        except Exception:
            pass
        hub.stop()
        hub.cleanup()


class PortReceiver(Receiver):
    """A receiver on a given port (the one a conversation's callback_url names)."""

    def __init__(self, port):
        self.fail_first = 0
        self.tries = {}
        self.got = []
        self.lock = threading.RLock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n) or b"{}")
                with rec.lock:
                    rec.got.append((self.headers.get("Idempotency-Key"), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.port = port
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()


hubc.run(main)

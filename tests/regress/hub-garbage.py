#!/usr/bin/python3
"""hub-garbage.py: nothing a client sends crashes the hub or corrupts the store.

Thousands of mutated frames on the stream (flipped bytes, cut JSON, wrong
types, deep nesting, huge numbers, hostile Unicode, every op with odd args)
and mutated HTTP bodies; afterwards the hub still answers, the stream still
works, and PRAGMA integrity_check is ok. Deterministic (seeded)."""
import asyncio
import importlib.util
import json
import os
import random

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)

OPS = ["claim", "release", "message.send", "note.add", "discount.approve", "return.create", "label.create",
       "handback", "transfer", "presence.set", "approval.decide", "monitor", "nope"]
ODD = [None, True, False, 0, -1, 2 ** 63, -2 ** 63, 1e308, "", "c-1", "c-99999999999999999999", "x" * 5000,
       "\u202e\u0000\u001b[31m", "😀" * 50, [], {}, [1, 2], {"a": {"b": {"c": []}}}, "rma-1", "ap-1", "@", "@x",
       "next", "lbl-1", 3.5, "1e3"]
KEYS = ["conv", "text", "percent", "amount_minor", "order", "reason", "lines", "rma", "carrier", "service",
        "disposition", "note", "tags", "to", "status", "approval", "decision"]


def mutate(rng, raw):
    b = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        k = rng.randint(0, 5)
        if k == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif k == 1 and b:
            del b[rng.randrange(len(b)):]
        elif k == 2:
            b[rng.randrange(len(b) + 1):0] = rng.choice([b"{", b"}", b"[", b"\"", b"\\u0000", b"\xff", b",", b"null"])
        elif k == 3 and len(b) > 2:
            i = rng.randrange(len(b))
            b[i:i] = b[:rng.randrange(len(b))]
        elif k == 4:
            b = bytearray(b"[" * rng.randint(1, 3000) + b"]" * rng.randint(0, 3000))
        else:
            b = bytearray(json.dumps({"type": rng.choice(["cmd", "hello", "typing", "event", "result", 7, None]),
                                      "cmd_id": rng.choice(ODD), "op": rng.choice(OPS + ODD),
                                      "args": rng.choice(ODD)}).encode())
    return bytes(b)


def odd_cmd(rng, conv):
    args = {k: rng.choice(ODD + [conv]) for k in rng.sample(KEYS, rng.randint(0, 6))}
    return {"type": "cmd", "cmd_id": "g%d" % rng.randrange(10 ** 9), "op": rng.choice(OPS), "args": args}


async def main(tap):
    rng = random.Random(20261122)
    hub = hubc.Hub(config="rate_per_s = 100000\nrate_burst = 1000000\nmax_active = 1000\n")
    try:
        a_t = hub.token("ana", "agent", "Ana")
        s_t = hub.token("sam", "supervisor", "Sam")
        bot = hub.token("bot", "bot", "Bot")
        hub.start()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("g-1"), bot)
        conv = b["conversation"]
        ana = await hubc.Peer(hub, a_t, "ana").connect()
        sam = await hubc.Peer(hub, s_t, "sam").connect()
        await ana.cmd("claim", {"conv": conv})
        base = json.dumps({"type": "cmd", "cmd_id": "base", "op": "message.send",
                           "args": {"conv": conv, "text": "hello"}}).encode()
        from websockets.frames import Opcode
        sent = 0
        for i in range(3000):
            p = ana if i % 2 else sam
            if p.closed:
                break
            if i % 3 == 0:
                await p.send(odd_cmd(rng, conv))
            else:
                await p.ws.write_frame(True, Opcode.TEXT, mutate(rng, base))
            sent += 1
            if i % 100 == 0:
                await asyncio.sleep(0.01)
        r = await ana.cmd("message.send", {"conv": conv, "text": "still alive"}, timeout=20)
        tap.ok(r is not None and r["status"] == "ok", "after %d hostile frames the stream still works" % sent, r)
        tap.ok(ana.closed is None and sam.closed is None, "hostile frames below the size limit do not close the stream")

        bodies = [json.dumps(hubc.escalation("g-%d" % i)).encode() for i in range(5)]
        codes = {}
        for i in range(600):
            raw = mutate(rng, rng.choice(bodies))
            path = rng.choice(["/v1/escalations", "/v1/conversations/%s/messages" % conv,
                               "/v1/conversations/%s/close" % conv, "/v1/conversations/%s/typing" % conv])
            st, _ = hub.http("POST", path, raw=raw, token=bot)
            codes[st] = codes.get(st, 0) + 1
        tap.ok(set(codes) <= {200, 201, 202, 400, 404, 409, 413}, "mutated HTTP bodies get 2xx or 4xx", codes)
        st, h = hub.http("GET", "/healthz")
        tap.ok(st == 200 and h["status"] == "ok", "the hub is still up")
        tap.eq(hub.sql("PRAGMA integrity_check")[0][0], "ok", "integrity_check ok")
        tap.eq(hub.sql("SELECT count(*) FROM actions a WHERE NOT EXISTS"
                       " (SELECT 1 FROM audit u WHERE u.action = a.n)")[0][0], 0, "no action without its audit row")
        await ana.close()
        await sam.close()
        tap.eq(hub.stop(), 0, "clean shutdown")
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

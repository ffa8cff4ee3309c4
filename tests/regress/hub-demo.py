#!/usr/bin/python3
"""hub-demo.py: `batond --demo` seeds a shop, prints tokens, escalates, its
customers answer the agent, and after a handback the bot closes with a CSAT."""
import asyncio
import importlib.util
import os
import re

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)


async def main(tap):
    hub = hubc.Hub(args=["--demo", "--demo-rate", "20"])
    try:
        hub.start()
        toks = dict(re.findall(r"^\s+(ana|ben|cem|sam|demo-bot)\s+\w+\s+(bt_\w+)$", hub.logtext(), re.M))
        tap.ok(set(toks) == {"ana", "ben", "cem", "sam", "demo-bot"}, "the demo prints five tokens", toks.keys())
        tap.ok(hub.sql("SELECT count(*) FROM customers")[0][0] >= 50, "at least 50 customers seeded")
        names = " ".join(r[0] for r in hub.sql("SELECT name FROM customers"))
        tap.ok(re.search("[ğşıçöü]", names) and re.search("[ąęłńśźż]", names), "names in several languages", names[:200])
        tap.ok(hub.sql("SELECT count(*) FROM orders")[0][0] >= 50, "orders seeded")
        sam = await hubc.Peer(hub, toks["sam"], "sam").connect()
        ana = await hubc.Peer(hub, toks["ana"], "ana").connect()
        queue = ana.snapshot["queue"]
        tap.ok(len(queue) >= 3, "escalations are waiting in the queue (%d)" % len(queue))
        c = queue[0]
        tap.ok(c["escalation"].get("summary") and c["customer"]["orders"] and c["transcript"],
               "an escalation has a summary, a customer with orders, and a transcript")
        r = await ana.cmd("claim", {"conv": c["id"]})
        tap.ok(r and r["status"] == "ok", "ana claims a demo conversation", r)
        got = None
        for attempt in range(3):
            await ana.cmd("message.send", {"conv": c["id"], "text": "Hello! Could you tell me your order number?"})
            got = await ana.event("message", c["id"], timeout=15,
                                  pred=lambda f: f["body"]["message"]["from"] == "customer")
            if got:
                break
        tap.ok(got is not None, "the simulated customer answers the agent")
        r = await ana.cmd("handback", {"conv": c["id"], "disposition": "resolved", "note": "answered"})
        tap.ok(r and r["status"] == "ok", "handback", r)
        closed = await ana.event("conversation.closed", c["id"], timeout=15)
        tap.ok(closed and closed["body"]["csat"] in (1, 2, 3, 4, 5), "the bot closes the conversation with a CSAT", closed)
        rows = hub.sql("SELECT sender, text FROM messages WHERE conv = ? ORDER BY n", (int(c["id"][2:]),))
        tap.ok(rows[-1][0] == "bot" and rows[-1][1], "the bot's closing message is in the transcript", rows[-1:])
        more = await ana.event("conversation.queued", timeout=10,
                               pred=lambda f: f["body"]["conversation"]["id"] not in [q["id"] for q in queue])
        tap.ok(more is not None, "the simulated bot keeps escalating")
        await ana.close()
        await sam.close()
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

#!/usr/bin/python3
"""hub-claim-next.py: `claim next` finds the best conversation an agent's
skills match, however deep in the queue it is, and in the queue's order; a
snapshot of a long queue lists its head and says how long it is."""
import asyncio
import importlib.util
import os

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)

DEEP = 520  # more than two pages of the router's 200-row scan, more than a snapshot lists


async def main(tap):
    hub = hubc.Hub()
    try:
        tok = {
            "fay": hub.token("fay", "agent", "Fay Demir", "fraud"),
            "gus": hub.token("gus", "agent", "Gus Nowak", "billing"),
            "hal": hub.token("hal", "agent", "Hal Visser", "returns"),
            "ivy": hub.token("ivy", "agent", "Ivy Kaya", "lang:tr,returns.eu"),
            "bot": hub.token("bot", "bot", "Bot"),
        }
        hub.start()
        ok = 0
        for i in range(DEEP):
            st, _ = hub.http("POST", "/v1/escalations",
                             hubc.escalation("ret-%d" % i, priority="high", skills=["returns"]), tok["bot"])
            ok += st == 201
        tap.eq(ok, DEEP, "%d escalations for the returns team, high priority" % DEEP)
        st, b = hub.http("POST", "/v1/escalations",
                         hubc.escalation("fraud-low", priority="low", skills=["fraud"]), tok["bot"])
        low = b.get("conversation") if st == 201 else None
        st, b = hub.http("POST", "/v1/escalations",
                         hubc.escalation("fraud-normal", priority="normal", skills=["fraud"]), tok["bot"])
        normal = b.get("conversation") if st == 201 else None
        tap.ok(low and normal, "two fraud escalations behind them (normal, low)", (low, normal))
        st, b = hub.http("POST", "/v1/escalations",
                         hubc.escalation("turkish", priority="low", skills=["lang:tr"]), tok["bot"])
        turkish = b.get("conversation") if st == 201 else None
        tap.ok(turkish, "an escalation routed by the skill lang:tr", (st, b))

        fay = await hubc.Peer(hub, tok["fay"], "fay").connect()
        sn = fay.snapshot or {}
        tap.ok(len(sn.get("queue", [])) == 500 and sn.get("queue_total") == DEEP + 3,
               "the snapshot lists the queue's first 500 and says it holds %d" % (DEEP + 3),
               (len(sn.get("queue", [])), sn.get("queue_total")))
        gus = await hubc.Peer(hub, tok["gus"], "gus").connect()
        hal = await hubc.Peer(hub, tok["hal"], "hal").connect()

        r = await fay.cmd("claim", {"conv": "next"})
        got = r and r.get("status") == "ok" and r["body"]["conversation"]["id"]
        tap.eq(got, normal, "claim next: the fraud agent gets the normal-priority fraud case, "
                            "%d places down the queue" % DEEP)
        r = await fay.cmd("claim", {"conv": "next"})
        got = r and r.get("status") == "ok" and r["body"]["conversation"]["id"]
        tap.eq(got, low, "claim next again: then the low-priority one")
        r = await gus.cmd("claim", {"conv": "next"})
        tap.ok(r and r.get("status") == "rejected" and r["error"]["code"] == "not_found",
               "an agent whose skills match nothing queued: not_found", r)
        ivy = await hubc.Peer(hub, tok["ivy"], "ivy").connect()
        tap.ok(ivy.welcome.get("agent", {}).get("skills") == ["lang:tr", "returns.eu"],
               "skills with ':' and '.' are an agent's too (welcome)", ivy.welcome.get("agent"))
        r = await ivy.cmd("claim", {"conv": "next"})
        got = r and r.get("status") == "ok" and r["body"]["conversation"]["id"]
        tap.eq(got, turkish, "claim next: the lang:tr agent gets the lang:tr case")
        r = await hal.cmd("claim", {"conv": "next"})
        tap.ok(r and r.get("status") == "ok" and r["body"]["conversation"]["assignee"] == "hal",
               "the returns agent gets the head of the queue", r and r.get("status"))
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

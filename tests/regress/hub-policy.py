#!/usr/bin/python3
"""hub-policy.py: approvals expire (denied, with an event), the per-agent rate
limit, stats to supervisors at most once a second, configured caps in welcome."""
import asyncio
import importlib.util
import os
import time

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)

CONFIG = """approval_ttl_s = 10
retention_days = 1
rate_per_s = 1
rate_burst = 5
agent_discount_percent_max = 10
currency = PLN
"""


async def main(tap):
    hub = hubc.Hub(config=CONFIG)
    try:
        ana_t = hub.token("ana", "agent", "Ana")
        sam_t = hub.token("sam", "supervisor", "Sam")
        bot = hub.token("bot", "bot", "Bot")
        hub.start()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("p-1", hubc.customer(currency="PLN")), bot)
        conv = b["conversation"]
        ana = await hubc.Peer(hub, ana_t, "ana").connect()
        sam = await hubc.Peer(hub, sam_t, "sam").connect()
        lim = ana.welcome["limits"]
        tap.ok(lim["discount_percent_max"] == 10 and lim["currency"] == "PLN", "welcome carries the configured caps", lim)
        await ana.cmd("claim", {"conv": conv})
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 12, "reason": "over my cap of 10"})
        tap.ok(r and r["status"] == "pending", "12% is over the configured agent cap of 10: pending", r)
        ap = r["body"]["approval"]["id"] if r and r.get("body") else None
        tap.ok(r and r["body"]["approval"].get("expires_at"), "the approval says when it expires")
        t0 = time.time()
        ev = await ana.event("approval.decided", timeout=20, pred=lambda f: f["body"]["approval"]["id"] == ap)
        tap.ok(ev and ev["body"]["approval"]["state"] == "denied" and ev["body"]["action"]["status"] == "denied",
               "after approval_ttl_s the approval is denied, with an event (%.1f s)" % (time.time() - t0), ev)
        ev = await sam.event("approval.decided", pred=lambda f: f["body"]["approval"]["id"] == ap)
        tap.ok(ev is not None, "supervisors see the expiry too")
        r = await sam.cmd("approval.decide", {"approval": ap, "decision": "approve"})
        tap.ok(r and r["error"]["code"] == "invalid_state", "an expired approval cannot be approved", r)
        tap.eq(hub.sql("SELECT count(*) FROM coupons")[0][0], 0, "no coupon came of it")
        tap.ok(hub.sql("SELECT count(*) FROM audit WHERE detail = 'expired'")[0][0] == 1, "the expiry is audited")

        stats = [f for f in sam.frames if f.get("type") == "stats"]
        tap.ok(len(stats) >= 5, "the supervisor received stats frames (%d)" % len(stats))
        tap.ok(stats and stats[-1]["queue"]["normal"] >= 0 and "agents" in stats[-1], "stats has queue and agents")
        tap.ok(not any(f.get("type") == "stats" for f in ana.frames), "agents get no stats")
        await asyncio.sleep(3.2)
        n0 = len([f for f in sam.frames if f.get("type") == "stats"])
        await asyncio.sleep(3.0)
        n1 = len([f for f in sam.frames if f.get("type") == "stats"])
        tap.ok(n1 - n0 <= 4, "stats at most once a second (%d in 3 s)" % (n1 - n0))

        await asyncio.sleep(5)   # refill the bucket
        codes = []
        for i in range(10):
            r = await ana.cmd("presence.set", {"status": "online" if i % 2 else "away"})
            codes.append(r["status"] if r["status"] != "rejected" else r["error"]["code"])
        tap.ok(codes.count("rate_limited") >= 3 and codes[0] == "ok",
               "beyond the burst, commands are rate_limited", codes)
        await asyncio.sleep(1.2)
        r = await ana.cmd("presence.set", {"status": "online"})
        tap.ok(r and r["status"] == "ok", "the bucket refills", r)
        # retention: events older than retention_days go; resuming from before them gets a snapshot
        hub.sql("UPDATE events SET at = 0 WHERE seq <= 3")
        for _ in range(30):
            if hub.sql("SELECT count(*) FROM events WHERE seq <= 3")[0][0] == 0:
                break
            await asyncio.sleep(0.5)
        tap.eq(hub.sql("SELECT count(*) FROM events WHERE seq <= 3")[0][0], 0, "retention prunes old events")
        tap.ok(hub.sql("SELECT count(*) FROM events")[0][0] > 0, "newer events stay")
        hub.sql("UPDATE events SET at = 0")
        await asyncio.sleep(11)
        tap.eq(hub.sql("SELECT count(*) FROM events")[0][0], 1, "all old events go but the newest")
        head = hub.sql("SELECT max(seq) FROM events")[0][0]
        hub.stop()
        hub.start()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("p-2", hubc.customer("cu-p2", "o-p2")), bot)
        tap.ok(hub.sql("SELECT max(seq) FROM events")[0][0] > head, "numbering continues after pruning and a restart")
        late = await hubc.Peer(hub, ana_t, "late").connect(since=1)
        tap.eq(late.welcome.get("resume"), "snapshot", "resuming from before the retained log: snapshot")
        await late.close()
        await ana.close()
        await sam.close()
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

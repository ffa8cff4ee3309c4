#!/usr/bin/python3
"""hub-crash.py: kill -9 the hub in the middle of a burst of commands.

Every `ok` a client received before the kill must be in the store (results
leave only after COMMIT); the database passes integrity_check; no applied
action lacks its audit row; resending the unanswered commands with the same
cmd_id after the restart does each exactly once (one coupon per cmd_id)."""
import asyncio
import importlib.util
import os
import random

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)

AGENTS = 4
CONFIG = "rate_per_s = 100000\nrate_burst = 1000000\nmax_active = 10\n"


async def burst(peer, conv, sent, stop):
    """Fires commands without waiting for each answer; records what was sent."""
    i = 0
    while not stop.is_set() and i < 5000:
        i += 1
        cid = "%s-b%d" % (peer.name, i)
        if i % 5 == 0:
            cmd = {"type": "cmd", "cmd_id": cid, "op": "discount.approve",
                   "args": {"conv": conv, "percent": 5, "reason": "burst %d" % i}}
        else:
            cmd = {"type": "cmd", "cmd_id": cid, "op": "message.send",
                   "args": {"conv": conv, "text": "burst message %d" % i}}
        sent.append(cmd)
        try:
            await peer.send(cmd)
        except Exception:
            return
        if i % 20 == 0:
            await asyncio.sleep(0.002)


async def main(tap):
    hub = hubc.Hub(config=CONFIG)
    try:
        toks = {"a%d" % k: hub.token("a%d" % k, "agent", "Agent %d" % k) for k in range(AGENTS)}
        bot = hub.token("bot", "bot", "Bot")
        hub.start()
        peers, convs = [], []
        for k in range(AGENTS):
            st, b = hub.http("POST", "/v1/escalations",
                             hubc.escalation("crash-%d" % k, hubc.customer("cu-%d" % k, "o-%d" % k)), bot)
            p = await hubc.Peer(hub, toks["a%d" % k], "a%d" % k).connect()
            r = await p.cmd("claim", {"conv": b["conversation"]})
            tap.ok(r and r["status"] == "ok", "a%d claims its conversation" % k, r)
            peers.append(p)
            convs.append(b["conversation"])

        sent = {p.name: [] for p in peers}
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(burst(p, c, sent[p.name], stop)) for p, c in zip(peers, convs)]
        # Kill once answers are flowing (slow builds take longer to get there),
        # at a random moment within the burst.
        for _ in range(400):
            if sum(1 for p in peers for cid, r in p.results.items() if "-b" in cid and r["status"] == "ok") >= 20:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(random.uniform(0.1, 0.4))
        hub.kill9()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for p in peers:
            await p.wait_closed(3)

        ok_results = {}
        for p in peers:
            for cid, r in p.results.items():
                if r["status"] == "ok" and "-b" in cid:
                    ok_results[(p.name, cid)] = r
        nsent = sum(len(v) for v in sent.values())
        tap.ok(len(ok_results) > 0, "the burst got ok results before the kill (%d of %d sent)" % (len(ok_results), nsent))
        tap.ok(len(ok_results) < nsent, "the kill landed mid-burst (some commands unanswered)")

        tap.eq(hub.sql("PRAGMA integrity_check")[0][0], "ok", "integrity_check ok after kill -9")
        stored = set(hub.sql("SELECT agent, cmd_id FROM commands"))
        missing = [k for k in ok_results if k not in stored]
        tap.ok(not missing, "every ok result sent before the kill is in the command table", missing[:5])
        msg_ids = set("m-%d" % r[0] for r in hub.sql("SELECT n FROM messages"))
        lost = [k for k, r in ok_results.items() if "message" in r["body"] and r["body"]["message"]["id"] not in msg_ids]
        tap.ok(not lost, "every acknowledged message is stored", lost[:5])
        codes = set(r[0] for r in hub.sql("SELECT code FROM coupons"))
        lost = [k for k, r in ok_results.items() if "action" in r["body"]
                and r["body"]["action"]["result"]["code"] not in codes]
        tap.ok(not lost, "every acknowledged coupon is stored", lost[:5])
        tap.eq(hub.sql("SELECT count(*) FROM actions a WHERE NOT EXISTS"
                       " (SELECT 1 FROM audit u WHERE u.action = a.n)")[0][0], 0, "no action without its audit row")
        tap.eq(hub.sql("SELECT count(*) FROM coupons c WHERE NOT EXISTS"
                       " (SELECT 1 FROM actions a WHERE a.n = c.action)")[0][0], 0, "no coupon without its action")
        tap.eq(hub.sql("SELECT count(*) FROM messages m JOIN conversations c ON c.n = m.conv"
                       " WHERE m.sender = 'agent' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'message'"
                       " AND e.msg = m.n)")[0][0], 0, "no message without its event")
        head = hub.sql("SELECT max(seq) FROM events")[0][0]

        # Restart; every client resends what it has no answer for, unchanged.
        hub.start()
        again = []
        for p in peers:
            q = await hubc.Peer(hub, toks[p.name], p.name + "r").connect()
            answered = set(p.results)
            todo = [c for c in sent[p.name] if c["cmd_id"] not in answered]
            for c in todo[:300]:
                await q.send(c)
            last = todo[:300][-1]["cmd_id"] if todo else None
            if last:
                await q.wait(lambda f, last=last: f.get("type") == "result" and f.get("cmd_id") == last, 20)
            # and a few that were answered: they must come back as duplicates
            for c in sent[p.name][:3]:
                if c["cmd_id"] in answered:
                    r = await q.cmd(c["op"], c["args"], cmd_id=c["cmd_id"])
                    again.append(r["status"] if r else None)
            for c in todo[:300]:
                r = q.results.get(c["cmd_id"])
                again.append("missing" if not r else r["status"])
            await q.close()
        tap.ok(again and all(s in ("ok", "duplicate") for s in again),
               "after the restart resent commands answer ok or duplicate", sorted(set(again)))
        per_cmd = hub.sql("SELECT cmd_id, count(*) FROM actions WHERE kind = 'discount' GROUP BY agent, cmd_id"
                          " HAVING count(*) > 1")
        tap.eq(per_cmd, [], "each discount cmd_id made exactly one action")
        tap.eq(hub.sql("SELECT count(*) FROM coupons")[0][0],
               hub.sql("SELECT count(*) FROM actions WHERE kind = 'discount' AND status = 'applied'")[0][0],
               "one coupon per applied discount")
        seqs = [r[0] for r in hub.sql("SELECT seq FROM events ORDER BY seq")]
        tap.ok(seqs[-1] > head and seqs == list(range(1, len(seqs) + 1)),
               "event numbering continues without a gap after the crash")
        tap.eq(hub.sql("PRAGMA integrity_check")[0][0], "ok", "integrity_check ok at the end")
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

#!/usr/bin/python3
"""hub-ops.py: every op of baton.v1 against the real batond, ok and error paths,
visibility, idempotency, the claim race, resume with since, policy caps."""
import asyncio
import importlib.util
import os

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)


async def main(tap):
    hub = hubc.Hub()
    try:
        tok = {
            "ana": hub.token("ana", "agent", "Ana Kaya", "returns,billing"),
            "ben": hub.token("ben", "agent", "Ben de Vries", "shipping", max_active=1),
            "sam": hub.token("sam", "supervisor", "Sam Nowak"),
            "bot": hub.token("bot", "bot", "Bot"),
        }
        hub.start()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-1"), tok["bot"])
        tap.eq(st, 201, "POST /v1/escalations creates a conversation (201)")
        conv = b["conversation"]
        st, b2 = hub.http("POST", "/v1/escalations", hubc.escalation("ext-1"), tok["bot"])
        tap.ok(st == 200 and b2["conversation"] == conv, "the same external_id again: 200, same conversation")

        ana = await hubc.Peer(hub, tok["ana"], "ana").connect()
        ben = await hubc.Peer(hub, tok["ben"], "ben").connect(header_token=True)
        sam = await hubc.Peer(hub, tok["sam"], "sam").connect()
        w = ana.welcome
        tap.ok(w["type"] == "welcome" and w["agent"]["id"] == "ana" and w["agent"]["role"] == "agent"
               and w["limits"]["discount_percent_max"] == 15 and w["limits"]["max_frame_bytes"] == 65536,
               "welcome carries agent, role and limits", w)
        tap.ok(ana.snapshot and any(c["id"] == conv for c in ana.snapshot["queue"]), "snapshot lists the queue")
        tap.ok(ben.welcome.get("type") == "welcome", "token in Authorization: Bearer is accepted")
        tap.ok("agents" in sam.snapshot and "agents" not in ana.snapshot, "agents list goes to supervisors only")

        # claim / already_claimed / not_found
        r = await ana.cmd("claim", {"conv": conv})
        tap.ok(r and r["status"] == "ok" and r["body"]["conversation"]["assignee"] == "ana", "claim ok", r)
        ev = await ben.event("conversation.assigned", conv)
        tap.ok(ev and ev["body"]["agent"] == "ana", "others see conversation.assigned")
        r = await ben.cmd("claim", {"conv": conv})
        tap.ok(r and r["status"] == "rejected" and r["error"]["code"] == "already_claimed", "second claim: already_claimed", r)
        r = await ana.cmd("claim", {"conv": "c-99999"})
        tap.ok(r and r["error"]["code"] == "not_found", "claim of unknown: not_found", r)

        # message.send and visibility
        r = await ana.cmd("message.send", {"conv": conv, "text": "Merhaba! Size yardımcı olayım."})
        tap.ok(r and r["status"] == "ok" and r["body"]["message"]["from"] == "agent", "message.send ok", r)
        r = await ana.cmd("note.add", {"conv": conv, "text": "customer is upset, secret note"})
        tap.ok(r and r["status"] == "ok" and r["body"]["message"]["kind"] == "note", "note.add ok", r)
        r = await ben.cmd("message.send", {"conv": conv, "text": "not mine"})
        tap.ok(r and r["error"]["code"] == "not_owner", "message.send by another agent: not_owner", r)
        r = await ana.cmd("message.send", {"conv": conv, "text": "   "})
        tap.ok(r and r["error"]["code"] == "bad_request", "blank text: bad_request", r)
        r = await ana.cmd("message.send", {"conv": conv, "text": "x" * 4001})
        tap.ok(r and r["error"]["code"] == "bad_request", "text over 4000 characters: bad_request", r)
        # 4,000 two-byte characters: an 8 KB frame, longer than the hub's
        # 1 KiB receive buffer, put together from its pieces.
        long_text = "ş" * 3999 + "!"
        r = await ana.cmd("message.send", {"conv": conv, "text": long_text})
        tap.ok(r and r["status"] == "ok" and r["body"]["message"]["text"] == long_text,
               "a message of 4000 characters (an 8 KB frame) is sent whole", r and r.get("status"))
        st, _ = hub.http("POST", "/v1/conversations/%s/messages" % conv, {"from": "customer", "text": "Teşekkürler"},
                         tok["bot"])
        tap.eq(st, 202, "customer message via the bot API: 202")
        ev = await ana.event("message", conv, pred=lambda f: f["body"]["message"]["text"] == "Teşekkürler")
        tap.ok(ev is not None, "the owner receives the customer's message")
        st, _ = hub.http("POST", "/v1/conversations/%s/typing" % conv, {"on": True}, tok["bot"])
        t = await ana.wait(lambda f: f.get("type") == "typing" and f.get("from") == "customer")
        tap.ok(st == 202 and t and t["on"] is True and t["conv"] == conv, "the customer's typing reaches the owner", t)
        st, _ = hub.http("POST", "/v1/conversations/%s/typing" % conv, {"on": "yes"}, tok["bot"])
        tap.eq(st, 400, "typing needs a boolean")

        # supervisor: monitor, then sees messages
        r = await ana.cmd("monitor", {"conv": conv})
        tap.ok(r and r["error"]["code"] == "forbidden", "monitor by an agent: forbidden", r)
        r = await sam.cmd("monitor", {"conv": conv})
        tap.ok(r and r["status"] == "ok" and any(m["kind"] == "note" for m in r["body"]["conversation"]["transcript"]),
               "monitor ok; the supervisor gets the transcript with notes", r)
        await ana.cmd("message.send", {"conv": conv, "text": "after monitor"})
        ev = await sam.event("message", conv, pred=lambda f: f["body"]["message"]["text"] == "after monitor")
        tap.ok(ev is not None, "a monitoring supervisor receives the owner's messages")
        r = await sam.cmd("note.add", {"conv": conv, "text": "sup note"})
        tap.ok(r and r["status"] == "ok", "a supervisor may note any conversation", r)

        # typing relayed to the monitoring supervisor, not to ben
        await ana.send({"type": "typing", "conv": conv, "on": True})
        t = await sam.wait(lambda f: f.get("type") == "typing" and f.get("conv") == conv)
        tap.ok(t and t.get("agent") == "ana" and t.get("on") is True, "typing relayed to the monitor", t)

        # discount within cap, duplicate, mismatch
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 10, "order": "o-1", "reason": "goodwill"},
                          cmd_id="disc-1")
        ok = r and r["status"] == "ok" and r["body"]["action"]["status"] == "applied"
        tap.ok(ok, "discount within the agent cap: applied", r)
        code = r["body"]["action"]["result"]["code"] if ok else None
        tap.ok(code and code.startswith("BTN-") and len(code) == 13, "coupon code looks like BTN-XXXX-XXXX", code)
        r2 = await ana.cmd("discount.approve", {"conv": conv, "percent": 10, "order": "o-1", "reason": "goodwill"},
                           cmd_id="disc-1")
        tap.ok(r2 and r2["status"] == "duplicate" and r2["body"]["action"]["result"]["code"] == code,
               "same cmd_id again: duplicate with the first body", r2)
        tap.eq(hub.sql("SELECT count(*) FROM coupons")[0][0], 1, "exactly one coupon in the store")
        r3 = await ana.cmd("discount.approve", {"conv": conv, "percent": 12, "order": "o-1", "reason": "goodwill"},
                           cmd_id="disc-1")
        tap.ok(r3 and r3["status"] == "rejected" and r3["error"]["code"] == "idempotency_mismatch",
               "same cmd_id, other args: idempotency_mismatch", r3)
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 5, "order": "o-nope", "reason": "x"})
        tap.ok(r and r["error"]["code"] == "not_found", "discount on another customer's order: not_found", r)

        # over the agent cap: pending approval; supervisor approves
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 30, "reason": "big"})
        tap.ok(r and r["status"] == "pending" and r["body"]["approval"]["state"] == "pending",
               "agent over cap: pending approval", r)
        ap = r["body"]["approval"]["id"] if r and r.get("body") else None
        ev = await sam.event("approval.requested", pred=lambda f: f["body"]["approval"]["id"] == ap)
        tap.ok(ev is not None, "supervisors receive approval.requested")
        r = await ana.cmd("approval.decide", {"approval": ap, "decision": "approve"})
        tap.ok(r and r["error"]["code"] == "forbidden", "an agent cannot decide approvals", r)
        r = await sam.cmd("approval.decide", {"approval": ap, "decision": "approve", "note": "ok"})
        tap.ok(r and r["status"] == "ok" and r["body"]["action"]["status"] == "applied"
               and r["body"]["approval"]["state"] == "approved", "supervisor approves: applied", r)
        ev = await ana.event("approval.decided", pred=lambda f: f["body"]["approval"]["id"] == ap)
        tap.ok(ev is not None, "the requester receives approval.decided")
        r = await sam.cmd("approval.decide", {"approval": ap, "decision": "deny"})
        tap.ok(r and r["error"]["code"] == "invalid_state", "deciding twice: invalid_state", r)
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 45, "reason": "too much"})
        tap.ok(r and r["error"]["code"] == "limit_exceeded", "over the supervisor cap: limit_exceeded", r)
        r = await ana.cmd("discount.approve", {"conv": conv, "amount_minor": 6000, "reason": "amount"})
        tap.ok(r and r["status"] == "pending", "amount over the agent cap (50.00): pending", r)
        ap2 = r["body"]["approval"]["id"] if r and r.get("body") else None
        r = await sam.cmd("approval.decide", {"approval": ap2, "decision": "deny", "note": "no"})
        tap.ok(r and r["body"]["action"]["status"] == "denied", "deny: the action is denied", r)
        tap.eq(hub.sql("SELECT count(*) FROM coupons")[0][0], 2, "coupons: one direct, one approved")
        audits = hub.sql("SELECT outcome FROM audit WHERE what IN ('discount.approve', 'approval.decide')")
        tap.ok(("refused",) in audits and ("accepted",) in audits and ("pending",) in audits,
               "the audit log has accepted, pending and refused rows", audits)
        # the client's claims count for nothing: a bogus role field is ignored
        r = await ana.cmd("discount.approve", {"conv": conv, "percent": 35, "reason": "I am a supervisor",
                                               "role": "supervisor"})
        tap.ok(r and r["status"] == "pending", "extra fields claiming a role change nothing", r)

        # returns
        r = await ana.cmd("return.create", {"conv": conv, "order": "o-1", "lines": [{"sku": "SNK-9-BLK", "qty": 1}],
                                            "reason": "too small"})
        ok = r and r["status"] == "ok" and r["body"]["action"]["result"]["refund_minor"] == 4500
        tap.ok(ok, "return.create ok with the refund amount", r)
        rma = r["body"]["action"]["result"]["rma"] if ok else "rma-0"
        r = await ana.cmd("return.create", {"conv": conv, "order": "o-1", "lines": [{"sku": "SNK-9-BLK", "qty": 2}],
                                            "reason": "again"})
        tap.ok(r and r["error"]["code"] == "ineligible", "returning more than bought: ineligible", r)
        r = await ana.cmd("return.create", {"conv": conv, "order": "o-1-old", "lines": [{"sku": "SOCK-3", "qty": 1}],
                                            "reason": "late"})
        tap.ok(r and r["error"]["code"] == "ineligible", "outside the 30-day window: ineligible", r)
        r = await ana.cmd("return.create", {"conv": conv, "order": "o-1-ship", "lines": [{"sku": "CAP-1", "qty": 1}],
                                            "reason": "x"})
        tap.ok(r and r["error"]["code"] == "ineligible", "not delivered: ineligible", r)
        r = await ana.cmd("return.create", {"conv": conv, "order": "o-other", "lines": [{"sku": "X", "qty": 1}],
                                            "reason": "x"})
        tap.ok(r and r["error"]["code"] == "not_found", "another customer's order: not_found", r)

        # label
        r = await ana.cmd("label.create", {"conv": conv, "rma": rma, "carrier": "dhl"})
        ok = r and r["status"] == "ok" and r["body"]["action"]["result"]["tracking"]
        tap.ok(ok, "label.create ok with a tracking number", r)
        if ok:
            url = r["body"]["action"]["result"]["url"]
            st, pdf = hub.http("GET", url, token=tok["bot"])
            tap.ok(st == 200 and pdf[:8] == b"%PDF-1.4", "GET the label: a PDF", (st, pdf[:20]))
            st, zpl = hub.http("GET", url + "?format=zpl", token=tok["ana"])
            tap.ok(st == 200 and b"^XA" in zpl, "GET the label as ZPL", (st, zpl[:40]))
            st, _ = hub.http("GET", url)
            tap.eq(st, 401, "a label needs a token")
        r = await ana.cmd("label.create", {"conv": conv, "rma": rma})
        tap.ok(r and r["error"]["code"] == "invalid_state", "a second label for the RMA: invalid_state", r)
        r = await ana.cmd("label.create", {"conv": conv, "rma": "rma-999"})
        tap.ok(r and r["error"]["code"] == "not_found", "label for an unknown RMA: not_found", r)

        # visibility: ben saw nothing of ana's conversation
        seen = [e for e in ben.events if e.get("conv") == conv and e["kind"] in ("message", "action")]
        tap.ok(not seen, "agent B never receives A's messages, notes or actions", seen[:2])
        tap.ok(all(e["kind"] != "agent.presence" for e in ben.events), "presence goes to supervisors only")

        # transfer, release, presence, handback
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-2", hubc.customer("cu-2", "o-2")), tok["bot"])
        conv2 = b["conversation"]
        r = await ben.cmd("claim", {"conv": conv2})
        tap.ok(r and r["status"] == "ok", "ben claims a second conversation", r)
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-3", hubc.customer("cu-3", "o-3")), tok["bot"])
        conv3 = b["conversation"]
        r = await ben.cmd("claim", {"conv": conv3})
        tap.ok(r and r["error"]["code"] == "limit_exceeded", "claim beyond max_active: limit_exceeded", r)
        r = await ben.cmd("transfer", {"conv": conv2, "to": "ana", "note": "billing question"})
        tap.ok(r and r["status"] == "ok" and r["body"]["conversation"]["assignee"] == "ana", "transfer to an agent", r)
        ev = await ana.event("conversation.transferred", conv2)
        tap.ok(ev and ev["body"]["from"] == "ben" and ev["body"]["to"] == "ana", "both agents see the transfer")
        r = await ben.cmd("transfer", {"conv": conv2, "to": "ana"})
        tap.ok(r and r["error"]["code"] == "not_owner", "transfer of another's conversation: not_owner", r)
        r = await ana.cmd("transfer", {"conv": conv2, "to": "nobody"})
        tap.ok(r and r["error"]["code"] == "not_found", "transfer to an unknown agent: not_found", r)
        r = await ana.cmd("transfer", {"conv": conv2, "to": "@nosuchskill"})
        tap.ok(r and r["status"] == "ok" and r["body"]["conversation"]["state"] == "queued",
               "transfer to a skill nobody online has: back to the queue", r)
        r = await ana.cmd("claim", {"conv": conv2})
        r = await ana.cmd("release", {"conv": conv2})
        tap.ok(r and r["status"] == "ok" and r["body"]["conversation"]["state"] == "queued", "release ok", r)
        r = await ben.cmd("release", {"conv": conv2})
        tap.ok(r and r["error"]["code"] == "not_owner", "release of another's: not_owner", r)
        r = await ana.cmd("presence.set", {"status": "away"})
        tap.ok(r and r["body"]["presence"]["status"] == "away", "presence.set away", r)
        ev = await sam.event("agent.presence", pred=lambda f: f["body"]["presence"]["id"] == "ana"
                             and f["body"]["presence"]["status"] == "away")
        tap.ok(ev is not None, "supervisors see agent.presence")
        r = await ana.cmd("presence.set", {"status": "offline"})
        tap.ok(r and r["error"]["code"] == "bad_request", "presence.set offline: bad_request", r)
        r = await ana.cmd("handback", {"conv": conv, "disposition": "resolved", "note": "coupon given",
                                       "tags": ["discount"]})
        tap.ok(r and r["status"] == "ok" and r["body"]["conversation"]["state"] == "handed_back", "handback ok", r)
        ev = await sam.event("conversation.handed_back", conv)
        tap.ok(ev and ev["body"]["disposition"] == "resolved", "supervisors see the handback")
        r = await ana.cmd("handback", {"conv": conv, "disposition": "resolved", "note": "again"})
        tap.ok(r and r["error"]["code"] == "not_owner", "handback of a handed-back conversation: not_owner", r)
        st, c = hub.http("GET", "/v1/conversations/" + conv, token=tok["bot"])
        tap.ok(st == 200 and c["state"] == "handed_back"
               and not any(m["kind"] == "note" for m in c.get("transcript", [])),
               "GET the conversation as the bot: no notes", c if st != 200 else None)
        st, b = hub.http("POST", "/v1/conversations/%s/close" % conv, {"csat": 5}, tok["bot"])
        tap.eq(st, 200, "the bot closes the conversation with a CSAT")
        ev = await ana.event("conversation.closed", conv)
        tap.ok(ev and ev["body"]["csat"] == 5, "the owner sees conversation.closed with csat")

        # the bot resolves a queued conversation itself: it leaves everyone's queue
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-q", hubc.customer("cu-q", "o-q")), tok["bot"])
        q = b["conversation"]
        st, _ = hub.http("POST", "/v1/conversations/%s/close" % q, {"csat": None}, tok["bot"])
        tap.eq(st, 200, "the bot may close a queued conversation")
        ev = await ben.event("conversation.closed", q)
        tap.ok(ev is not None and ev["body"]["csat"] is None, "agents see a queued conversation close", ev)
        st, b = hub.http("POST", "/v1/conversations/%s/close" % q, {"csat": 3}, tok["bot"])
        tap.eq(st, 409, "closing twice: 409")

        # claim race: two agents, one conversation, same instant
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-race", hubc.customer("cu-9", "o-9")), tok["bot"])
        race = b["conversation"]
        await sam.close()
        sam = await hubc.Peer(hub, tok["sam"], "sam2").connect()
        r1, r2 = await asyncio.gather(ana.cmd("claim", {"conv": race}), sam.cmd("claim", {"conv": race}))
        statuses = sorted([r1["status"], r2["status"]]) if r1 and r2 else None
        tap.eq(statuses, ["ok", "rejected"], "two claims at once: exactly one wins")

        # resume with since: no gap, no duplicate
        last = max(e["seq"] for e in ana.events)
        await ana.close()
        ana_live = await hubc.Peer(hub, tok["ana"], "ana-live").connect()
        for i in range(3):
            hub.http("POST", "/v1/conversations/%s/messages" % race,
                     {"text": "while away %d \"q\" \\ \u00e9\u2028\n\t\u0001" % i}, tok["bot"])
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-4", hubc.customer("cu-4", "o-4")), tok["bot"])
        ana2 = await hubc.Peer(hub, tok["ana"], "ana2").connect(since=last)
        tap.eq(ana2.welcome.get("resume"), "replay", "hello with since: replay")
        head = ana2.welcome["head"]
        await asyncio.sleep(0.3)
        seqs = [e["seq"] for e in ana2.events]
        tap.ok(seqs == sorted(set(seqs)) and all(s > last for s in seqs) and (not seqs or seqs[-1] <= head),
               "replay is in order, after since, without duplicates", seqs)
        owner = r1 if r1["status"] == "ok" else r2
        mine = (owner is r1)
        texts = [e["body"]["message"]["text"] for e in ana2.events if e["kind"] == "message"]
        if mine:
            tap.eq([t.split(" \"q")[0] for t in texts], ["while away 0", "while away 1", "while away 2"],
                   "replay has the missed messages, no gap")
        else:
            tap.eq(texts, [], "replay has no messages of a conversation that is not mine")
        tap.ok(any(e["kind"] == "conversation.queued" and e["body"]["conversation"]["external_id"] == "ext-4"
                   for e in ana2.events), "replay has the queued event")
        # A message event's row keeps no frame: replay builds it again from
        # the message, and it must be the frame that went out live.
        live = ana_live if mine else sam
        rp = await hubc.Peer(hub, tok["ana" if mine else "sam"], "replayer").connect(since=last)
        await asyncio.sleep(0.3)
        lv = {e["seq"]: e for e in live.events if e["kind"] == "message" and e["conv"] == race}
        rv = {e["seq"]: e for e in rp.events if e["kind"] == "message" and e["conv"] == race}
        tap.ok(len(lv) == 3 and lv == rv, "a replayed message event is the frame that went out live", (lv, rv))
        await rp.close()
        await ana_live.close()
        ana3 = await hubc.Peer(hub, tok["ana"], "ana3").connect(since=head + 100)
        tap.eq(ana3.welcome.get("resume"), "snapshot", "since beyond head: snapshot")
        await ana3.close()

        # bad input on the stream
        await ana2.send("{not json")
        e = await ana2.wait(lambda f: f.get("type") == "error")
        tap.ok(e and e["code"] == "bad_request", "malformed JSON: error bad_request, connection stays", e)
        await ana2.send({"type": "cmd", "cmd_id": "u1", "op": "fly", "args": {}})
        r = await ana2.wait(lambda f: f.get("type") == "result" and f.get("cmd_id") == "u1")
        tap.ok(r and r["error"]["code"] == "unknown_op", "unknown op: rejected unknown_op", r)
        await ana2.send({"type": "cmd", "cmd_id": "u2", "op": "claim", "args": {"conv": 5}})
        r = await ana2.wait(lambda f: f.get("type") == "result" and f.get("cmd_id") == "u2")
        tap.ok(r and r["error"]["code"] == "bad_request", "wrong type: rejected bad_request", r)
        # invalid UTF-8 in a text frame (websockets would not send it as str)
        from websockets.frames import Opcode
        mark = len(ana2.frames)
        await ana2.ws.write_frame(True, Opcode.TEXT,
                                  b'{"type":"cmd","cmd_id":"u3","op":"note.add","args":{"conv":"c-1","text":"\xff\xfe"}}')
        e = await ana2.wait(lambda f: f.get("type") in ("error", "result"), start=mark)
        tap.ok(e and (e.get("code") == "bad_request" or (e.get("error") or {}).get("code") == "bad_request"),
               "invalid UTF-8: bad_request", e)
        await ana2.ws.send('{"type":"nope"}')
        e = await ana2.wait(lambda f: f.get("type") == "error" and "nope" in f.get("message", ""))
        tap.ok(e is not None, "unknown frame type: error", e)
        raw = b'{"type":"cmd","cmd_id":"u4","op":"note.add","args":{"conv":"c-1","text":"\xc3\x28"}}'
        await ana2.ws.send(raw)    # bytes: a binary frame
        e = await ana2.wait(lambda f: f.get("type") == "error" and "binary" in f.get("message", ""))
        tap.ok(e is not None, "a binary frame: error", e)
        r = await ana2.cmd("claim", {"conv": "c-1"})
        tap.ok(r is not None, "the connection is still up after bad frames")

        # invalid UTF-8 inside a text frame: send raw through the transport
        big = await hubc.Peer(hub, tok["ben"], "big").connect()
        await big.send({"type": "cmd", "cmd_id": "big1", "op": "note.add",
                        "args": {"conv": "c-1", "text": "y" * 70000}})
        closed = await big.wait_closed()
        tap.ok(closed and closed[0] == 1009, "a frame over 64 KiB: close 1009", closed)

        nohello = await hubc.Peer(hub, tok["ana"], "nh").connect(hello=False)
        await nohello.send({"type": "cmd", "cmd_id": "x", "op": "claim", "args": {"conv": "c-1"}})
        e = await nohello.wait(lambda f: f.get("type") == "error")
        closed = await nohello.wait_closed()
        tap.ok(e and e["code"] == "unauthorized" and closed and closed[0] == 4401,
               "a command before hello: error unauthorized and close 4401", (e, closed))
        bad = hubc.Peer(hub, "bt_wrong", "bad")
        await bad.connect()
        closed = await bad.wait_closed()
        tap.ok(bad.welcome and bad.welcome.get("code") == "unauthorized" and closed and closed[0] == 4401,
               "a bad token: unauthorized and 4401", (bad.welcome, closed))
        bot = hubc.Peer(hub, tok["bot"], "botws")
        await bot.connect()
        closed = await bot.wait_closed()
        tap.ok(closed and closed[0] == 4401, "a bot token cannot open a stream", closed)

        # HTTP errors
        st, b = hub.http("POST", "/v1/escalations", {"external_id": "x"})
        tap.ok(st == 401 and b["error"]["code"] == "unauthorized", "no token: 401 with a JSON error", b)
        st, b = hub.http("POST", "/v1/escalations", {"external_id": "x"}, tok["ana"])
        tap.eq(st, 403, "an agent token on the bot API: 403")
        st, b = hub.http("POST", "/v1/escalations", raw=b"{nope", token=tok["bot"])
        tap.ok(st == 400 and b["error"]["code"] == "bad_request", "malformed JSON: 400", b)
        st, b = hub.http("POST", "/v1/escalations", {"external_id": "y", "escalation": {"reason": {"code": "bogus"}}},
                         tok["bot"])
        tap.ok(st == 400 and "escalation.reason.code" in b["error"]["message"], "invalid field: 400 naming the path", b)
        bad_cu = hubc.escalation("ext-steal", hubc.customer("cu-thief", "o-1"))
        st, b = hub.http("POST", "/v1/escalations", bad_cu, tok["bot"])
        tap.ok(st == 400 and "another customer" in b["error"]["message"],
               "an order of another customer: 400, nothing stored", b)
        tap.eq(hub.sql("SELECT count(*) FROM customers WHERE id = 'cu-thief'")[0][0], 0,
               "the refused escalation left no customer behind")
        st, b = hub.http("POST", "/v1/escalations", raw=b"{" + b" " * (2 << 20) + b"}", token=tok["bot"])
        tap.eq(st, 413, "a body over the limit: 413")
        st, b = hub.http("GET", "/v1/conversations/c-424242", token=tok["bot"])
        tap.ok(st == 404 and b["error"]["code"] == "not_found", "unknown conversation: 404", b)
        st, b = hub.http("GET", "/v1/nothing")
        tap.eq(st, 404, "unknown endpoint: 404")
        st, b = hub.http("POST", "/v1/conversations/%s/messages" % race, {"from": "agent", "text": "x"}, tok["bot"])
        tap.eq(st, 400, "a bot cannot post as an agent: 400")
        st, m = hub.http("GET", "/metrics")
        text = m.decode() if isinstance(m, bytes) else str(m)
        tap.ok(st == 200 and 'batond_commands_total{op="claim",status="ok"}' in text
               and "batond_queue_depth{priority=" in text and 'quantile="0.99"' in text,
               "metrics: commands by op and status, queue depth, latency quantiles")
        st, h = hub.http("GET", "/healthz")
        tap.ok(st == 200 and h["status"] == "ok", "healthz")
        head_before = h["head"]

        for p in (ana2, ben, sam, big, nohello, bad, bot):
            await p.close()
        tap.eq(hub.stop(), 0, "SIGTERM: clean exit")
        hub.start()
        st, b = hub.http("POST", "/v1/escalations", hubc.escalation("ext-after", hubc.customer("cu-5", "o-5")), tok["bot"])
        seqs = [r[0] for r in hub.sql("SELECT seq FROM events ORDER BY seq")]
        tap.ok(seqs[-1] > head_before and seqs == list(range(1, len(seqs) + 1)),
               "after a restart the event numbering continues", seqs[-3:])
        tap.eq(hub.sql("PRAGMA integrity_check")[0][0], "ok", "integrity_check ok")
        tap.eq(hub.sql("SELECT count(*) FROM actions a WHERE NOT EXISTS "
                       "(SELECT 1 FROM audit u WHERE u.action = a.n AND u.outcome = 'accepted')"
                       " AND a.status = 'applied'")[0][0], 0, "every applied action has its audit row")
        try:
            hub.sql("DELETE FROM audit")
            tap.ok(False, "the audit log refuses deletes")
        except Exception as e:
            tap.ok("append-only" in str(e), "the audit log refuses deletes", e)
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

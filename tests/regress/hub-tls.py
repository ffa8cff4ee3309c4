#!/usr/bin/python3
"""hub-tls.py: with --cert/--key the hub speaks https:// and wss:// on its one port.

A throwaway self-signed certificate (openssl; the test skips without it):
/healthz over HTTPS, an escalation over HTTPS, an agent over wss:// through
hello, welcome and a claim; plain HTTP on the TLS port gets no answer."""
import asyncio
import importlib.util
import json
import os
import shutil
import ssl
import subprocess
import urllib.request

import websockets

spec = importlib.util.spec_from_file_location("hubc", os.path.join(os.path.dirname(__file__), "hub-common.py"))
hubc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hubc)


async def main(tap):
    if not shutil.which("openssl"):
        print("ok 1 - TLS # SKIP openssl is not installed")
        tap.n += 1
        return
    hub = hubc.Hub()
    try:
        cert, key = os.path.join(hub.dir, "cert.pem"), os.path.join(hub.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        hub.args = ["--cert", cert, "--key", key]
        bot = hub.token("bot", "bot", "Bot")
        ana_t = hub.token("ana", "agent", "Ana")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        hub.port = hubc.free_port()
        hub.start(wait=False)
        base = "https://127.0.0.1:%d" % hub.port
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz", context=ctx, timeout=5) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                await asyncio.sleep(0.1)
        tap.ok(body and body.get("status") == "ok", "GET /healthz over HTTPS", body)
        req = urllib.request.Request(base + "/v1/escalations", method="POST",
                                     data=json.dumps(hubc.escalation("tls-1")).encode(),
                                     headers={"Authorization": "Bearer " + bot, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            st, esc = r.status, json.loads(r.read())
        tap.ok(st == 201 and esc["conversation"], "POST /v1/escalations over HTTPS", esc)
        ws = await websockets.connect("wss://127.0.0.1:%d/v1/stream" % hub.port, subprotocols=["baton.v1"], ssl=ctx)
        await ws.send(json.dumps({"type": "hello", "v": 1, "token": ana_t}))
        welcome = json.loads(await ws.recv())
        tap.eq(welcome.get("type"), "welcome", "hello and welcome over wss://")
        await ws.recv()   # snapshot
        await ws.send(json.dumps({"type": "cmd", "cmd_id": "t1", "op": "claim", "args": {"conv": esc["conversation"]}}))
        res = None
        for _ in range(10):
            f = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if f.get("type") == "result":
                res = f
                break
        tap.ok(res and res["status"] == "ok", "a claim over wss://", res)
        await ws.close()
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/healthz" % hub.port, timeout=3).read()
            tap.ok(False, "plain HTTP on the TLS port is not served")
        except Exception:
            tap.ok(True, "plain HTTP on the TLS port is not served")
        tap.eq(hub.stop(), 0, "clean shutdown")
    finally:
        hub.stop()
        hub.cleanup()


hubc.run(main)

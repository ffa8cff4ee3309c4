#!/usr/bin/python3
"""webhook-receiver.py: what a bot's webhook endpoint for batond looks like.

    /usr/bin/python3 contrib/bot-example/webhook-receiver.py [--port 8088] [--fail-first N]

Prints every webhook the hub POSTs (type, conversation, Idempotency-Key, body)
and answers 200. A delivery whose Idempotency-Key was seen before is a retry
of one already handled: it is acknowledged again but not acted on twice.
--fail-first N answers 503 to the first N deliveries, to watch the hub retry
with backoff (the same Idempotency-Key comes back).

Only the standard library. Text in webhooks comes from agents and customers:
control characters and bidi overrides are made visible before printing, so a
message cannot drive this terminal.
"""

import argparse
import json
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20  # the hub's webhooks are small; refuse anything huge

BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
        0x200E, 0x200F, 0x061C}


def safe(text):
    """Printable form of untrusted text: C0/C1 controls (but newline and
    tab), DEL and escape sequences become visible symbols, bidi controls
    become a reversed question mark."""
    out = []
    for ch in text:
        cp = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif cp < 0x20:
            out.append(chr(0x2400 + cp))  # control pictures: "\x1b" shows as "␛"
        elif cp == 0x7F:
            out.append("\u2421")
        elif 0x80 <= cp < 0xA0:
            out.append("\ufffd")
        elif cp in BIDI:
            out.append("\u2e2e")
        else:
            out.append(ch)
    return "".join(out)


class State:
    def __init__(self, fail_first):
        self.lock = threading.Lock()
        self.seen = set()
        self.fail_left = fail_first
        self.count = 0

    def register(self, key):
        """Counts a delivery; says whether to fail it on purpose and
        whether its key was handled before (a retry)."""
        with self.lock:
            self.count += 1
            if self.fail_left > 0:
                self.fail_left -= 1
                return self.count, True, False
            duplicate = bool(key) and key in self.seen
            if key:
                self.seen.add(key)
            return self.count, False, duplicate


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        server_version = "bot-example-webhook/1"

        def log_message(self, fmt, *args):  # quiet: we print our own lines
            pass

        def answer(self, code, payload):
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.answer(413, {"error": "body too large"})
                return
            raw = self.rfile.read(length)
            key = self.headers.get("Idempotency-Key", "")
            now = datetime.now(timezone.utc).strftime("%H:%M:%S")
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                print(f"{now} {safe(self.path)}: not JSON ({e}); answering 400", flush=True)
                self.answer(400, {"error": "expected a JSON object"})
                return

            n, fail, duplicate = state.register(key)
            kind = body.get("type", "?") if isinstance(body, dict) else "?"
            conv = body.get("conversation", "?") if isinstance(body, dict) else "?"
            ext = body.get("external_id", "") if isinstance(body, dict) else ""
            print(f"--- #{n} {now}  {safe(str(kind))}  {safe(str(conv))}"
                  f"  external_id={safe(str(ext))}  Idempotency-Key={safe(key) or '(none)'}", flush=True)
            if fail:
                print("    answering 503 on purpose (--fail-first): the hub will retry", flush=True)
                self.answer(503, {"error": "try again"})
                return
            if duplicate:
                print("    retry of a delivery already handled: acknowledged, not acted on again",
                      flush=True)
            else:
                print(safe(json.dumps(body, indent=2, ensure_ascii=False)), flush=True)
                self.act(kind, body)
            self.answer(200, {"ok": True})

        def act(self, kind, body):
            """What a real bot does with each type (here: say it)."""
            if kind == "handoff.accepted":
                print(f"    -> a person ({safe(str(body.get('name', body.get('agent', '?'))))}) has the "
                      "conversation: the bot stays silent from now on", flush=True)
            elif kind == "agent.message":
                msg = body.get("message", {}) if isinstance(body.get("message"), dict) else {}
                print(f"    -> deliver to the customer's channel: {safe(str(msg.get('text', '')))}",
                      flush=True)
            elif kind == "action.applied":
                print("    -> an agent applied an action (coupon, return or label): record it", flush=True)
            elif kind == "handoff.completed":
                print(f"    -> the bot takes over again ({safe(str(body.get('disposition', '?')))}); "
                      "confirm the outcome to the customer", flush=True)

        def do_GET(self):
            self.answer(405, {"error": "webhooks are POSTed"})

    return Handler


def main():
    ap = argparse.ArgumentParser(description="Print batond's webhooks and acknowledge them.")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8088, help="port (default 8088)")
    ap.add_argument("--fail-first", type=int, default=0, metavar="N",
                    help="answer 503 to the first N deliveries, to see the hub retry")
    args = ap.parse_args()
    try:
        srv = ThreadingHTTPServer((args.host, args.port), make_handler(State(args.fail_first)))
    except OSError as e:
        print(f"webhook-receiver: cannot listen on {args.host}:{args.port}: {e.strerror}; "
              "choose another --port", file=sys.stderr)
        return 1
    print(f"webhook-receiver: listening on http://{args.host}:{srv.server_address[1]}/ "
          f"(use it as callback_url); Ctrl-C stops", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

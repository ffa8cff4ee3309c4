#!/usr/bin/python3
"""console-headless.py: the real baton, headless (-e), against the real batond.

Every command of the console runs through `baton -e` and is checked twice:
in baton's JSON line and in the hub (GET /v1/conversations/ID). Then the
outbox: with the hub down a command is saved, baton gives up waiting; the hub
comes back, the next baton run sends it, and it arrives exactly once.
Also: refusing --token, a token file others can read, usage errors.

Runs on a free loopback port in a temporary directory; every process it
starts is killed on the way out, even on failure. Prints TAP.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
BATON = os.environ.get("BATON_BIN", os.path.join(ROOT, BUILD, "baton"))
BATOND = os.environ.get("BATOND_BIN", os.path.join(ROOT, BUILD, "batond"))

n_tests = 0
failed = 0


def ok(cond, what, detail=""):
    global n_tests, failed
    n_tests += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n_tests, what))
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[:30]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Hub:
    def __init__(self, tmp):
        self.tmp = tmp
        self.db = os.path.join(tmp, "hub.db")
        self.port = free_port()
        self.proc = None

    def token(self, ident, role, name):
        out = subprocess.run([BATOND, "--db", self.db, "token", "add", "--id", ident, "--role", role,
                              "--name", name], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def start(self):
        log = open(os.path.join(self.tmp, "hub.log"), "a")
        self.proc = subprocess.Popen([BATOND, "--db", self.db, "--listen", "127.0.0.1:%d" % self.port,
                                      "--log-level", "warn"], stdout=log, stderr=log)
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/healthz" % self.port, timeout=1).read()
                return True
            except Exception:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def http(self, method, path, token, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read() or b"null")


def escalation(ext, prio="high", name="Ayşe Yılmaz"):
    return {
        "external_id": ext, "channel": "web", "language": "tr", "priority": prio,
        "escalation": {"reason": {"code": "return_dispute", "text": "sneaker sole came off"},
                       "confidence": 0.3, "sentiment": -0.6, "summary": "Wants a refund",
                       "attempted": [{"step": "offered 10% coupon", "outcome": "declined"}]},
        "customer": {"id": "cu-" + ext, "name": name, "tier": "gold",
                     "orders": [{"id": "o-" + ext, "placed_at": "2026-11-10T10:00:00Z",
                                 "delivered_at": "2026-11-14T10:00:00Z", "status": "delivered",
                                 "total_minor": 10999, "currency": "EUR",
                                 "items": [{"sku": "SNK-9", "name": "Trail sneaker", "qty": 1,
                                            "price_minor": 8999},
                                           {"sku": "SOCK-2", "name": "Socks", "qty": 2,
                                            "price_minor": 1000}]}]},
        "transcript": [{"from": "customer", "text": "Merhaba \u001b[31m hello", "at": "2026-11-22T03:00:00Z"}],
    }


def main():
    tmp = tempfile.mkdtemp(prefix="baton-headless-")
    hub = Hub(tmp)
    try:
        run_all(tmp, hub)
        run_tls(tmp)
    finally:
        hub.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n_tests)
    return 1 if failed else 0


def run_all(tmp, hub):
    toks = {}
    for ident, role, name in (("ana", "agent", "Ana Kaya"), ("sam", "supervisor", "Sam Sup"),
                              ("bot", "bot", "Bot")):
        toks[ident] = hub.token(ident, role, name)
        p = os.path.join(tmp, ident + ".tok")
        with open(p, "w") as f:
            f.write(toks[ident] + "\n")
        os.chmod(p, 0o600)
    if not ok(hub.start(), "batond starts on a loopback port"):
        return
    url = "ws://127.0.0.1:%d/v1/stream" % hub.port

    def baton(who, cmds, timeout=20, extra=()):
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, who + "-data"),
                   XDG_CONFIG_HOME=os.path.join(tmp, who + "-cfg"), HOME=tmp)
        args = [BATON, "--url", url, "--token-file", os.path.join(tmp, who + ".tok"), *extra]
        if cmds is not None:
            args += ["-e", cmds]
        p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout + 15)
        lines = []
        for line in p.stdout.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"unparsed": line})
        return p.returncode, lines, p.stderr

    def conv(cid):
        return hub.http("GET", "/v1/conversations/" + cid, toks["bot"])

    c1 = hub.http("POST", "/v1/escalations", toks["bot"], escalation("e1"))["conversation"]
    c2 = hub.http("POST", "/v1/escalations", toks["bot"], escalation("e2", "urgent", "Zoë Kowalska"))["conversation"]

    # help: the command table, as data
    rc, out, err = baton("ana", "help")
    names = [c["name"] for c in out[0].get("commands", [])] if out else []
    ok(rc == 0 and {"claim", "say", "discount", "return", "label", "handback", "transfer",
                    "status", "search", "quit"} <= set(names), "help lists the command table", out or err)

    # claim next takes the urgent one first
    rc, out, err = baton("ana", "claim next")
    ok(rc == 0 and len(out) == 1 and out[0].get("status") == "ok" and out[0].get("conv") == c2
       and out[0]["body"]["conversation"]["assignee"] == "ana", "claim next claims the urgent one", out or err)
    ok(conv(c2).get("assignee") == "ana", "the hub has it assigned to ana")

    # claim ID, say, note (quoting keeps ';' in the text)
    rc, out, err = baton("ana", 'claim %s; say "Merhaba Ayşe; we are on it"; note check the sole photo' % c1)
    ok(rc == 0 and [o.get("status") for o in out] == ["ok", "ok", "ok"], "claim ID; say; note", out or err)
    msgs = conv(c1).get("transcript", [])
    ok(any(m.get("from") == "agent" and m.get("kind") == "public" for m in msgs), "the hub has the agent's message")
    ok(any(m.get("text") == "Merhaba Ayşe; we are on it" for m in msgs),
       "the message text arrives as typed", json.dumps(msgs[-3:], ensure_ascii=False))
    note = out[2].get("body", {}).get("message", {}) if len(out) == 3 else {}
    ok(note.get("kind") == "note" and note.get("from") == "agent", "the hub took the note (agents only)", out)

    # open, next, prev: local, answered at once
    rc, out, err = baton("ana", "open %s; next; prev" % c1)
    ok(rc == 0 and [o.get("status") for o in out] == ["ok", "ok", "ok"] and out[0].get("conv") == c1,
       "open, next, prev", out or err)

    # discount within the cap: applied with a code
    rc, out, err = baton("ana", "open %s; discount 10%% o-e1 sole came off" % c1)
    d = out[-1] if out else {}
    act = d.get("body", {}).get("action", {})
    ok(rc == 0 and d.get("status") == "ok" and act.get("status") == "applied"
       and act.get("result", {}).get("code"), "discount 10% is applied with a coupon code", out or err)
    # over the cap: pending a supervisor
    rc, out, err = baton("ana", "open %s; discount 40%% very upset" % c1)
    d = out[-1] if out else {}
    ok(rc == 0 and d.get("status") == "pending", "discount 40% waits for a supervisor", out or err)
    approval = (d.get("body", {}).get("approval") or {}).get("id")

    # return and label
    rc, out, err = baton("ana", "open %s; return o-e1 SNK-9 -- sole came off" % c1)
    r = out[-1] if out else {}
    rma = (r.get("body", {}).get("action", {}).get("result") or {}).get("rma")
    ok(rc == 0 and r.get("status") == "ok" and rma, "return creates an RMA", out or err)
    rc, out, err = baton("ana", "open %s; label %s" % (c1, rma))
    lab = out[-1] if out else {}
    ok(rc == 0 and lab.get("status") == "ok"
       and (lab.get("body", {}).get("action", {}).get("result") or {}).get("tracking"),
       "label creates a shipping label with tracking", out or err)
    ok(len([a for a in conv(c1).get("actions", []) if a.get("status") == "applied"]) >= 3,
       "the hub has the discount, return and label")

    # local checks refuse before anything is sent
    rc, out, err = baton("ana", "open %s; return o-e1 NOPE -- x" % c1)
    ok(rc == 1 and out and out[-1].get("status") == "error" and "not in order" in out[-1]["error"]["message"],
       "return of an item not in the order is refused locally", out or err)

    # supervisor: approve the pending discount, monitor
    if approval:
        rc, out, err = baton("sam", "approve %s ok for gold tier" % approval)
        ok(rc == 0 and out and out[-1].get("status") == "ok", "approve (supervisor)", out or err)
    else:
        ok(False, "approve (supervisor): no approval id from the pending discount")
    rc, out, err = baton("sam", "monitor %s" % c1)
    ok(rc == 0 and out and out[-1].get("status") == "ok", "monitor (supervisor)", out or err)
    rc, out, err = baton("ana", "approve ap-1")
    ok(rc == 1 and out and out[-1].get("status") == "rejected", "approve by an agent is refused by the hub",
       out or err)

    # status, search
    rc, out, err = baton("ana", "status away; status online")
    ok(rc == 0 and [o.get("status") for o in out] == ["ok", "ok"], "status away; status online", out or err)
    rc, out, err = baton("ana", "search sole")
    ok(rc == 0 and out and out[-1].get("status") == "ok" and isinstance(out[-1].get("hits"), list),
       "search runs over the local store", out or err)

    # transfer, release, handback
    rc, out, err = baton("ana", "open %s; transfer sam please take over" % c2)
    ok(rc == 0 and out and out[-1].get("status") == "ok", "transfer to another agent", out or err)
    ok(conv(c2).get("assignee") == "sam", "the hub has it with sam")
    rc, out, err = baton("ana", "claim %s; release" % c2)
    ok(rc == 1 and out and out[0].get("status") == "rejected",
       "claiming someone else's conversation is refused in words", out or err)
    c3 = hub.http("POST", "/v1/escalations", toks["bot"], escalation("e3"))["conversation"]
    rc, out, err = baton("ana", "claim %s; release" % c3)
    ok(rc == 0 and [o.get("status") for o in out] == ["ok", "ok"] and conv(c3).get("state") == "queued",
       "release puts it back in the queue", out or err)
    rc, out, err = baton("ana", "open %s; handback resolved coupon and return done" % c1)
    ok(rc == 0 and out and out[-1].get("status") == "ok" and conv(c1).get("state") == "handed_back",
       "handback resolved", out or err)

    # errors a person can act on
    rc, out, err = baton("ana", "say hello")
    ok(rc == 1 and out and out[-1].get("status") == "error" and "No conversation selected" in out[-1]["error"]["message"],
       "say without a conversation says what to do", out or err)
    rc, out, err = baton("ana", "frobnicate")
    ok(rc == 2 and "Unknown command" in err, "an unknown command is refused with a hint", err)
    rc, out, err = baton("ana", "theme day")
    ok(rc == 1 and out and "only with the screen" in out[-1]["error"]["message"], "theme needs the screen", out)
    p = subprocess.run([BATON, "--url", url, "--token", "abc", "-e", "help"], capture_output=True, text=True)
    ok(p.returncode == 2 and "--token is refused" in p.stderr, "--token is refused", p.stderr)
    loose = os.path.join(tmp, "loose.tok")
    with open(loose, "w") as f:
        f.write(toks["ana"])
    os.chmod(loose, 0o644)
    p = subprocess.run([BATON, "--url", url, "--token-file", loose, "-e", "help"], capture_output=True,
                       text=True, env=dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp + "/x"))
    ok(p.returncode == 2 and "chmod 600" in p.stderr, "a token file others can read is refused", p.stderr)
    ok(toks["ana"] not in p.stderr, "the token never appears in messages")
    wrong = os.path.join(tmp, "wrong.tok")
    with open(wrong, "w") as f:
        f.write("not-a-valid-token-0000")
    os.chmod(wrong, 0o600)
    p = subprocess.run([BATON, "--url", url, "--token-file", wrong, "-e", "help", "--timeout", "10"],
                       capture_output=True, text=True, env=dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp + "/w"),
                       timeout=30)
    ok(p.returncode == 1 and "refused your token" in p.stdout and "not-a-valid" not in p.stdout + p.stderr,
       "a token the hub refuses ends at once, in words, without showing it", p.stdout + p.stderr)

    # Names are looked up beside the loop: localhost works, a name that does
    # not exist is said in words (and the screen would not freeze meanwhile).
    rc, out, err = baton("ana", "status online", extra=("--url", "ws://localhost:%d/v1/stream" % hub.port))
    ok(rc == 0 and out and out[-1].get("status") == "ok", "a hub named by host name (localhost)", out or err)
    rc, out, err = baton("ana", "claim next", timeout=2, extra=("--url", "ws://no-such-host.invalid:1/v1/stream",
                                                          "--timeout", "2"))
    ok(rc == 3 and out and "cannot look up no-such-host.invalid" in out[-1]["error"]["message"],
       "an unknown host name is reported in words", out or err)

    # The outbox: the hub goes away, a command is saved, the hub comes back,
    # the next run sends it, exactly once.
    c4 = hub.http("POST", "/v1/escalations", toks["bot"], escalation("e4"))["conversation"]
    rc, out, err = baton("ana", "claim %s" % c4)
    ok(rc == 0, "claim before the hub goes away", out or err)
    before = len([m for m in conv(c4)["transcript"] if m.get("from") == "agent"])
    hub.stop()
    rc, out, err = baton("ana", "open %s; say only once please" % c4, timeout=3, extra=("--timeout", "3"))
    ok(rc == 3 and out and out[-1].get("error", {}).get("code") == "timeout" and out[-1].get("waiting") == 1,
       "with the hub down the command waits in the outbox", out or err)
    ok(hub.start(), "batond comes back")
    rc, out, err = baton("ana", "open %s" % c4)
    sent = [o for o in out if o.get("from_earlier_run")]
    ok(rc == 0 and len(sent) == 1 and sent[0].get("status") in ("ok", "duplicate"),
       "the next run sends the saved command", out or err)
    after = len([m for m in conv(c4)["transcript"] if m.get("from") == "agent"])
    ok(after == before + 1, "the message arrived exactly once (%d -> %d)" % (before, after))
    rc, out, err = baton("ana", "open %s" % c4)
    after2 = len([m for m in conv(c4)["transcript"] if m.get("from") == "agent"])
    ok(rc == 0 and not [o for o in out if o.get("from_earlier_run")] and after2 == after,
       "and is not sent again", out or err)

    run_full_disk(tmp, hub, toks, url, c4)


FULLDISK_C = r"""
/* Fault injection: while the file named by $BATON_TEST_FULL exists, writes
 * to a sqlite database or its WAL fail with ENOSPC, as on a full disk. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int full(int fd)
{
	char link[64], path[4096];
	const char *flag = getenv("BATON_TEST_FULL");
	ssize_t n;

	if (!flag || access(flag, F_OK) != 0)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return 0;
	path[n] = 0;
	n = (ssize_t)strlen(path);
	return (n > 3 && !strcmp(path + n - 3, ".db")) || (n > 4 && !strcmp(path + n - 4, "-wal"));
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	if (!real)
		real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite64(fd, buf, len, off);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, len);
}
"""


def run_full_disk(tmp, hub, toks, url, conv_id):
    """A full disk: the command still goes out (kept in memory), the agent is
    told in words, and once there is room again the store works again."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        ok(True, "# SKIP full-disk check: no C compiler for the fault injector")
        return
    src = os.path.join(tmp, "fulldisk.c")
    lib = os.path.join(tmp, "fulldisk.so")
    with open(src, "w") as f:
        f.write(FULLDISK_C)
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", lib, src, "-ldl"], check=True)
    flag = os.path.join(tmp, "disk-is-full")
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "ana-data"), XDG_CONFIG_HOME=os.path.join(tmp, "ana-cfg"),
               HOME=tmp, LD_PRELOAD=lib, BATON_TEST_FULL=flag,
               ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
    before = len([m for m in hub.http("GET", "/v1/conversations/" + conv_id, toks["bot"])["transcript"]
                  if m.get("from") == "agent"])
    open(flag, "w").close()
    p = subprocess.run([BATON, "--url", url, "--token-file", os.path.join(tmp, "ana.tok"), "-e",
                        "open %s; say written while the disk is full" % conv_id, "--timeout", "20"],
                       capture_output=True, text=True, env=env, timeout=60)
    os.unlink(flag)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    ok(p.returncode == 0 and lines and lines[-1].get("status") == "ok",
       "with the disk full the message still goes out", p.stdout + p.stderr)
    ok("Local store full" in p.stderr and "free disk space" in p.stderr,
       "and the agent is told the store is full, in words", p.stderr)
    after = len([m for m in hub.http("GET", "/v1/conversations/" + conv_id, toks["bot"])["transcript"]
                 if m.get("from") == "agent"])
    ok(after == before + 1, "exactly once (%d -> %d)" % (before, after))
    p = subprocess.run([BATON, "--url", url, "--token-file", os.path.join(tmp, "ana.tok"), "-e",
                        "open %s; note room again" % conv_id], capture_output=True, text=True, env=env,
                       timeout=60)
    ok(p.returncode == 0 and "Local store" not in p.stderr, "with room again the store works",
       p.stdout + p.stderr)


def run_tls(tmp):
    """wss: the hub's certificate is verified unless --insecure says not to."""
    if not shutil.which("openssl"):
        ok(True, "# SKIP wss checks: no openssl to make a certificate")
        return
    d = os.path.join(tmp, "tls")
    os.makedirs(d)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/key.pem",
                    "-out", d + "/cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, check=True)
    hub = Hub(d)
    tok = hub.token("ana", "agent", "Ana")
    with open(d + "/ana.tok", "w") as f:
        f.write(tok)
    os.chmod(d + "/ana.tok", 0o600)
    log = open(d + "/hub.log", "a")
    hub.proc = subprocess.Popen([BATOND, "--db", hub.db, "--listen", "127.0.0.1:%d" % hub.port,
                                 "--cert", d + "/cert.pem", "--key", d + "/key.pem", "--log-level", "warn"],
                                stdout=log, stderr=log)
    try:
        time.sleep(0.5)
        env = dict(os.environ, HOME=d, XDG_DATA_HOME=d + "/data", XDG_CONFIG_HOME=d + "/cfg")
        url = "wss://127.0.0.1:%d/v1/stream" % hub.port
        p = subprocess.run([BATON, "--url", url, "--token-file", d + "/ana.tok", "-e", "status online",
                            "--timeout", "3"], capture_output=True, text=True, env=env, timeout=30)
        ok(p.returncode == 3 and "certificate" in p.stdout, "wss: a self-signed hub is refused by default",
           p.stdout + p.stderr)
        p = subprocess.run([BATON, "--url", url, "--token-file", d + "/ana.tok", "--insecure", "-e",
                            "status online", "--timeout", "10"], capture_output=True, text=True, env=env,
                           timeout=30)
        ok(p.returncode == 0 and '"status":"ok"' in p.stdout, "wss with --insecure connects", p.stdout + p.stderr)
    finally:
        hub.stop()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main())

#!/usr/bin/env bash
# console-macro-tmux.sh: macros and the control socket with the real baton
# (tmux, 120x40) and the real batond.
#
# `baton :COMMAND` claims through the running console's socket; a
# subscriber on the socket gets the customer's message as a JSON line,
# sanitized; `baton :macro greeting` leaves a draft in the compose area;
# `macros` lists them; an executable macro's output is shown as a plan; the
# multi-step late-apology macro typed on the ':' line shows its plan with
# the discount's amount and cap, asks again for the money, fills in the
# coupon code when the hub has applied it, and hands back — all checked in
# the hub. Headless, `macro --plan` prints the plan as JSON. Another user
# cannot reach the socket. Prints TAP.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
PLACED=$(date -u -d '-9 days' +%Y-%m-%dT%H:%M:%S.000Z)
escalation() {	# external-id name order
	cat <<JSON
{"external_id":"$1","channel":"web","language":"en","priority":"high",
 "escalation":{"reason":{"code":"order_problem","text":"parcel late"},"summary":"Late parcel."},
 "customer":{"id":"cu-$1","name":"$2","tier":"gold",
   "orders":[{"id":"$3","placed_at":"$PLACED","status":"shipped","total_minor":8990,
     "currency":"EUR","carrier":"DHL","tracking":"JJD0099","items":[{"sku":"SNK-42",
     "name":"Trail runner 42","qty":1,"price_minor":8990}]}]},
 "transcript":[{"from":"customer","text":"Where is my parcel?","at":"$NOW"}]}
JSON
}
conv_of() { $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null; }
escalation web-8001 "Ayşe Yılmaz" o-7001 >"$TMP/esc1.json"
escalation web-8002 "Bora Demir" o-7002 >"$TMP/esc2.json"
CONV=$(post /v1/escalations "$TMP/esc1.json" | conv_of)
CONV2=$(post /v1/escalations "$TMP/esc2.json" | conv_of)
check "two escalations are accepted ($CONV, $CONV2)" test -n "$CONV" -a -n "$CONV2"

# The console's control socket lives in a private runtime directory; the
# macros are the shipped examples.
export XDG_RUNTIME_DIR=$TMP/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
mkdir -p "$TMP/cfg/baton"
cp -r contrib/macros "$TMP/cfg/baton/macros"
console_start || { not_ok "baton starts in tmux"; finish; }
check "connected" wait_for "connected" 10
check "the escalation is queued" wait_for "Ayşe Yılmaz" 10
for i in $(seq 1 50); do [ -S "$XDG_RUNTIME_DIR/baton/ctl.sock" ] && break; sleep 0.1; done
mode=$(stat -c %a "$XDG_RUNTIME_DIR/baton" 2>/dev/null)/$(stat -c %a "$XDG_RUNTIME_DIR/baton/ctl.sock" 2>/dev/null)
check "the control socket is there, directory 700 and socket 600 ($mode)" test "$mode" = "700/600"

# A script subscribes to messages (and shuts its sending side, as a pipe
# into socat does).
cat >"$TMP/sub.py" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"subscribe":["message"]}\n')
s.shutdown(socket.SHUT_WR)	# as `echo … | socat`: nothing more to send, still reading
f = s.makefile("rb")
with open(sys.argv[2], "ab", buffering=0) as out:
    for line in f:
        out.write(line)
EOF
$PY "$TMP/sub.py" "$XDG_RUNTIME_DIR/baton/ctl.sock" "$TMP/events" &
SUBPID=$!
trap 'kill $SUBPID 2>/dev/null; cleanup' EXIT

out=$("$BATON" ":claim" "$CONV" 2>"$TMP/cli.err")
rc=$?
check "baton :claim $CONV answers ok (exit $rc)" test $rc -eq 0 -a -n "$(printf '%s' "$out" | grep '"ok":true')"
check "the console shows the claim" wait_for "Claimed $CONV"
st=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(d["state"], d.get("assignee"))' 2>/dev/null)
check "the hub has it assigned to ana ($st)" test "$st" = "assigned ana"
grep -q '"id":1,"ok":true,"subscribed":\["message"\]' "$TMP/events"
check "the subscription is confirmed" test $? -eq 0

printf '{"from":"customer","text":"Still \\u001b[31mwaiting\\u001b[0m \\u202eplease"}' >"$TMP/msg.json"
post "/v1/conversations/$CONV/messages" "$TMP/msg.json" >/dev/null
for i in $(seq 1 50); do grep -q '"event":"message"' "$TMP/events" && break; sleep 0.1; done
line=$(grep '"event":"message"' "$TMP/events" | grep 'Still' | head -1)
check "the subscriber gets the customer's message as a JSON line" test -n "$line"
ESC=$(printf '\033')
! printf '%s' "$line" | grep -q -e '\\u001b' -e "$ESC" -e '\\u202e'
check "its text is sanitized (no escape, no bidi override)" test $? -eq 0

"$BATON" :macro greeting >/dev/null 2>"$TMP/cli.err"
check "baton :macro greeting answers ok" test $? -eq 0
check "the greeting is a draft in the compose area" wait_for "Hi Ayşe, I'm Ana Kaya"
"$BATON" :macro nope >/dev/null 2>"$TMP/cli.err"
rc=$?
check "an unknown macro: exit 1 and the reason ($rc)" test $rc -eq 1 -a -n "$(grep 'there is no macro "nope"' "$TMP/cli.err")"

# The list, and an executable macro: its output is shown as a plan.
keys Escape
sleep 0.3
typed ":macros"
keys Enter
check ":macros lists them with their keys" wait_for "late-apology         F3"
keys Escape
sleep 0.3
"$BATON" :macro order-lookup >/dev/null 2>"$TMP/cli.err"
check "the executable macro's output is shown as a plan" wait_for "Run macro order-lookup?" 10
check "with what the program printed" wait_for "on its way with DHL: tracking JJD0099"
keys n
sleep 0.5
n=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(sum(1 for m in d.get("transcript",[]) if m["from"]=="agent"))' 2>/dev/null)
check "no: nothing was sent ($n)" test "$n" = 0

# The multi-step macro on the ':' line: plan, confirm, money confirm, code.
keys Escape
sleep 0.3
typed ":macro late-apology"
keys Enter
check "the plan is shown before anything runs" wait_for "Run macro late-apology?"
check "with the discount's amount and the cap" wait_for "discount 10% on o-7001 (8.99 EUR)"
check "and the replies in full" wait_for "I'm really sorry, Ayşe"
n=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(sum(1 for m in d.get("transcript",[]) if m["from"]=="agent"))' 2>/dev/null)
check "nothing was sent before the confirmation ($n)" test "$n" = 0
keys y
check "the discount asks for itself" wait_for "Give a discount?" 10
keys y
check "the coupon code is filled in and sent" wait_for "Here is your code: BTN-" 15
sleep 1
summary=$(hub_get "/v1/conversations/$CONV" | $PY -c '
import json,sys
d=json.load(sys.stdin); d=d.get("conversation",d)
codes=[a["result"]["code"] for a in d.get("actions",[]) if a["kind"]=="discount" and a.get("result")]
msgs=[m["text"] for m in d.get("transcript",[]) if m["from"]=="agent"]
sent=[m for m in msgs if codes and codes[0] in m]
print(d["state"], len(codes), len(msgs), len(sent))' 2>/dev/null)
check "the hub: handed back, one discount, two replies, the code in one ($summary)" test "$summary" = "handed_back 1 2 1"

# Headless: the plan as JSON for scripts (its own store).
out=$(XDG_DATA_HOME=$TMP/data2 XDG_CONFIG_HOME=$TMP/cfg timeout 30 "$BATON" --url "ws://127.0.0.1:$PORT/v1/stream" \
	--token-file "$TMP/ana.token" -e "claim $CONV2; macro --plan order-status" 2>"$TMP/hl.err")
printf '%s\n' "$out" >"$TMP/hl.out"
plan=$(printf '%s\n' "$out" | $PY -c '
import json,sys
for l in sys.stdin:
    j=json.loads(l)
    if "plan" in j:
        print(len(j["plan"]), j["plan"][0]["text"].split("\n")[1])' 2>/dev/null)
check "baton -e 'macro --plan' prints the plan ($plan)" test "$plan" = "2 It travels with DHL; the tracking number is JJD0099." ||
	sed 's/^/#   /' "$TMP/hl.out" "$TMP/hl.err" | head -20

# Another user cannot reach the socket.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# A copy of baton nobody can run, wherever the build lives.
	NB=$(mktemp -d /tmp/baton-nobody.XXXXXX)
	chmod 755 "$NB" && cp "$BATON" "$NB/baton" && chmod 755 "$NB/baton"
	setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" \
		"$NB/baton" :say hi >/dev/null 2>"$TMP/nobody.err"
	rc=$?
	rm -rf "$NB"
	check "another user is refused (exit $rc: $(cat "$TMP/nobody.err"))" \
		test $rc -eq 2 -a -n "$(grep 'Permission denied' "$TMP/nobody.err")"
else
	ok "another user is refused # SKIP needs root and setpriv to act as nobody"
fi

keys Escape
sleep 0.3
typed ":quit"
keys Enter
sleep 0.5
tmux -L "$SOCK" has-session 2>/dev/null && keys y
check "the console quits" wait_for_exit
check "and removes its socket" test ! -e "$XDG_RUNTIME_DIR/baton/ctl.sock"
kill $SUBPID 2>/dev/null
finish

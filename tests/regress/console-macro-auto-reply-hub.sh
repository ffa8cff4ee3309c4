#!/usr/bin/env bash
# console-macro-auto-reply-hub.sh: contrib/scripts/auto-reply.sh with the
# real baton (--follow and -e) against the real batond.
#
# Three escalations: a late order_problem (shipped 9 days ago), a fresh
# one and a discount request. With the default macro (order-status) the
# late one is answered with its tracking number and handed back; the others
# stay queued. With late-apology (a 10 % discount) and no --allow-money the
# late one is released untouched, no discount made; with --allow-money the
# discount is applied, its code sent, and the conversation handed back.
# Everything is checked in the hub. Prints TAP.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

"$BATON" --help 2>&1 | grep -q -- '--follow' ||
	skip_all "baton --follow is not built yet (the script follows the hub with it)"
command -v jq >/dev/null || { not_ok "jq is installed (auto-reply.sh needs it)"; finish; }

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
export BATON="$BATON" BATON_URL="ws://127.0.0.1:$PORT/v1/stream" BATON_TOKEN_FILE="$TMP/ana.token"
export XDG_CONFIG_HOME="$TMP/cfg" XDG_DATA_HOME="$TMP/data" XDG_RUNTIME_DIR="$TMP/run"
mkdir -p "$TMP/cfg/baton" "$TMP/data" && mkdir -m 700 "$TMP/run"
cp -r contrib/macros "$TMP/cfg/baton/macros"

NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
OLD=$(date -u -d '-9 days' +%Y-%m-%dT%H:%M:%S.000Z)
esc() {	# n reason placed_at
	cat >"$TMP/e$1.json" <<JSON
{"external_id":"ar-$1-$RANDOM","channel":"web","language":"en","priority":"normal",
 "escalation":{"reason":{"code":"$2"},"summary":"s"},
 "customer":{"id":"cu-ar-$1-$RANDOM","name":"Cem Kaya","orders":[{"id":"o-ar$1$RANDOM","placed_at":"$3",
   "status":"shipped","total_minor":5000,"currency":"EUR","carrier":"DHL","tracking":"JJD$1",
   "items":[{"sku":"S-1","name":"Scarf","qty":1,"price_minor":5000}]}]},
 "transcript":[{"from":"customer","text":"where is it?","at":"$NOW"}]}
JSON
	post /v1/escalations "$TMP/e$1.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])'
}
conv() {	# id → "state discounts agent-messages handed-back-note"
	hub_get "/v1/conversations/$1" | $PY -c '
import json,sys
d=json.load(sys.stdin); d=d.get("conversation",d)
disc=[a for a in d.get("actions",[]) if a["kind"]=="discount"]
msgs=[m["text"] for m in d.get("transcript",[]) if m["from"]=="agent"]
print(d["state"], len(disc), len(msgs), "|".join(msgs).replace("\n", " "))' 2>/dev/null
}
wait_state() {	# id state seconds
	for i in $(seq 1 $(( $3 * 10 ))); do
		conv "$1" | grep -q "^$2 " && return 0
		sleep 0.1
	done
	return 1
}
# The script runs in a session of its own, so it and everything it started
# (baton --follow, baton -e, jq) stop together, also on failure.
SPID=
start_script() { setsid contrib/scripts/auto-reply.sh "$@" 2>>"$TMP/auto.err" </dev/null & SPID=$!; }
stop_script() {
	[ -n "$SPID" ] || return 0
	kill -- "-$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
}
trap 'stop_script; cleanup' EXIT

LATE=$(esc 1 order_problem "$OLD")
FRESH=$(esc 2 order_problem "$NOW")
DISC=$(esc 3 discount_request "$OLD")
check "three escalations ($LATE $FRESH $DISC)" test -n "$LATE" -a -n "$FRESH" -a -n "$DISC"

# A money macro without the flag: released, no discount.
start_script --macro late-apology
for i in $(seq 1 100); do grep -q "moves money" "$TMP/auto.err" 2>/dev/null && break; sleep 0.1; done
sleep 1	# the release goes out
stop_script
s=$(conv "$LATE")
check "late-apology without --allow-money: released, no discount, nothing said ($s)" \
	test "$s" = "queued 0 0 "
grep -q "moves money" "$TMP/auto.err"
check "the script says why" test $? -eq 0

# The default macro: tracking sent, handed back; the others untouched.
start_script
wait_state "$LATE" handed_back 20
s=$(conv "$LATE")
case $s in "handed_back 0 1 "*"tracking number is JJD1."*) r=0 ;; *) r=1 ;; esac
check "the late order is answered with its tracking and handed back ($s)" test $r -eq 0
check "the fresh order is left queued ($(conv "$FRESH"))" test "$(conv "$FRESH" | cut -d' ' -f1)" = queued
check "the discount request is left queued" test "$(conv "$DISC" | cut -d' ' -f1)" = queued
stop_script

# With --allow-money: the discount, its code, the handback.
LATE2=$(esc 4 order_problem "$OLD")
start_script --macro late-apology --allow-money
wait_state "$LATE2" handed_back 30
s=$(conv "$LATE2")
case $s in "handed_back 1 2 "*"Here is your code: BTN-"*) r=0 ;; *) r=1 ;; esac
check "--allow-money: discount applied, code sent, handed back ($s)" test $r -eq 0
stop_script
[ $FAILED -eq 0 ] || sed 's/^/# auto-reply: /' "$TMP/auto.err" | tail -20
finish

#!/usr/bin/env bash
# console-tmux-confirm.sh: a money dialog's yes applies where the dialog said.
#
# The agent asks for a discount in one conversation; while the dialog is
# open, a script moves the console to another one through the control
# socket (`baton :open`). The yes must still give the discount to the first
# conversation, the one the dialog named. Checked in the hub.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
esc() {	# external_id name
	cat >"$TMP/e.json" <<JSON
{"external_id":"$1","channel":"web","language":"en","priority":"normal",
 "escalation":{"reason":{"code":"discount_request"},"summary":"Wants money back."},
 "customer":{"id":"cu-$1","name":"$2"},
 "transcript":[{"from":"customer","text":"Can I get a discount?","at":"2026-11-22T03:00:00.000Z"}]}
JSON
	post /v1/escalations "$TMP/e.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null
}
C1=$(esc web-cf-1 "Emma Gallagher")
C2=$(esc web-cf-2 "Bora Demir")
check "two escalations ($C1 $C2)" test -n "$C1" -a -n "$C2"
export XDG_RUNTIME_DIR=$TMP/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
console_start || { not_ok "baton starts in tmux"; finish; }
check "connected" wait_for "connected" 10
for i in $(seq 1 50); do [ -S "$XDG_RUNTIME_DIR/baton/ctl.sock" ] && break; sleep 0.1; done
ctl() { XDG_RUNTIME_DIR=$TMP/run "$BATON" ":$1" "${@:2}" >/dev/null 2>>"$TMP/ctl.err"; }
ctl claim "$C1" && ctl claim "$C2" && ctl open "$C1"
check "both claimed, the first open" wait_for "$C1  assigned" 10
keys :
typed "discount 10% sorry for the wait"
keys Enter
check "the dialog asks" wait_for "Give a discount?"
ctl open "$C2"
sleep 0.5
keys y
sleep 1.5
discounts() {	# conv → number of discount actions
	hub_get "/v1/conversations/$1" | $PY -c '
import json,sys
d=json.load(sys.stdin); d=d.get("conversation",d)
print(sum(1 for a in d.get("actions",[]) if a["kind"]=="discount"))' 2>/dev/null
}
n1=$(discounts "$C1") n2=$(discounts "$C2")
check "the discount went to the conversation the dialog named ($C1: $n1)" test "$n1" = 1
check "not to the one selected meanwhile ($C2: $n2)" test "$n2" = 0
[ $FAILED -eq 0 ] || sed "s/^/# ctl: /" "$TMP/ctl.err" 2>/dev/null
finish

#!/usr/bin/env bash
# console-tmux-alerts.sh: notifications from the real console.
#
# An urgent escalation rings the bell, raises an OSC 777 desktop
# notification (wrapped for tmux passthrough) and runs the hook with
# BATON_* in its environment; unclaimed, it alerts again every
# notify.repeat_urgent_s seconds; once claimed, it stops.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
cat >"$TMP/hook.sh" <<'SH'
printf '%s|%s|%s|%s\n' "$BATON_EVENT" "$BATON_CONV" "$BATON_TITLE" "$BATON_BODY" >>"$1"
SH
mkdir -p "$TMP/cfg/baton"
cat >"$TMP/cfg/baton/config" <<CFG
notify.bell = yes
notify.osc = 777
notify.desktop = off
notify.repeat_urgent_s = 2
notify.hook = /bin/sh $TMP/hook.sh $TMP/hook.out
CFG
console_start || { not_ok "baton starts"; finish; }
wait_for "connected" 10 >/dev/null
cat >"$TMP/esc.json" <<JSON
{"external_id":"u-1","channel":"whatsapp","language":"en","priority":"urgent",
 "escalation":{"reason":{"code":"fraud_claim","text":"card used twice"}},
 "customer":{"id":"cu-9","name":"Bora \$(touch $TMP/pwned) Kaya"}}
JSON
CONV=$(post /v1/escalations "$TMP/esc.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
check "the urgent escalation shows in the queue" wait_for "Bora" 10
sleep 5
count() { grep -ao "$1" "$TMP/raw.out" | wc -l; }
check "the bell rang" grep -qa $'\a' "$TMP/raw.out"
check "an OSC 777 notification, wrapped for tmux" \
	grep -qa $'\033Ptmux;\033\033]777;notify;Urgent escalation: Bora' "$TMP/raw.out"
n1=$(count "Still waiting: Urgent escalation")
check "it alerts again while unclaimed ($n1 repeats in 5 s)" test "$n1" -ge 1
check "the hook ran with BATON_EVENT and BATON_CONV" grep -q "^urgent|$CONV|Urgent escalation: Bora" "$TMP/hook.out"
check "the customer's name never reached a shell" test ! -e "$TMP/pwned"
keys j
sleep 0.3
keys Enter
check "claimed" wait_for "Claimed $CONV"
sleep 0.5
n2=$(count "Still waiting: Urgent escalation")
sleep 4.5
n3=$(count "Still waiting: Urgent escalation")
check "claimed, it stops alerting ($n2 then $n3)" test "$n3" = "$n2"
keys q
check "q quits" wait_for_exit
finish

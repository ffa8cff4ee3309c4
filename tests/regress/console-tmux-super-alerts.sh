#!/usr/bin/env bash
# console-tmux-super-alerts.sh: a supervisor's alerts from the real console
# (tmux, real batond), each through the notification hook (BATON_EVENT,
# BATON_CONV, BATON_TITLE in its environment):
#   - an urgent escalation nobody claims within notify.unclaimed_s;
#   - an SLA about to pass (notify.sla_lead_s);
#   - a new approval request from an agent;
#   - an agent gone offline with conversations assigned;
# and the agent's console, not a supervisor, gets no unclaimed alert.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
"$BATOND" --db "$TMP/hub.db" token add --id sam --role supervisor --name "Sam Okafor" \
	>"$TMP/sam.token" 2>>"$TMP/hub.err" || { not_ok "supervisor token"; finish; }
chmod 600 "$TMP/sam.token"
hub_start || { not_ok "batond starts"; finish; }

cat >"$TMP/hook.sh" <<'SH'
printf '%s|%s|%s\n' "$BATON_EVENT" "$BATON_CONV" "$BATON_TITLE" >>"$1"
SH
start_console() {	# NAME
	mkdir -p "$TMP/$1/cfg/baton" "$TMP/$1/data"
	cat >"$TMP/$1/cfg/baton/config" <<CFG
notify.bell = no
notify.osc = off
notify.desktop = off
notify.unclaimed_s = 2
notify.sla_lead_s = 86400
notify.hook = /bin/sh $TMP/hook.sh $TMP/hook-$1.out
CFG
	: >"$TMP/hook-$1.out"
	cat >"$TMP/run-$1.sh" <<EOS
#!/bin/sh
export LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$TMP/$1/cfg XDG_DATA_HOME=$TMP/$1/data
unset NO_COLOR TMUX
exec "$BATON" --url ws://127.0.0.1:$PORT/v1/stream --token-file $TMP/$1.token 2>>$TMP/baton.err
EOS
	chmod +x "$TMP/run-$1.sh"
	if tmux -L "$SOCK" has-session 2>/dev/null; then
		tmux -L "$SOCK" new-session -d -s "$1" -x 120 -y 40 "$TMP/run-$1.sh"
	else
		tmux -L "$SOCK" -f /dev/null new-session -d -s "$1" -x 120 -y 40 "$TMP/run-$1.sh" &&
			tmux -L "$SOCK" set -g status off >/dev/null
	fi
}
scr() { tmux -L "$SOCK" capture-pane -p -J -t "$1" 2>/dev/null; }
wait_on() {	# NAME TEXT [SECONDS]
	n=$(( ${3:-8} * 10 ))
	while [ "$n" -gt 0 ]; do
		scr "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "# $1 waited for: $2"
	scr "$1" | sed 's/^/#   | /'
	return 1
}
# hooked NAME PATTERN [SECONDS]: the hook of NAME's console ran for PATTERN.
hooked() {
	n=$(( ${3:-8} * 10 ))
	while [ "$n" -gt 0 ]; do
		grep -q -- "$2" "$TMP/hook-$1.out" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "# $1's hook never ran for: $2"
	sed 's/^/#   | /' "$TMP/hook-$1.out"
	return 1
}
cmd_to() {	# NAME COMMAND: runs a : command
	# No Esc first: under load Esc and ':' can arrive together and read as
	# meta-':'. Open the : line, see it open, then type.
	tmux -L "$SOCK" send-keys -t "$1" :
	for i in $(seq 1 50); do
		tmux -L "$SOCK" capture-pane -p -t "$1" | grep -qF "Command: Enter runs" && break
		sleep 0.1
	done
	tmux -L "$SOCK" send-keys -t "$1" -l "$2"
	tmux -L "$SOCK" send-keys -t "$1" Enter
}

start_console sam || { not_ok "sam's console starts"; finish; }
start_console ana || { not_ok "ana's console starts"; finish; }
check "sam is connected" wait_on sam "connected" 10
check "ana is connected" wait_on ana "connected" 10

cat >"$TMP/urgent.json" <<JSON
{"external_id":"al-1","channel":"web","language":"en","priority":"urgent",
 "escalation":{"reason":{"code":"fraud_claim","text":"card used twice"}},
 "customer":{"id":"cu-31","name":"Bora Kaya"}}
JSON
CU=$(post /v1/escalations "$TMP/urgent.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
check "an urgent escalation ($CU)" test -n "$CU"
check "unclaimed past notify.unclaimed_s, sam is alerted" hooked sam "^unclaimed|$CU|Urgent unclaimed for 0:0[2-9]: Bora Kaya" 10
check "an SLA about to pass alerts sam" hooked sam "^sla|$CU|SLA due soon: Bora Kaya"
sleep 1
check "ana, an agent, gets no unclaimed alert" test "$(grep -c '^unclaimed|' "$TMP/hook-ana.out")" = 0

cat >"$TMP/disc.json" <<JSON
{"external_id":"al-2","channel":"web","language":"en","priority":"normal",
 "escalation":{"reason":{"code":"discount_request","text":"late twice"}},
 "customer":{"id":"cu-32","name":"Zoë Ünal","currency":"EUR",
   "orders":[{"id":"o-3201","placed_at":"2026-11-10T09:00:00.000Z","status":"delivered","total_minor":5000,
     "currency":"EUR","items":[{"sku":"A","name":"A thing","qty":1,"price_minor":5000}]}]}}
JSON
CD=$(post /v1/escalations "$TMP/disc.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
cmd_to ana "claim $CD"
check "ana claims $CD" wait_on ana "Claimed $CD"
cmd_to ana "discount 30% o-3201 late twice"
wait_on ana "Your cap" >/dev/null && tmux -L "$SOCK" send-keys -t ana y
check "a new approval request alerts sam" hooked sam "^approval|$CD|Approval requested by ana"

cmd_to ana "quit"
for i in $(seq 1 50); do tmux -L "$SOCK" has-session -t ana 2>/dev/null || break; sleep 0.1; done
check "ana's console quits" test "$i" -lt 50
check "ana gone offline with $CD assigned alerts sam" hooked sam "^agent_offline|$CD|Ana Kaya went offline with 1 conversation" 10
check "sam's screen lists ana offline" wait_on sam "Ana Kaya             offline"
cmd_to sam "quit"
finish

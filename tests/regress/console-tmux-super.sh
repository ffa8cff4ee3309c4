#!/usr/bin/env bash
# console-tmux-super.sh: an agent and a supervisor, two real consoles in tmux
# (120x40 each) against the real batond.
#
#   - the supervisor's console starts on the supervisor screen (queue
#     health, approvals, agents); S switches to the agent panes and back;
#   - approve: the agent asks for 30% (over the cap), the supervisor sees
#     the request with the customer's tier, order and past discounts and
#     returns, approves it with `a` (a confirm), the agent sees the code;
#   - deny: D opens ":deny ID " for a note, Enter asks first, the agent
#     sees the note;
#   - expiry (approval_ttl_s = 25): the agent is told it expired;
#   - monitor and note: the supervisor follows the conversation read-only
#     and writes a note; the agent sees it; the bot's webhooks never carry
#     it (a receiver on loopback keeps them);
#   - an agent's :approve is refused by the hub and says so (the other
#     role checks are in hub-super.py);
#   - the supervisor transfers and hands back conversations an agent holds;
#   - the agent leaves with a conversation: it is back in the queue after
#     offline_grace_s (3 s here), on the supervisor's screen and in the hub.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

NOTE_TEXT="check the address before shipping 5K2Q"

tokens || { not_ok "tokens"; finish; }
"$BATOND" --db "$TMP/hub.db" token add --id sam --role supervisor --name "Sam Okafor" \
	>"$TMP/sam.token" 2>>"$TMP/hub.err" || { not_ok "supervisor token"; finish; }
chmod 600 "$TMP/sam.token"
printf 'approval_ttl_s = 25\noffline_grace_s = 3\n' >"$TMP/hub.conf"

# The bot's callback: every webhook body appended to a file.
cat >"$TMP/hook.py" <<'EOS'
import http.server, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "ab") as f:
            f.write(body + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
EOS
: >"$TMP/hooks.out"
$PY "$TMP/hook.py" "$TMP/hooks.out" >"$TMP/hook.port" 2>/dev/null &
HOOKPID=$!
trap 'kill $HOOKPID 2>/dev/null; cleanup' EXIT
for i in $(seq 1 50); do [ -s "$TMP/hook.port" ] && break; sleep 0.1; done
HOOK="http://127.0.0.1:$(cat "$TMP/hook.port")/hook"

# The hub with the short approval time.
hub_start_conf() {
	for try in 1 2 3 4 5 6 7 8; do
		PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		"$BATOND" --db "$TMP/hub.db" --listen "127.0.0.1:$PORT" --config "$TMP/hub.conf" --log-level warn \
			>"$TMP/hub.out" 2>"$TMP/hub.err" &
		HUBPID=$!
		for i in $(seq 1 50); do
			curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
			kill -0 "$HUBPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$HUBPID" 2>/dev/null; wait "$HUBPID" 2>/dev/null; HUBPID=
	done
	echo "# batond did not start:"; sed 's/^/# /' "$TMP/hub.err"
	return 1
}
hub_start_conf || { not_ok "batond starts"; finish; }

# Three escalations of customers with a history.
escalate() {	# EXT CUSTOMER-ID ORDER NAME
	cat >"$TMP/esc-$1.json" <<JSON
{"external_id":"$1","channel":"web","language":"tr","priority":"high","callback_url":"$HOOK",
 "escalation":{"reason":{"code":"discount_request","text":"parcel late twice"},"summary":"Late again."},
 "customer":{"id":"$2","name":"$4","tier":"gold","currency":"EUR",
   "orders":[{"id":"$3","placed_at":"2026-11-10T09:00:00.000Z","delivered_at":"2026-11-18T09:00:00.000Z",
     "status":"delivered","total_minor":12999,"currency":"EUR",
     "items":[{"sku":"SNK-9-BLK","name":"Trail sneaker","qty":1,"price_minor":12999}]}],
   "discounts":[{"code":"WELCOME10","percent":10,"at":"2026-03-01T10:00:00.000Z"}],
   "returns":[{"rma":"RMA-OLD-1","order":"$3","status":"refunded","at":"2026-04-01T10:00:00.000Z"}]},
 "transcript":[{"from":"customer","text":"Where is my parcel?"}]}
JSON
	post /v1/escalations "$TMP/esc-$1.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null
}
C1=$(escalate sup-1 cu-91 o-9001 "Ayşe Yılmaz")
C2=$(escalate sup-2 cu-92 o-9002 "Zoë Ünal")
C3=$(escalate sup-3 cu-93 o-9003 "张伟")
check "three escalations ($C1 $C2 $C3)" test -n "$C1" -a -n "$C2" -a -n "$C3"

# Two consoles: ana (agent) and sam (supervisor), each with its own files.
start_console() {	# NAME
	mkdir -p "$TMP/$1/cfg/baton" "$TMP/$1/data"
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
	tmux -L "$SOCK" resize-window -t "$1" -x 120 -y 40 >/dev/null 2>&1
	tmux -L "$SOCK" pipe-pane -t "$1" -o "cat >>$TMP/raw-$1.out"
}
scr() { tmux -L "$SOCK" capture-pane -p -J -t "$1" 2>/dev/null; }
keys_to() { t=$1; shift; tmux -L "$SOCK" send-keys -t "$t" "$@"; }
typed_to() { tmux -L "$SOCK" send-keys -t "$1" -l "$2"; }
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

start_console ana || { not_ok "ana's console starts"; finish; }
start_console sam || { not_ok "sam's console starts"; finish; }
check "the supervisor's console opens on the supervisor screen" wait_on sam "Supervisor  |  S agent view" 10
check "with queue health: the three high escalations" wait_on sam "high        3"
check "and escalations by reason" wait_on sam "escalations today: discount 3"
check "and the agents" wait_on sam "Agents: "
check "ana is listed" wait_on sam " ana "
keys_to sam S
check "S switches to the agent panes" wait_on sam "Ayşe Yılmaz"
keys_to sam S
check "and back" wait_on sam "Approvals: 0 pending"

# ---- approve ----
check "ana's console is connected" wait_on ana "connected" 10
cmd_to ana "claim $C1"
check "ana claims $C1" wait_on ana "Claimed $C1"
cmd_to ana "discount 30% o-9001 parcel late twice"
check "30% asks first, with ana's cap" wait_on ana "Your cap"
keys_to ana y
check "ana sees it waiting for a supervisor" wait_on ana "waiting for a supervisor's approval (ap-"
check "sam sees the request" wait_on sam "Approvals: 1 pending"
check "with the agent, customer and tier" wait_on sam "ana for Ayşe Yılmaz (gold)"
check "the amount, the order and its total" wait_on sam "discount 30% on o-9001 (129.99 EUR)"
check "the time left" wait_on sam "expires in 0:"
check "and the customer's past discounts and returns" wait_on sam "discounts: 10% 2026-03-01; returns: o-9001 refunded"
keys_to sam a
check "a asks sam to confirm, saying what happens" wait_on sam "Approve a 30% discount for Ayşe Yılmaz on o-9001, asked by ana"
keys_to sam y
check "ana sees the approval with the code" wait_on ana "sam approved the discount 30%: code BTN-" 10
check "and the action applied" wait_on ana "Discount 30% on o-9001: applied, code BTN-"
check "sam's list is empty again" wait_on sam "Approvals: 0 pending"
n=$(curl -sS -H "Authorization: Bearer $BOT" "http://127.0.0.1:$PORT/v1/conversations/$C1" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(sum(1 for a in d.get("actions",[]) if a["status"]=="applied" and (a.get("result") or {}).get("code","").startswith("BTN-")))' 2>/dev/null)
check "the hub has the coupon on $C1 ($n)" test "$n" = 1

# ---- deny, with a note ----
cmd_to ana "claim $C2"
check "ana claims $C2" wait_on ana "Claimed $C2"
cmd_to ana "discount 25% o-9002 asked nicely"
wait_on ana "Your cap" >/dev/null && keys_to ana y
check "sam sees the second request" wait_on sam "ana for Zoë Ünal (gold)"
keys_to sam D
check "D opens the : line for a note" wait_on sam ":deny ap-"
typed_to sam "offer 15% instead"
keys_to sam Enter
check "the typed :deny asks first, with the note" wait_on sam 'Your note for the agent: "offer 15% instead"'
keys_to sam y
check "ana sees the denial with sam's note" wait_on ana 'sam denied the discount 25%: "offer 15% instead"' 10

# ---- expiry ----
cmd_to ana "claim $C3"
check "ana claims $C3" wait_on ana "Claimed $C3"
cmd_to ana "discount 35% o-9003 nobody answers"
wait_on ana "Your cap" >/dev/null && keys_to ana y
check "sam sees the third request" wait_on sam "Approvals: 1 pending"
check "unanswered, ana is told it expired" wait_on ana "expired: no supervisor decided in time" 40
check "and it leaves sam's list" wait_on sam "Approvals: 0 pending"

# ---- monitor and note ----
# Typed on the supervisor screen, :monitor opens the conversation in the agent panes.
cmd_to sam "monitor $C1"
check "sam follows the conversation in the agent panes" wait_on sam "Where is my parcel?"
cmd_to sam "note $NOTE_TEXT"
cmd_to ana "open $C1"
check "ana sees sam's note" wait_on ana "[note] sam: $NOTE_TEXT" 10
cmd_to ana "say Your coupon is on its way."
check "ana writes to the customer" wait_on ana "you: Your coupon is on its way."
cmd_to ana "handback resolved coupon given"
check "ana hands back" wait_on ana "Handed $C1 back"
for i in $(seq 1 100); do grep -q "Your coupon is on its way" "$TMP/hooks.out" && grep -q handoff.completed "$TMP/hooks.out" && break; sleep 0.1; done
check "the bot's webhooks carry the public message" grep -q "Your coupon is on its way" "$TMP/hooks.out"
check "and the handoff.completed of the handback" grep -q '"handoff.completed"' "$TMP/hooks.out"
check "and never sam's note" test -s "$TMP/hooks.out" -a "$(grep -c "5K2Q" "$TMP/hooks.out")" = 0

# ---- an agent does not decide ----
cmd_to ana "approve ap-2"
check "ana's :approve is refused by the hub, in words" wait_on ana "only a supervisor decides approvals"

# ---- force: transfer and handback what an agent holds ----
cmd_to sam "monitor $C2"
cmd_to sam "open $C2"
check "sam opens ana's $C2" wait_on sam "Zoë Ünal"
cmd_to sam "transfer sam taking this one over"
st=""
for i in $(seq 1 50); do
	st=$(hub_get "/v1/conversations/$C2" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(d["state"], d.get("assignee"))' 2>/dev/null)
	[ "$st" = "assigned sam" ] && break
	sleep 0.1
done
check "sam transfers $C2 to himself ($st)" test "$st" = "assigned sam"
cmd_to sam "monitor $C3"
cmd_to sam "open $C3"
check "sam opens ana's $C3" wait_on sam "张伟"
cmd_to sam "handback unresolved closed by the supervisor"
for i in $(seq 1 50); do
	st=$(hub_get "/v1/conversations/$C3" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(d["state"])' 2>/dev/null)
	[ "$st" = "handed_back" ] && break
	sleep 0.1
done
check "sam forces the handback of ana's $C3 ($st)" test "$st" = "handed_back"

# ---- an agent gone with work: back to the queue after the grace period ----
C4=$(escalate sup-4 cu-94 o-9004 "Jan Kowalski")
cmd_to ana "claim $C4"
check "ana claims $C4" wait_on ana "Claimed $C4"
keys_to sam S
check "sam is back on the supervisor screen, nothing queued" wait_on sam "high        0"
cmd_to ana "quit"
check "sam sees ana offline" wait_on sam "Ana Kaya             offline" 10
check "after offline_grace_s, $C4 is queued again" wait_on sam "high        1" 15
st=$(hub_get "/v1/conversations/$C4" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(d["state"])' 2>/dev/null)
check "the hub has $C4 queued ($st)" test "$st" = "queued"
cmd_to sam "quit"
finish

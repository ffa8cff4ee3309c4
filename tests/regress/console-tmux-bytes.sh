#!/usr/bin/env bash
# console-tmux-bytes.sh: what the screen costs the terminal (tmux pipe-pane,
# 120x40, the real baton and batond).
#
# An incoming chat line is drawn by scrolling the full-width conversation
# pane, so it costs about the line itself; a presence change rewrites its
# own word only (no feedback line: the status bar is the feedback). Both are
# measured against a full repaint (ctrl-l). The
# bell and desktop notifications are switched off in the config here so
# only drawing is counted. Each figure is the smallest of three tries
# (a one-second timer redraw may fall into one).
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
cat >"$TMP/esc.json" <<JSON
{"external_id":"b-1","channel":"web","language":"en","priority":"normal",
 "escalation":{"reason":{"code":"order_problem"},"summary":"Where is the parcel?"},
 "customer":{"id":"cu-1","name":"Ayşe Yılmaz"},
 "transcript":[{"from":"customer","text":"Hello?","at":"2026-11-22T03:00:00.000Z"}]}
JSON
CONV=$(post /v1/escalations "$TMP/esc.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
mkdir -p "$TMP/cfg/baton"
printf 'notify.bell = no\nnotify.osc = off\nnotify.desktop = off\n' >"$TMP/cfg/baton/config"
console_start || { not_ok "baton starts"; finish; }
wait_for "Ayşe" 10 >/dev/null
keys j
sleep 0.3
keys Enter
check "claimed" wait_for "Claimed $CONV"
keys 1
sleep 1.2

# measure NAME ACTION…: bytes written while ACTION runs (+250 ms).
measure() {
	f=$TMP/m.$1
	: >"$f"
	tmux -L "$SOCK" pipe-pane -o "cat >>$f"
	sleep 0.05
	shift
	"$@"
	sleep 0.25
	tmux -L "$SOCK" pipe-pane
	sleep 0.1
	wc -c <"$f"
}
say_customer() {
	printf '{"from":"customer","text":"%s"}' "$1" >"$TMP/msg.json"
	post "/v1/conversations/$CONV/messages" "$TMP/msg.json" >/dev/null
}
tmux -L "$SOCK" pipe-pane	# the session's own capture is off while measuring
TEXT="Where is my parcel? It has been nine days now."
best_line=999999
for i in 1 2 3; do
	b=$(measure line$i say_customer "$TEXT ($i)")
	[ "$b" -lt "$best_line" ] && best_line=$b
done
LINE_LEN=$(printf '%s' "00:00 Ayşe Yılmaz: $TEXT (1)" | wc -c)
best_status=999999
for i in 1 2 3; do
	b=$(measure st$i keys $([ $((i % 2)) = 1 ] && echo a || echo o))
	[ "$b" -lt "$best_status" ] && best_status=$b
done
full=$(measure full keys C-l)
echo "# incoming chat line: $best_line bytes for a $LINE_LEN-byte line (message $(( ${#TEXT} + 4 )) bytes)"
echo "# presence change: $best_status bytes; full repaint: $full bytes"
# The goals of issue 4 (b): a message costs at most its length + 64 bytes
# (the scroll, the cursor, "HH:MM Name: " and the attribute changes), a
# presence change at most 16 (the cursor and the word).
MSG_LEN=$(( ${#TEXT} + 4 ))
check "a chat line costs at most the message's length + 64 bytes ($best_line for $MSG_LEN)" \
	test "$best_line" -le $((MSG_LEN + 64))
check "a chat line costs far less than a repaint ($best_line vs $full)" test $((best_line * 5)) -lt "$full"
check "a presence change costs at most 16 bytes ($best_status)" test "$best_status" -le 16
check "the line was drawn by scrolling a region" grep -q $'\033\[[0-9]*;[0-9]*r' "$TMP/m.line1"
keys q
check "q quits" wait_for_exit
finish

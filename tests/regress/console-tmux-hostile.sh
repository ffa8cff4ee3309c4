#!/usr/bin/env bash
# console-tmux-hostile.sh: untrusted text and wide text on the real screen.
#
# Escalations whose customer names and messages carry escape sequences
# (OSC title, OSC 52 clipboard, DSR, CSI), bidi controls and C1 controls
# reach the console through the real batond; the raw bytes the console
# writes (tmux pipe-pane) must never contain them, the screen shows
# placeholders instead. Names in Turkish, Polish, Japanese, Chinese and
# with emoji keep the queue's columns aligned. The screen is resized to
# 80x24 and back. Invalid UTF-8 is refused by the hub at the edge.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }

escalate() {	# external_id name text
	$PY - "$1" "$2" "$3" >"$TMP/e.json" <<'PYEOF'
import json, sys
ext, name, text = sys.argv[1], sys.argv[2], sys.argv[3]
print(json.dumps({"external_id": ext, "channel": "web", "language": "en", "priority": "normal",
  "escalation": {"reason": {"code": "order_problem"}, "summary": "Summary: " + text},
  "customer": {"id": "cu-" + ext, "name": name},
  "transcript": [{"from": "customer", "text": text, "at": "2026-11-22T03:00:00.000Z"}]}))
PYEOF
	post /v1/escalations "$TMP/e.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])'
}

# Hostile text, written as the JSON escapes a bot would send.
HOSTILE=$(printf '\033]0;PWNED\007 \033]52;c;cm0gLXJmIH4=\007 \033[6n \342\200\256evil\342\200\254 \302\233''31m end')
H1=$(escalate h-1 "$(printf 'Mallory \033[31mRED\033[0m \342\200\256x')" "$HOSTILE")
escalate w-1 "Ayşe Yılmaz" "Siparişim nerede?" >/dev/null
escalate w-2 "Łukasz Żółć" "Gdzie jest moje zamówienie?" >/dev/null
escalate w-3 "田中 太郎" "注文はどこですか" >/dev/null
escalate w-4 "王小明" "我的订单在哪里" >/dev/null
escalate w-5 "Zoë 😀 Smith" "Where is it? 🙁" >/dev/null
check "the hostile escalation is accepted ($H1)" test -n "$H1"

# Desktop notifications through the terminal (OSC 777), so their bytes are
# checked too; libnotify off, whatever session this runs in.
mkdir -p "$TMP/cfg/baton"
printf 'notify.osc = 777\nnotify.desktop = off\n' >"$TMP/cfg/baton/config"
console_start || { not_ok "baton starts"; finish; }
check "the queue shows every escalation" wait_for "Zoë 😀 Smith" 10
check "a hostile name shows placeholders" wait_for "Mallory ␛RED␛ ⸮x"
keys j
check "its summary shows placeholders" wait_for "Summary: ␛ ␛ ␛ ⸮evil⸮"
keys Enter
check "claimed" wait_for "Claimed $H1"
check "its message shows placeholders in the transcript" wait_for "Mallory ␛RED␛ ⸮x: ␛ ␛ ␛ ⸮evil⸮"

# A customer message with the same payload, live.
$PY -c 'import json,sys; print(json.dumps({"from":"customer","text":sys.argv[1]+" live"}))' "$HOSTILE" >"$TMP/m.json"
post "/v1/conversations/$H1/messages" "$TMP/m.json" >/dev/null
check "a live hostile message shows placeholders" wait_for "end live"
# The agent is typing in that conversation: it is on screen, no alert. Once
# they look elsewhere, the next one is alerted (its text checked below).
keys j
sleep 0.5
$PY -c 'import json,sys; print(json.dumps({"from":"customer","text":sys.argv[1]+" later"}))' "$HOSTILE" >"$TMP/m2.json"
post "/v1/conversations/$H1/messages" "$TMP/m2.json" >/dev/null
sleep 0.5
keys k	# back to the conversation
no_alert_for() { ! grep -qa "$1"$'\a' "$TMP/raw.out"; }

# Invalid UTF-8 never gets in: the hub refuses the request.
printf '{"from":"customer","text":"bad \377\376 bytes"}' >"$TMP/bad.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $BOT" \
	-H 'Content-Type: application/json' --data-binary @"$TMP/bad.json" \
	"http://127.0.0.1:$PORT/v1/conversations/$H1/messages")
check "invalid UTF-8 is refused at the hub ($code)" test "$code" = 400

sleep 0.5
# The raw bytes the console wrote: no sequence from the customer, ever.
rawcheck() {
	$PY - "$TMP/raw.out" <<'PYEOF'
import sys
raw = open(sys.argv[1], "rb").read()
bad = {b"\x1b]0;": "OSC 0 (title)", b"\x1b]52;": "OSC 52 (clipboard)", b"\x1b[6n": "DSR",
       b"\xe2\x80\xae": "U+202E", b"\xe2\x80\xac": "U+202C", b"\xc2\x9b": "C1 CSI",
       b"PWNED\x07": "BEL in text", b"\x1b[31mRED": "customer's SGR"}
found = [what for seq, what in bad.items() if seq in raw]
# Notifications (OSC 777/9) carry the text too: nothing inside may end them.
for marker in (b"]777;notify;", b"]9;"):
    at = 0
    while True:
        i = raw.find(marker, at)
        if i < 0:
            break
        j = raw.find(b"\x07", i)
        if j < 0 or b"\x1b" in raw[i:j]:
            found.append("an escape inside a notification")
        at = i + 1
if len(raw) < 1000:
    found.append("too little output (%d bytes)" % len(raw))
if found:
    print("# raw output holds: " + ", ".join(found))
sys.exit(1 if found else 0)
PYEOF
}
check "the terminal never received the customer's control sequences" rawcheck
check "placeholders reached the terminal instead" grep -q "␛" "$TMP/raw.out"
check "a message in the conversation being worked on is not alerted" \
	no_alert_for "end live"
check "the later message's notification carried the text, cleaned" \
	grep -qa $'\\]777;notify;Mallory ␛RED␛ ⸮x;␛ ␛ ␛ ⸮evil⸮.*end later' "$TMP/raw.out"

# Wide characters: the reason column lines up on every queue row.
aligncheck() {
	screen >"$TMP/screen.txt"
	$PY - "$TMP/screen.txt" <<'PYEOF'
import sys, unicodedata
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        o = ord(ch)
        if unicodedata.east_asian_width(ch) in "WF" or 0x1F300 <= o <= 0x1FAFF:
            w += 2
        else:
            w += 1
    return w
cols = set()
rows = 0
for line in open(sys.argv[1], encoding="utf-8"):
    i = line.find(" order ")
    if i >= 0 and "│" in line:
        cols.add(width(line[:i]))
        rows += 1
print("# reason column at", sorted(cols), "on", rows, "rows")
sys.exit(0 if rows >= 5 and len(cols) == 1 else 1)
PYEOF
}
keys 1 g
sleep 0.3
check "wide names keep the queue's columns aligned" aligncheck
check "the status bar is on the last line at 120x40" test "$(screen | sed -n 40p | grep -c connected)" = 1

# Resize to 80x24 and back: the layout follows and nothing is lost.
tmux -L "$SOCK" resize-window -x 80 -y 24
check "80x24: the two-pane layout (no side-by-side divider)" \
	wait_for " Queue "
check "80x24: the status bar is on line 24" \
	bash -c "tmux -L $SOCK capture-pane -p | sed -n 24p | grep -q connected"
check "80x24: the conversation is still there" wait_for "end live"
check "80x24: no divider column" bash -c "! tmux -L $SOCK capture-pane -p | grep -q '│ Context'"
tmux -L "$SOCK" resize-window -x 120 -y 40
check "120x40 again: three panes" wait_for "│ Context"
check "120x40 again: the status bar is on line 40" \
	bash -c "tmux -L $SOCK capture-pane -p | sed -n 40p | grep -q connected"
keys q
check "q quits" wait_for_exit
finish

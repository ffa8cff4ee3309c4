#!/usr/bin/env bash
# console-tmux-compose.sh: the compose area never sends a command to the
# customer.
#
# After sending a reply the compose area keeps the focus, so an agent who
# goes on typing ":note …" or ":discount …" is typing into it. A line that
# starts with ':' runs as a command (checked in the hub: a note, no chat
# message with the command's text); "::" sends one leading colon. Needs
# sqlite3 (the hub's store is read directly: the bot API hides notes).
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
cat >"$TMP/esc.json" <<'JSON'
{"external_id":"web-compose-1","channel":"web","language":"en","priority":"normal",
 "escalation":{"reason":{"code":"customer_request"},"summary":"Wants a person."},
 "customer":{"id":"cu-c1","name":"Emma Gallagher"},
 "transcript":[{"from":"customer","text":"A human please.","at":"2026-11-22T03:00:00.000Z"}]}
JSON
CONV=$(post /v1/escalations "$TMP/esc.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
check "escalated ($CONV)" test -n "$CONV"
console_start || { not_ok "baton starts in tmux"; finish; }
check "the escalation appears" wait_for "Emma Gallagher" 10
keys j Enter
check "claimed" wait_for "Claimed $CONV"
keys c
typed "Hello Emma, I am here."
keys Enter
check "the reply is sent" wait_for "you: Hello Emma"
# Still in the compose area.
typed ":note checked the account"
keys Enter
check "a :line in the compose area runs as a command" wait_for "checked the account"
typed "::) all sorted"
keys Enter
check "'::' sends one leading colon" wait_for "you: :) all sorted"
# Esc and ':' in one read (typed fast, or one packet over SSH) look like
# meta-':'. Nothing means that, so it is Esc (leave the compose area) and ':'
# (the command line): the line runs as a command, not as a chat message.
keys -H 1b 3a
typed "note esc and colon together"
keys Enter
check "Esc ':' arriving together opens the command line" wait_for "esc and colon together"
sleep 0.5
tr=$(hub_get "/v1/conversations/$CONV" | $PY -c '
import json,sys
d=json.load(sys.stdin); d=d.get("conversation",d)
for m in d.get("transcript",[]):
    if m["from"]=="agent": print(m["kind"]+"|"+m["text"])' 2>/dev/null)
# The bot's API never shows notes; the hub's store has it, as a note.
notes=$(sqlite3 "$TMP/hub.db" "SELECT kind || '|' || text FROM messages WHERE sender = 'agent'" 2>&1)
check "the hub stored the note as a note" grep -qx "note|checked the account" <<<"$notes"
check "Esc ':' at once ran :note, it did not chat" grep -qx "note|esc and colon together" <<<"$notes"
check "the bot's API does not show the note" bash -c '! grep -q "checked the account" <<<"$1"' _ "$tr"
check "no chat message carries the command" bash -c '! grep -q "public|:note" <<<"$1"' _ "$tr"
check "the customer got ':) all sorted'" grep -qx "public|:) all sorted" <<<"$tr"
[ $FAILED -eq 0 ] || printf '# %s\n' "$tr"
finish

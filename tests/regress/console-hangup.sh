#!/usr/bin/env bash
# console-hangup.sh: when its terminal goes away, baton leaves and keeps the draft.
#
# An SSH session dropped or a tmux pane killed closes the console's terminal.
# If a shell is still waiting for baton (as `make demo`'s script does), nobody
# sends baton a SIGHUP: all it sees is end-of-file and POLLHUP on stdin. It
# must then save what was typed and exit, not spin on the dead descriptor.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh
tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
escalate h-1 normal "Mehmet Aydın" >/dev/null
mkdir -p "$TMP/cfg/baton" "$TMP/data"
# A shell runs baton and waits after it (like contrib/demo.sh). baton is in a
# session of its own (setsid), so the pane's SIGHUP cannot reach it: what it
# sees of the hangup is only its terminal's end-of-file.
cat >"$TMP/run-baton.sh" <<EOS
#!/bin/bash
export $BATON_ENV
setsid -w "$BATON" --url ws://127.0.0.1:$PORT/v1/stream --token-file $TMP/ana.token 2>$TMP/baton.err
echo "exit \$?" >$TMP/baton.exit
sleep 30
EOS
chmod +x "$TMP/run-baton.sh"
tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 40 "$TMP/run-baton.sh"
tmux -L "$SOCK" set -g status off >/dev/null
check "the console shows the escalation" wait_for "Mehmet" 10
pid=$(pgrep -f "^$BATON --url ws://127.0.0.1:$PORT/" | head -1)
check "found baton's process" test -n "$pid"
keys j
sleep 0.3
keys Enter
check "claimed" wait_for "assigned" 5
keys c
sleep 0.3
typed "half-typed reply, not sent"
check "the draft is on screen" wait_for "half-typed reply" 5

# Close the terminal: the pane goes, the shell waiting in it stays.
tmux -L "$SOCK" kill-session
gone=0
for i in $(seq 1 50); do
	kill -0 "$pid" 2>/dev/null || { gone=1; break; }
	sleep 0.1
done
check "baton leaves within 5 s once its terminal is gone" test "$gone" = 1
if [ "$gone" = 0 ]; then
	cpu=$(ps -o %cpu= -p "$pid" 2>/dev/null)
	echo "# still running after 5 s, at ${cpu:-?}% CPU"
	kill -9 "$pid" 2>/dev/null
fi
db=$TMP/data/baton/baton.db
draft=$(sqlite3 "$db" "SELECT text FROM drafts" 2>/dev/null)
check "the draft typed before the hangup is in the store" test "$draft" = "half-typed reply, not sent"
msgs=$(sqlite3 "$TMP/hub.db" "SELECT count(*) FROM messages WHERE text LIKE 'half-typed%'")
check "and it was not sent" test "$msgs" = 0
pkill -f "$TMP/run-baton.sh" 2>/dev/null
finish

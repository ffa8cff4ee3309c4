#!/usr/bin/env bash
# console-tmux-suspend.sh: ctrl-z stops baton like any terminal program.
#
# baton runs under an interactive shell in tmux (job control on); ctrl-z
# gives the terminal back ("Stopped", the shell's prompt), fg brings the
# console back repainted, q quits to the shell.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh
tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
escalate b-1 urgent "Ayşe Yılmaz" >/dev/null
mkdir -p "$TMP/cfg/baton" "$TMP/data"
cat >"$TMP/run-baton.sh" <<EOS
export $BATON_ENV
"$BATON" --url ws://127.0.0.1:$PORT/v1/stream --token-file $TMP/ana.token 2>$TMP/baton.err
EOS
tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 40 "env PS1='shell\$ ' bash --norc --noprofile -i" 
tmux -L "$SOCK" set -g status off >/dev/null
sleep 0.5
typed ". $TMP/run-baton.sh"; keys Enter
check "baton runs under an interactive shell" wait_for "Ayşe" 10
keys C-z
check "ctrl-z stops it: the shell says Stopped" wait_for "Stopped" 5
check "and shows its prompt" wait_for 'shell$' 5
typed "fg"; keys Enter
check "fg brings it back, repainted" wait_for "Ayşe" 5
sleep 0.5
keys q
sleep 0.5
check "q quits to the shell" wait_for 'shell$' 5
finish

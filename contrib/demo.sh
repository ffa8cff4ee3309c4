#!/usr/bin/env bash
# contrib/demo.sh: what `make demo` runs. Starts batond --demo on a free
# loopback port with a throwaway database, then opens the console against it
# as a demo agent. Everything lives in one temporary directory removed on exit.
#
#   make demo                 as the agent "ana"
#   make demo AS=sam          as the supervisor
#   BATON_DEMO_RATE=6 make demo   six escalations a minute
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
AS=${AS:-ana}
RATE=${BATON_DEMO_RATE:-2}
batond="$PWD/$BUILD/batond" baton="$PWD/$BUILD/baton"
for b in "$batond" "$baton"; do
	[ -x "$b" ] || { echo "demo: $b is missing; run make first" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-demo.XXXXXX")
hub_pid=
cleanup() {
	[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM HUP

# A free port: 7300 if it is free, else one the kernel picks.
port=7300
if ! /usr/bin/python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$port))" 2>/dev/null; then
	port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
fi

"$batond" --demo --demo-rate "$RATE" --listen "127.0.0.1:$port" --db "$dir/batond.db" \
	>"$dir/tokens" 2>"$dir/batond.log" &
hub_pid=$!
for _ in $(seq 100); do
	grep -q "^  *$AS " "$dir/tokens" 2>/dev/null && break
	kill -0 "$hub_pid" 2>/dev/null || { echo "demo: batond stopped:" >&2; cat "$dir/batond.log" >&2; exit 1; }
	sleep 0.1
done
token=$(awk -v who="$AS" '$1 == who { print $3 }' "$dir/tokens")
[ -n "$token" ] || { echo "demo: no demo account \"$AS\"; accounts:" >&2; cat "$dir/tokens" >&2; exit 1; }
umask 077
printf '%s\n' "$token" >"$dir/token"

cat <<MSG
batond --demo is listening on 127.0.0.1:$port (log: $dir/batond.log).
Demo accounts (tokens are new on every start):
$(sed -n '2,$p' "$dir/tokens")

Opening the console as $AS. In the console: ? shows help, Enter claims, q quits.
Another console, e.g. the supervisor, from a second terminal:
  printf '%s\n' TOKEN > /tmp/t; chmod 600 /tmp/t
  $baton --url ws://127.0.0.1:$port/v1/stream --token-file /tmp/t --db /tmp/sam.db
MSG
sleep 2
"$baton" --url "ws://127.0.0.1:$port/v1/stream" --token-file "$dir/token" --db "$dir/console.db"

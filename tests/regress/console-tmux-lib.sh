# console-tmux-lib.sh: shared by the console-tmux-*.sh scripts (sourced).
#
# Starts a real batond on a free loopback port with a temporary database,
# adds an agent and a bot token, and runs the real baton in a private tmux
# server (tmux -L <socket>, 120x40). Everything is cleaned up on exit, also
# on failure. Prints TAP through ok/not_ok.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "1..0 # SKIP the library of the console-tmux-*.sh scripts, not a test"
	exit 0
fi
BUILD=${BUILD:-build}
BATON=${BATON_BIN:-$PWD/$BUILD/baton}
BATOND=${BATOND_BIN:-$PWD/$BUILD/batond}
T=0
FAILED=0
HUBPID=
SOCK=baton-test-$$
TMP=$(mktemp -d /tmp/baton-tmux.XXXXXX)
PY=/usr/bin/python3

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	if [ -n "$HUBPID" ]; then kill "$HUBPID" 2>/dev/null; wait "$HUBPID" 2>/dev/null; fi
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { T=$((T + 1)); echo "ok $T - $1"; }
not_ok() { T=$((T + 1)); echo "not ok $T - $1"; FAILED=1; }
# check DESCRIPTION COMMAND…: ok if the command succeeds.
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
finish() {
	# Built with sanitizers, the console reports on its stderr.
	if [ -s "$TMP/baton.err" ] && grep -qE "Sanitizer|runtime error" "$TMP/baton.err"; then
		not_ok "baton ran clean under the sanitizers"
		sed 's/^/# /' "$TMP/baton.err" | head -40
	fi
	echo "1..$T"
	exit $FAILED
}

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ -x "$BATON" ] && [ -x "$BATOND" ] || skip_all "baton or batond not built in $BUILD"
command -v tmux >/dev/null 2>&1 || skip_all "tmux not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl not installed"

# Starts the hub on a free port (retrying if another process took it).
hub_start() {
	for try in 1 2 3 4 5 6 7 8; do
		PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		"$BATOND" --db "$TMP/hub.db" --listen "127.0.0.1:$PORT" --log-level warn \
			>"$TMP/hub.out" 2>"$TMP/hub.err" &
		HUBPID=$!
		for i in $(seq 1 50); do
			if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$HUBPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$HUBPID" 2>/dev/null; wait "$HUBPID" 2>/dev/null; HUBPID=
	done
	echo "# batond did not start:"; sed 's/^/# /' "$TMP/hub.err"
	return 1
}

# Tokens: stored before the hub starts (the database is the hub's).
tokens() {
	"$BATOND" --db "$TMP/hub.db" token add --id ana --role agent --name "Ana Kaya" \
		>"$TMP/ana.token" 2>>"$TMP/hub.err" || return 1
	"$BATOND" --db "$TMP/hub.db" token add --id shopbot --role bot --name "Shop bot" \
		>"$TMP/bot.token" 2>>"$TMP/hub.err" || return 1
	chmod 600 "$TMP/ana.token"
	BOT=$(cat "$TMP/bot.token")
}

# post PATH FILE: POST a JSON file with the bot token; prints the body.
post() {
	curl -sS -X POST -H "Authorization: Bearer $BOT" -H 'Content-Type: application/json' \
		--data-binary @"$2" "http://127.0.0.1:$PORT$1"
}
# escalate EXT PRIORITY NAME: a plain "where is my parcel" escalation from
# customer NAME; prints the hub's answer.
escalate() {
	cat >"$TMP/esc-$1.json" <<JSON
{"external_id":"$1","channel":"web","language":"en","priority":"$2",
 "escalation":{"reason":{"code":"order_problem"},"summary":"Where is the parcel?"},
 "customer":{"id":"cu-$1","name":"$3"},
 "transcript":[{"from":"customer","text":"Hello?","at":"2026-11-22T03:00:00.000Z"}]}
JSON
	post /v1/escalations "$TMP/esc-$1.json"
}
# The environment a console under test runs in (its own XDG dirs, UTF-8).
BATON_ENV="LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$TMP/cfg XDG_DATA_HOME=$TMP/data"
# hub_get PATH: GET with the bot token.
hub_get() { curl -sS -H "Authorization: Bearer $BOT" "http://127.0.0.1:$PORT$1"; }

# The console in tmux, its raw output captured by pipe-pane.
console_start() {
	mkdir -p "$TMP/cfg/baton" "$TMP/data"
	cat >"$TMP/run-baton.sh" <<EOS
#!/bin/sh
export $BATON_ENV
unset NO_COLOR
exec "$BATON" --url ws://127.0.0.1:$PORT/v1/stream --token-file $TMP/ana.token 2>$TMP/baton.err
EOS
	chmod +x "$TMP/run-baton.sh"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 40 "$TMP/run-baton.sh" || return 1
	tmux -L "$SOCK" set -g status off >/dev/null
	tmux -L "$SOCK" resize-window -x 120 -y 40 >/dev/null 2>&1
	tmux -L "$SOCK" pipe-pane -o "cat >>$TMP/raw.out"
}

screen() { tmux -L "$SOCK" capture-pane -p -J 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys "$@"; }
typed() { tmux -L "$SOCK" send-keys -l "$1"; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT.
wait_for() {
	n=$(( ${2:-5} * 10 ))
	while [ "$n" -gt 0 ]; do
		if screen | grep -qF -- "$1"; then return 0; fi
		sleep 0.1
		n=$((n - 1))
	done
	echo "# waited for: $1"
	screen | sed 's/^/#   | /'
	return 1
}

# wait_for_exit: the console has left (the tmux session ended with it).
wait_for_exit() {
	for i in $(seq 1 50); do
		tmux -L "$SOCK" has-session 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

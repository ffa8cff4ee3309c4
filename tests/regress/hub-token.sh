#!/usr/bin/env bash
# hub-token.sh: `batond token add` checks what it is given before it stores
# anything, so no agent exists that the protocol could not name or send.
set -u
cd "$(dirname "$0")/../.." || exit 1
BATOND=${BATOND_BIN:-$PWD/build/batond}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/baton-token.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
T=0 FAILED=0
ok() { T=$((T + 1)); echo "ok $T - $1"; }
not_ok() { T=$((T + 1)); echo "not ok $T - $1"; FAILED=1; }
add() { "$BATOND" --db "$TMP/h.db" --log-level off token add "$@" 2>"$TMP/err"; }
refused() {	# description, args…
	local d=$1; shift
	if add "$@" >"$TMP/out"; then not_ok "$d (accepted)"; return; fi
	if [ -s "$TMP/out" ]; then not_ok "$d (printed a token)"; return; fi
	ok "$d: $(head -c 120 "$TMP/err")"
}
refused "an id with a space is refused" --id "ana k" --role agent --name Ana
refused "the id 'next' is refused (claim next)" --id next --role agent --name Next
refused "a skill over 32 characters is refused" --id ana --role agent --name Ana \
	--skills "returns,$(printf 'a%.0s' $(seq 33))"
refused "a skill with a space is refused" --id ana --role agent --name Ana --skills "customer care"
refused "an unknown role is refused" --id ana --role admin --name Ana
tok=$(add --id ana --role agent --name "Ana Kaya" --skills returns,billing)
[[ $tok =~ ^[[:graph:]]{20,}$ ]] && ok "a good agent gets a token, alone on stdout" || not_ok "a good agent gets a token ($tok)"
tok2=$(add --id ana --role agent --name "Ana Kaya")
[ -n "$tok2" ] && [ "$tok2" != "$tok" ] && ok "adding ana again gives a new token" || not_ok "adding ana again gives a new token"
n=$(sqlite3 "$TMP/h.db" "SELECT count(*) FROM agents WHERE id = 'ana'" 2>/dev/null)
[ "$n" = 1 ] && ok "one agent row for ana" || not_ok "one agent row for ana ($n)"
grep -q "$tok2" "$TMP/h.db" 2>/dev/null && not_ok "the token itself is not stored" || ok "the token itself is not stored"
echo "1..$T"
exit $FAILED

#!/usr/bin/env bash
# console-man.sh: the generated parts of man/baton.1 and man/baton.conf.5 are
# exactly what the code's tables say (baton --man-fragment commands|keys|
# config), so the manual cannot drift from the command table, the default
# key bindings or the option table. With --update it rewrites them.
# Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
BATON=${BATON_BIN:-$PWD/${BUILD:-build}/baton}
update=0
[ "${1:-}" = "--update" ] && update=1
n=0 fail=0

# The lines between ".\" BEGIN GENERATED NAME" and ".\" END GENERATED NAME".
section() {	# page name
	awk -v n="$2" '
		$0 ~ "^\\.\\\\\" END GENERATED " n "( |$)" { on = 0 }
		on { print }
		$0 ~ "^\\.\\\\\" BEGIN GENERATED " n "( |$)" { on = 1 }' "$1"
}

replace() {	# page name file-with-new-lines
	awk -v n="$2" -v f="$3" '
		$0 ~ "^\\.\\\\\" END GENERATED " n "( |$)" { while ((getline l < f) > 0) print l; on = 0 }
		!on { print }
		$0 ~ "^\\.\\\\\" BEGIN GENERATED " n "( |$)" { on = 1 }' "$1" >"$1.new" && mv "$1.new" "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pair in baton.1:commands baton.1:keys baton.conf.5:config; do
	page=man/${pair%%:*} name=${pair##*:}
	n=$((n + 1))
	if ! "$BATON" --man-fragment "$name" >"$tmp/want" 2>"$tmp/err"; then
		echo "not ok $n - $page $name: baton --man-fragment failed"; sed 's/^/#   /' "$tmp/err"
		fail=1; continue
	fi
	if [ $update = 1 ]; then
		replace "$page" "$name" "$tmp/want"
	fi
	section "$page" "$name" >"$tmp/have"
	if [ ! -s "$tmp/have" ]; then
		echo "not ok $n - $page has no generated $name section"; fail=1
	elif cmp -s "$tmp/want" "$tmp/have"; then
		echo "ok $n - $page: the $name section matches the code"
	else
		echo "not ok $n - $page: the $name section differs from the code (run tests/regress/console-man.sh --update)"
		diff "$tmp/have" "$tmp/want" | head -20 | sed 's/^/#   /'
		fail=1
	fi
done
# Every option the code reads is in the table (an unknown key is a logged
# error and a zero at run time, easy to miss).
n=$((n + 1))
"$BATON" --help-config | awk '/^[a-z]/ { print $1 }' | sort -u >"$tmp/table"
grep -rhoE 'config_get_(str|int|bool)\([^,]+, *"[^"]+"' src/ | sed -E 's/.*"([^"]+)"$/\1/' | sort -u >"$tmp/read"
missing=$(comm -23 "$tmp/read" "$tmp/table")
if [ -z "$missing" ]; then
	echo "ok $n - every option the code reads is in the option table"
else
	echo "not ok $n - options read by the code but missing from config.c's table: $missing"
	fail=1
fi
echo "1..$n"
exit $fail

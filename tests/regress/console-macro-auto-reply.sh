#!/usr/bin/env bash
# console-macro-auto-reply.sh: contrib/scripts/auto-reply.sh against a
# stand-in for baton that replays events and records every command line it
# is asked to run. Checks what the script picks (late order_problem
# escalations only), its money guard (a plan with a money step is released
# untouched unless --allow-money), its handback, its refusal of ids that are
# not protocol ids, and --dry-run. (Against the real console and hub once
# `baton --follow` and the macro command are wired: see the macros task
# notes.) Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
SCRIPT=$PWD/contrib/scripts/auto-reply.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-auto-reply.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() {	# cond-exit-status what [detail-file]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/#   /' "$3" | head -30
	fi
}

if ! command -v jq >/dev/null; then
	echo "1..1"
	echo "not ok 1 - jq is needed by contrib/scripts/auto-reply.sh (apt-get install jq)"
	exit 1
fi

old=$(date -u -d '-9 days' +%Y-%m-%dT%H:%M:%S.000Z)
new=$(date -u -d '-1 days' +%Y-%m-%dT%H:%M:%S.000Z)
conv() {	# id reason status placed_at
	printf '{"id":"%s","state":"queued","priority":"normal","channel":"web","created_at":"%s",' "$1" "$new"
	printf '"version":1,"escalation":{"reason":{"code":"%s"}},' "$2"
	printf '"customer":{"id":"cu-1","name":"Bo","orders":[{"id":"o-1","placed_at":"%s",' "$4"
	printf '"status":"%s","total_minor":100,"currency":"EUR","items":[]},' "$3"
	printf '{"id":"o-0","placed_at":"2025-01-01T00:00:00Z","status":"delivered","total_minor":1,'
	printf '"currency":"EUR","items":[]}]}}'
}
ev() {	# seq kind conversation-json
	printf '{"type":"event","seq":%d,"kind":"%s","at":"%s","body":{"conversation":%s}}\n' "$1" "$2" "$new" "$3"
}
{
	ev 1 conversation.queued "$(conv c-late order_problem shipped "$old")"
	ev 2 conversation.queued "$(conv c-fresh order_problem shipped "$new")"
	ev 3 conversation.queued "$(conv c-packing order_problem processing "$old")"
	ev 4 conversation.queued "$(conv c-discount discount_request shipped "$old")"
	ev 5 conversation.assigned "$(conv c-late2 order_problem shipped "$old")"
	ev 6 conversation.queued "$(conv 'c-x;quit' order_problem shipped "$old")"
	echo 'not json at all'
} >"$tmp/events"

# The stand-in: --follow replays the events; -e records the line and
# answers like baton -e does. FAKE_PLAN chooses the macro's plan.
cat >"$tmp/baton" <<'EOF'
#!/usr/bin/env bash
if [ "$1" = --follow ]; then cat "$FAKE_EVENTS"; exit 0; fi
[ "$1" = -e ] || exit 9
printf '%s\n' "$2" >>"$FAKE_LOG"
case $2 in
*"macro --plan"*)
	case $FAKE_PLAN in
	money) printf '{"cmd":"macro","status":"ok","plan":[{"kind":"reply","what":"reply","money":false},{"kind":"command","what":"discount 10%% on o-1 (0.10 EUR)","text":"discount 10%% o-1 late","money":true},{"kind":"command","what":"hand back","text":"handback resolved x","money":false}]}\n' ;;
	plain) printf '{"cmd":"macro","status":"ok","plan":[{"kind":"reply","what":"reply","text":"Hi","money":false}]}\n' ;;
	broken) printf '{"cmd":"macro","status":"error","error":{"code":"usage","message":"{{order.tracking}}: order o-1 has no tracking number yet"}}\n'; exit 1 ;;
	esac ;;
*) printf '{"cmd":"x","status":"ok"}\n' ;;
esac
EOF
chmod 755 "$tmp/baton"
export BATON="$tmp/baton" FAKE_EVENTS="$tmp/events" FAKE_LOG="$tmp/log"

echo "1..10"

# 1. A plan without money: claimed, run, handed back; nothing else touched.
: >"$tmp/log"
FAKE_PLAN=plain "$SCRIPT" --macro order-status 2>"$tmp/err"
printf 'claim c-late\nopen c-late; macro --plan order-status\nopen c-late; macro order-status\nopen c-late; handback resolved auto-reply: late order answered with macro order-status\n' >"$tmp/want"
diff -u "$tmp/want" "$tmp/log" >"$tmp/diff"
ok $? "only the late order_problem escalation is claimed, answered and handed back" "$tmp/diff"
grep -q 'c-late: answered with macro order-status and handed back' "$tmp/err"
ok $? "it logs what it did" "$tmp/err"
grep -q 'skipped an escalation whose id is not a protocol id' "$tmp/err"
ok $? "an id with ';' never reaches a command line" "$tmp/err"

# 2. A plan with money, no flag: released untouched.
: >"$tmp/log"
FAKE_PLAN=money "$SCRIPT" --macro late-apology 2>"$tmp/err"
printf 'claim c-late\nopen c-late; macro --plan late-apology\nopen c-late; release\n' >"$tmp/want"
diff -u "$tmp/want" "$tmp/log" >"$tmp/diff"
ok $? "a macro with a money step is not run without --allow-money; the conversation is released" "$tmp/diff"
grep -q 'moves money (1 step(s)); not without --allow-money' "$tmp/err"
ok $? "the refusal says why" "$tmp/err"
! grep -q 'macro late-apology$' "$tmp/log"
ok $? "the macro itself never ran" "$tmp/log"

# 3. With --allow-money: run; the macro hands back itself, so no second handback.
: >"$tmp/log"
FAKE_PLAN=money "$SCRIPT" --macro late-apology --allow-money 2>"$tmp/err"
printf 'claim c-late\nopen c-late; macro --plan late-apology\nopen c-late; macro late-apology\n' >"$tmp/want"
diff -u "$tmp/want" "$tmp/log" >"$tmp/diff"
ok $? "--allow-money runs it; a macro that hands back is not handed back twice" "$tmp/diff"

# 4. A plan that cannot be filled: released for a person, with the reason.
: >"$tmp/log"
FAKE_PLAN=broken "$SCRIPT" 2>"$tmp/err"
grep -q 'open c-late; release' "$tmp/log" && grep -q 'has no tracking number yet' "$tmp/err"
ok $? "a plan error releases the conversation and logs the reason" "$tmp/err"

# 5. --dry-run touches nothing.
: >"$tmp/log"
FAKE_PLAN=plain "$SCRIPT" --dry-run 2>"$tmp/err"
[ ! -s "$tmp/log" ] && grep -q 'c-late: late order; would claim it' "$tmp/err"
ok $? "--dry-run runs no command" "$tmp/err"

# 6. Bad options are refused before anything runs.
: >"$tmp/log"
"$SCRIPT" --macro 'x; quit' 2>/dev/null
rc=$?
[ $rc -eq 2 ] && [ ! -s "$tmp/log" ]
ok $? "a macro name that is not a name is refused (exit 2)"

[ $failed -eq 0 ]

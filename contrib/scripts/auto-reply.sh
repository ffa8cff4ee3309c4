#!/usr/bin/env bash
# auto-reply.sh: answer late-order escalations without a person.
#
# Follows the hub's events (baton --follow: the queue as it is, then every
# event, as JSON lines). For every escalation queued
# with reason order_problem whose most recent order is "shipped" and was
# placed at least --min-days days ago (a late order), it
#   1. claims the conversation           baton -e 'claim ID'
#   2. reads the macro's plan            baton -e 'open ID; macro --plan NAME'
#   3. runs the macro                    baton -e 'open ID; macro NAME'
#   4. hands it back to the bot          baton -e 'open ID; handback resolved …'
#      (unless the macro hands back itself).
# Every other escalation is left alone for the people on shift.
#
# Safety. It never moves money unless run with --allow-money: when the
# macro's plan holds a money step (discount, return, label) and the flag is
# not given, the conversation is released back to the queue untouched and
# the reason is logged. Conversation ids are checked against the protocol's
# id characters before they go into a command line. --dry-run claims
# nothing and says what it would do.
#
# Usage:
#   auto-reply.sh [--macro NAME] [--min-days N] [--allow-money] [--dry-run]
#     --macro NAME    the macro that answers (default: order-status, which
#                     sends the tracking number; late-apology adds 10 % and
#                     therefore needs --allow-money)
#     --min-days N    how old a shipped order must be to count as late (4)
#     --allow-money   let the macro's discount/return/label steps run
#     --dry-run       claim nothing; print what would be done
# Environment: BATON (the baton program, default: baton), and what baton
# itself reads: BATON_URL, BATON_TOKEN_FILE. Log lines go to stderr.
# Needs bash, jq and date (GNU).
set -u

BATON=${BATON:-baton}
MACRO=order-status
MIN_DAYS=4
ALLOW_MONEY=0
DRY_RUN=0

usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--macro) [ $# -ge 2 ] || usage; MACRO=$2; shift 2 ;;
	--min-days) [ $# -ge 2 ] || usage; MIN_DAYS=$2; shift 2 ;;
	--allow-money) ALLOW_MONEY=1; shift ;;
	--dry-run) DRY_RUN=1; shift ;;
	-h|--help) usage ;;
	*) echo "auto-reply: unknown option $1 (--help lists them)" >&2; exit 2 ;;
	esac
done
case $MACRO in
*[!a-z0-9_-]*|'') echo "auto-reply: --macro: a macro name is a-z, 0-9, - and _" >&2; exit 2 ;;
esac
case $MIN_DAYS in
*[!0-9]*|'') echo "auto-reply: --min-days takes a whole number of days" >&2; exit 2 ;;
esac
command -v jq >/dev/null || { echo "auto-reply: needs jq (apt-get install jq)" >&2; exit 2; }

log() {
	printf '%s auto-reply: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# Runs baton -e; prints its JSON lines; fails if any line reports an error
# or a rejection.
run() {
	local out
	out=$("$BATON" -e "$1" 2>/dev/null </dev/null)
	local rc=$?
	printf '%s\n' "$out"
	[ $rc -eq 0 ] || return 1
	! printf '%s\n' "$out" | jq -e 'select(.status == "error" or .status == "rejected")' \
		>/dev/null 2>&1
}

# One line of baton --follow: the ids of late order_problem escalations in
# it. A conversation.queued event names one; the snapshot line at the start
# ({"event":"snapshot","queue":[…],…}) lists those already waiting.
late_order_ids() {
	jq -r --argjson days "$MIN_DAYS" '
		(if (.queue | type) == "array" then .queue[]
		 elif (.kind // .event) == "conversation.queued" then .body.conversation
		 else empty end)
		| select(.escalation.reason.code == "order_problem")
		| select(((.customer.orders // []) | length) > 0)
		| (.customer.orders | max_by(.placed_at)) as $o
		| select($o.status == "shipped")
		| select(($o.placed_at | sub("\\.[0-9]+"; "") | fromdateiso8601)
			 <= (now - $days * 86400))
		| .id' 2>/dev/null
}

handle() {	# conversation id
	local id=$1 plan money handback
	if ! [[ $id =~ ^[A-Za-z0-9._:-]{1,64}$ ]]; then
		log "skipped an escalation whose id is not a protocol id"
		return
	fi
	if [ $DRY_RUN -eq 1 ]; then
		log "$id: late order; would claim it and answer with macro $MACRO"
		return
	fi
	if ! run "claim $id" >/dev/null; then
		log "$id: could not claim it (someone was faster?); left alone"
		return
	fi
	if ! plan=$(run "open $id; macro --plan $MACRO"); then
		log "$id: macro $MACRO cannot be planned here: $(printf '%s\n' "$plan" |
			jq -r 'select(.status == "error") | .error.message // .text' | head -1);" \
			"released for a person"
		run "open $id; release" >/dev/null
		return
	fi
	money=$(printf '%s\n' "$plan" | jq -r 'select(.plan) | [.plan[] | select(.money)] | length' |
		head -1)
	handback=$(printf '%s\n' "$plan" | jq -r 'select(.plan) |
		[.plan[] | select(.kind == "command" and (.text // .what | startswith("handback")))]
		| length' | head -1)
	if [ "${money:-0}" != 0 ] && [ $ALLOW_MONEY -eq 0 ]; then
		log "$id: macro $MACRO moves money ($money step(s)); not without --allow-money;" \
			"released for a person"
		run "open $id; release" >/dev/null
		return
	fi
	if ! run "open $id; macro $MACRO" >/dev/null; then
		log "$id: macro $MACRO failed; the conversation stays with you for a person to finish"
		return
	fi
	if [ "${handback:-0}" = 0 ]; then
		if ! run "open $id; handback resolved auto-reply: late order answered with macro $MACRO" \
			>/dev/null; then
			log "$id: answered, but the handback failed; finish it by hand"
			return
		fi
	fi
	log "$id: answered with macro $MACRO and handed back"
}

log "following the hub; answering late orders (shipped >= $MIN_DAYS days) with macro $MACRO" \
	"$([ $ALLOW_MONEY -eq 1 ] && echo '(money allowed)' || echo '(no money)')"
"$BATON" --follow </dev/null | while IFS= read -r line; do
	printf '%s\n' "$line" | late_order_ids | while IFS= read -r id; do
		handle "$id"
	done
done

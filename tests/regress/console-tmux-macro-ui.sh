#!/usr/bin/env bash
# console-tmux-macro-ui.sh: the macros picker in the real baton (tmux,
# 120x40) against the real batond.
#
# `:macros` with no filter opens the filter-as-you-type picker; typing
# narrows it (the other macros go, the count says so); Esc closes it and
# nothing runs; Enter on a single-reply macro puts the reply into the
# compose area as a draft (nothing is sent: the hub has no agent message);
# a macro that asks for answers ({{ask:…}}) is put on the ':' line instead;
# a macro's own key (greeting's F1) runs it. Prints TAP.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cat >"$TMP/esc.json" <<JSON
{"external_id":"web-9101","channel":"web","language":"en","priority":"normal",
 "escalation":{"reason":{"code":"order_problem","text":"parcel late"},"summary":"Late parcel."},
 "customer":{"id":"cu-9101","name":"Ayşe Yılmaz","tier":"gold",
   "orders":[{"id":"o-9101","placed_at":"$NOW","status":"shipped","total_minor":8990,
     "currency":"EUR","carrier":"DHL","tracking":"JJD0099","items":[{"sku":"SNK-42",
     "name":"Trail runner 42","qty":1,"price_minor":8990}]}]},
 "transcript":[{"from":"customer","text":"Where is my parcel?","at":"$NOW"}]}
JSON
CONV=$(post /v1/escalations "$TMP/esc.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
check "the escalation is accepted ($CONV)" test -n "$CONV"
agent_msgs() {
	hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(sum(1 for m in d.get("transcript",[]) if m["from"]=="agent"))' 2>/dev/null
}

mkdir -p "$TMP/cfg/baton"
cp -r contrib/macros "$TMP/cfg/baton/macros"
NMACROS=$(ls "$TMP/cfg/baton/macros" | wc -l)
console_start || { not_ok "baton starts in tmux"; finish; }
check "the escalation is queued" wait_for "Ayşe Yılmaz" 10
keys j
sleep 0.2
keys Enter
check "j and Enter claim it" wait_for "Claimed $CONV" 10

# The picker: every macro, then filtered as the agent types.
typed ":macros"
keys Enter
check ":macros opens the picker with every macro" wait_for "(${NMACROS} of ${NMACROS})"
check "a row shows the name, the key and the description" wait_for "greeting             F1"
typed "apolog"
check "typing filters: the title shows the filter" wait_for "Macros: apolog (1 of ${NMACROS})"
check "the matching macro is listed" wait_for "late-apology"
! screen | grep -q "greeting             F1"
check "the others are gone" test $? -eq 0
keys Escape
sleep 0.4
! screen | grep -q "Macros: "
check "Esc closes the picker" test $? -eq 0
check "and nothing was sent ($(agent_msgs))" test "$(agent_msgs)" = 0

# Enter runs a single-reply macro: a draft, not a sent message.
typed ":macros"
keys Enter
check "the picker opens again, unfiltered" wait_for "Macros: type to filter"
typed "greet"
check "greet leaves one" wait_for "Macros: greet (1 of ${NMACROS})"
keys Enter
check "Enter puts the greeting into the compose area as a draft" wait_for "Hi Ayşe, I'm Ana Kaya"
! screen | grep -q "Macros: "
check "the picker is closed" test $? -eq 0
sleep 0.5
check "nothing was sent: the draft waits for the agent ($(agent_msgs))" test "$(agent_msgs)" = 0

# A macro that asks for answers goes to the ':' line for them.
keys Escape
sleep 0.3
typed ":macros"
keys Enter
check "the picker opens a third time" wait_for "Macros: type to filter"
typed "return-label"
check "return-label is found" wait_for "Macros: return-label (1 of"
keys Enter
check "a macro that asks is put on the : line with its name" wait_for ":macro return-label"
keys Escape
sleep 0.3
check "still nothing sent ($(agent_msgs))" test "$(agent_msgs)" = 0

# With a filter, :macros lists (as before) instead of picking.
typed ":macros late"
keys Enter
check ":macros FILTER lists the matches" wait_for "Macros (run one with: macro NAME)"
keys Escape
finish

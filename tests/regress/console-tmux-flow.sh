#!/usr/bin/env bash
# console-tmux-flow.sh: an agent's whole job on the real screen.
#
# A bot escalates (POST /v1/escalations) to the real batond; the real baton
# runs in tmux at 120x40. Checked on screen (capture-pane) and in the hub
# (GET /v1/conversations/ID): the escalation with its summary, attempted
# solutions and order history; claim; chat both ways; discount, return and
# label through their confirm dialogs; handback.
cd "$(dirname "$0")/../.." || exit 1
. tests/regress/console-tmux-lib.sh

tokens || { not_ok "tokens"; finish; }
hub_start || { not_ok "batond starts"; finish; }
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cat >"$TMP/esc.json" <<JSON
{"external_id":"web-7001","channel":"web","language":"tr","priority":"high",
 "escalation":{"reason":{"code":"discount_request","text":"wants money back"},
   "confidence":0.41,"sentiment":-0.6,
   "summary":"Ayşe's trail sneakers (o-5521) arrived scuffed; she wants a refund.",
   "attempted":[{"step":"offered a 10% coupon","outcome":"declined","detail":"wants a refund","at":"$NOW"}]},
 "customer":{"id":"cu-77","name":"Ayşe Yılmaz","tier":"gold","since":"2019-03-02T10:00:00.000Z",
   "lifetime_value_minor":123400,"currency":"EUR",
   "orders":[{"id":"o-5521","placed_at":"2026-11-10T09:00:00.000Z","delivered_at":"2026-11-18T09:00:00.000Z",
     "status":"delivered","total_minor":8999,"currency":"EUR","tracking":"1Z999",
     "items":[{"sku":"SNK-9-BLK","name":"Trail sneaker, 9, black","qty":1,"price_minor":8999}]}]},
 "transcript":[{"from":"customer","text":"Merhaba, ayakkabılarım çizik geldi.","at":"$NOW"},
   {"from":"bot","text":"I can offer 10% off your next order.","at":"$NOW"}]}
JSON
resp=$(post /v1/escalations "$TMP/esc.json")
CONV=$(printf '%s' "$resp" | $PY -c 'import json,sys; print(json.load(sys.stdin)["conversation"])' 2>/dev/null)
check "the bot's escalation is accepted ($CONV)" test -n "$CONV"
[ -n "$CONV" ] || { echo "# $resp"; finish; }

console_start || { not_ok "baton starts in tmux"; finish; }
check "the escalation appears in the queue" wait_for "Ayşe Yılmaz" 10
check "connected" wait_for "connected"
keys j
check "its context shows the bot's summary" wait_for "arrived scuffed"
check "and what the bot tried, with the outcome" wait_for "offered a 10% coupon"
keys 3 G
check "and the order history with items" wait_for "Trail sneaker, 9, black"
keys 1
keys Enter
check "Enter claims it" wait_for "Claimed $CONV"
check "the transcript shows the customer and the bot" wait_for "bot: I can offer 10% off"
st=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(d["state"], d.get("assignee"))' 2>/dev/null)
check "the hub has it assigned to ana ($st)" test "$st" = "assigned ana"

# Chat both ways.
cat >"$TMP/msg.json" <<JSON
{"from":"customer","text":"Hâlâ bekliyorum 🙁 — 还在等"}
JSON
post "/v1/conversations/$CONV/messages" "$TMP/msg.json" >/dev/null
check "a customer message arrives on screen" wait_for "Hâlâ bekliyorum"
keys c
typed "Çok üzgünüm Ayşe, hemen yardımcı oluyorum."
keys Enter
check "the agent's message shows as sent" wait_for "you: Çok üzgünüm Ayşe"
sleep 0.5
got=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(sum(1 for m in d.get("transcript",[]) if m["from"]=="agent" and m["text"].startswith("Çok üzgünüm")))' 2>/dev/null)
check "the hub has the agent's message exactly once ($got)" test "$got" = 1
# A multi-line paste (bracketed, as terminals paste) asks before it goes in.
tmux -L "$SOCK" set-buffer "$(printf 'Order o-5521:\nrefund on its way')"
tmux -L "$SOCK" paste-buffer -p
check "a multi-line paste asks first" wait_for "Paste several lines?"
keys y
keys Enter
check "the pasted lines are sent as one message" wait_for "refund on its way"
sleep 0.5
got=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(sum(1 for m in d.get("transcript",[]) if m["text"]=="Order o-5521:\nrefund on its way"))' 2>/dev/null)
check "the hub has it with its line break ($got)" test "$got" = 1
keys Escape
sleep 0.3	# past the Esc delay, so ":" is not read as meta-:

# Money: discount, return (picking the item), label — each confirmed.
typed ":discount 10% damaged in transit"
keys Enter
check "discount asks first, with the cap" wait_for "Your cap"
keys y
check "the discount's code is shown" wait_for "code BTN-"
keys R
check "R lists the order's items to return" wait_for "SNK-9-BLK  Trail sneaker"
keys Space Enter
check "the : line is prefilled with the return" wait_for ":return o-5521 SNK-9-BLK:1 -- "
typed "scuffed on arrival"
keys Enter
check "the return asks first" wait_for "Authorize a return?"
keys y
check "the RMA is shown" wait_for "Done in $CONV: return rma-"
RMA=$(screen | grep -o 'return rma-[A-Za-z0-9._:-]*' | head -1 | cut -d' ' -f2)
typed ":label $RMA"
keys Enter
check "the label asks first" wait_for "Create a return label?"
keys y
check "the label's tracking is shown" wait_for "tracking"
acts=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(" ".join(sorted(a["kind"]+":"+a["status"] for a in d.get("actions",[]))))' 2>/dev/null)
check "the hub applied discount, return and label ($acts)" test "$acts" = "discount:applied label:applied return:applied"

typed ":handback resolved refund by return, coupon given"
keys Enter
check "handback shows" wait_for "Handed $CONV back"
st=$(hub_get "/v1/conversations/$CONV" | $PY -c 'import json,sys; d=json.load(sys.stdin); d=d.get("conversation",d); print(d["state"])' 2>/dev/null)
check "the hub has it handed back ($st)" test "$st" = "handed_back"

# ? shows help built from the command table.
keys '?'
check "? shows the key bindings" wait_for "enter        select"
keys G
check "and the commands, from the command table" wait_for "handback resolved|unresolved|follow_up NOTE"
keys q
keys q
check "q quits and the terminal is restored" wait_for_exit
finish

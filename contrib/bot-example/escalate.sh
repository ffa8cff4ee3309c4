#!/bin/sh
# escalate.sh: a bot handing a conversation to batond, with nothing but curl.
#
#   BATON_BOT_TOKEN=$(batond --db batond.db token add --id shopbot --role bot --name "Shop bot") \
#       contrib/bot-example/escalate.sh
#
# Environment:
#   BATON_BOT_TOKEN  the bot's token (required; see README.md)
#   BATON_HUB        the hub's address (default http://127.0.0.1:7300)
#   CALLBACK_URL     where the hub sends webhooks (default http://127.0.0.1:8088/webhook,
#                    webhook-receiver.py's address; set it empty to send none)
#   EXTERNAL_ID      the bot's own id for this conversation (default: made up from the time)
#
# Steps, as PROTOCOL.md "Bot side" describes them:
#   1. POST /v1/escalations            -> 201 {"conversation":"c-…","state":"queued"}
#   2. the same again                  -> 200, the same conversation (idempotent)
#   3. POST /v1/conversations/{id}/messages  {"from":"customer","text":…} -> 202
#   4. GET  /v1/conversations/{id}     -> the conversation as the hub has it
set -eu

hub=${BATON_HUB:-http://127.0.0.1:7300}
hub=${hub%/}
callback=${CALLBACK_URL-http://127.0.0.1:8088/webhook}
external_id=${EXTERNAL_ID:-shopbot-$(date +%s)}

if [ -z "${BATON_BOT_TOKEN:-}" ]; then
	echo "escalate.sh: set BATON_BOT_TOKEN to a bot token:" >&2
	echo "  BATON_BOT_TOKEN=\$(batond --db batond.db token add --id shopbot --role bot --name 'Shop bot')" >&2
	exit 2
fi
command -v curl >/dev/null || { echo "escalate.sh: needs curl (apt-get install curl)" >&2; exit 2; }

# The token goes in a header read from a private file, so it never shows
# in `ps` (curl's command line) and never in a URL.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
umask 077
printf 'Authorization: Bearer %s\n' "$BATON_BOT_TOKEN" > "$tmp/auth"

# call METHOD PATH [BODY-FILE]: prints the body, sets $status.
call() {
	if [ $# -ge 3 ]; then
		status=$(curl -sS -o "$tmp/out" -w '%{http_code}' -X "$1" -H @"$tmp/auth" \
			-H 'Content-Type: application/json' --data-binary @"$3" "$hub$2") || status=000
	else
		status=$(curl -sS -o "$tmp/out" -w '%{http_code}' -X "$1" -H @"$tmp/auth" "$hub$2") || status=000
	fi
	cat "$tmp/out" 2>/dev/null || true
	echo
}

# Pulls one string field out of a JSON object (python3 is on every Debian).
field() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")' \
		"$tmp/out" "$1"
}

now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
earlier=$(date -u -d '-3 minutes' +%Y-%m-%dT%H:%M:%S.000Z 2>/dev/null || echo "$now")
placed=$(date -u -d '-12 days' +%Y-%m-%dT%H:%M:%S.000Z 2>/dev/null || echo "$now")
delivered=$(date -u -d '-9 days' +%Y-%m-%dT%H:%M:%S.000Z 2>/dev/null || echo "$now")
cb=""
[ -n "$callback" ] && cb="\"callback_url\": \"$callback\","

# What the bot knows: why it gives up, what it tried, who the customer is,
# and the conversation so far. Times are RFC 3339 UTC, money in minor units.
cat > "$tmp/escalation.json" <<EOF
{
  "external_id": "$external_id",
  $cb
  "channel": "web",
  "language": "en",
  "priority": "high",
  "escalation": {
    "reason": {"code": "discount_request", "text": "Customer wants 25% off; the bot may give at most 10%."},
    "confidence": 0.62,
    "sentiment": -0.4,
    "skills": ["billing"],
    "summary": "Emma Walsh bought the Trail sneaker in order o-5521 (89.99 EUR) and the price dropped two days later. She asks for 25% off; I offered a 10% coupon for a next order and she declined.",
    "attempted": [
      {"step": "offered 10% coupon for next order", "outcome": "declined",
       "detail": "customer wants 25% on order o-5521", "at": "$earlier"}
    ]
  },
  "customer": {
    "id": "cu-77", "name": "Emma Walsh", "email": "emma.walsh@example.com", "tier": "gold",
    "since": "2023-04-02T10:00:00.000Z", "lifetime_value_minor": 123400, "currency": "EUR",
    "orders": [
      {"id": "o-5521", "placed_at": "$placed", "delivered_at": "$delivered", "status": "delivered",
       "total_minor": 8999, "currency": "EUR", "carrier": "DPD", "tracking": "0000000004006381333931",
       "items": [{"sku": "SNK-TRL-39-BLK", "name": "Trail sneaker, 39, black", "qty": 1, "price_minor": 8999}]}
    ],
    "contacts": [], "discounts": [], "returns": []
  },
  "transcript": [
    {"from": "customer", "kind": "public", "text": "Hi, the sneakers I bought are 25% cheaper now. Can I get the difference back?", "at": "$earlier"},
    {"from": "bot", "kind": "public", "text": "I can offer you a 10% coupon for your next order.", "at": "$earlier"},
    {"from": "customer", "kind": "public", "text": "No, I want 25% on this order. Can I talk to a person?", "at": "$earlier"},
    {"from": "bot", "kind": "public", "text": "I'm passing you to a colleague from our team.", "at": "$now"}
  ]
}
EOF

echo "== 1. POST $hub/v1/escalations (external_id $external_id)"
call POST /v1/escalations "$tmp/escalation.json"
case $status in
201) ;;
200) echo "   (200: the hub already had $external_id; this is the same conversation)" ;;
000) echo "escalate.sh: no answer from $hub: is batond running there?" >&2; exit 1 ;;
401) echo "escalate.sh: 401: the hub does not accept this token; make one with --role bot" >&2; exit 1 ;;
*) echo "escalate.sh: the hub answered $status (the body above says why)" >&2; exit 1 ;;
esac
conv=$(field conversation)
echo "   conversation $conv"

echo "== 2. the same escalation again: idempotent on external_id"
call POST /v1/escalations "$tmp/escalation.json"
if [ "$status" != 200 ] || [ "$(field conversation)" != "$conv" ]; then
	echo "escalate.sh: expected 200 and $conv, got $status" >&2
	exit 1
fi

echo "== 3. POST $hub/v1/conversations/$conv/messages (the customer writes again)"
printf '{"from":"customer","text":"Are you still there? I have the receipt here."}\n' > "$tmp/msg.json"
call POST "/v1/conversations/$conv/messages" "$tmp/msg.json"
[ "$status" = 202 ] || { echo "escalate.sh: expected 202, got $status" >&2; exit 1; }

echo "== 4. GET $hub/v1/conversations/$conv"
call GET "/v1/conversations/$conv" >/dev/null
[ "$status" = 200 ] || { echo "escalate.sh: expected 200, got $status" >&2; cat "$tmp/out" >&2; exit 1; }
/usr/bin/python3 -m json.tool "$tmp/out" 2>/dev/null || cat "$tmp/out"

echo
echo "Done. An agent can now claim $conv in baton; webhooks go to ${callback:-(none)}."

'use strict';
/*
 * relay.js: the baseline bench/hub-load compares batond against, written the
 * way such a hub usually is (Node's http + npm's ws), with no store.
 *
 * It has the same shape as the hub's delivery path, so the load generator
 * drives it with the very same bytes it sends to batond:
 *   - agents open ws://HOST:PORT/v1/stream (subprotocol baton.v1), send
 *     {"type":"hello","token":…} and get welcome + snapshot (the token is
 *     taken as the agent id: there is no auth store);
 *   - POST /v1/escalations → 201 {"conversation":"c-N","state":"queued"}
 *     (idempotent on external_id, like the hub);
 *   - {"type":"cmd","op":"claim","args":{"conv":…}} makes the sender the
 *     owner → result ok (already_claimed if another connection owns it);
 *   - POST /v1/conversations/{id}/messages {"from":"customer","text":…} → 202,
 *     and an {"type":"event","kind":"message",…} frame to the owner.
 * Anything else: 404 / an error frame. Nothing is persisted: this is the
 * floor a hub's delivery cost is measured against.
 *
 * usage: node relay.js [--host 127.0.0.1] [--port 7301]
 */
const http = require('http');
const { WebSocketServer } = require('ws');

const MAX_BODY = 65536;
const MAX_CONVS = 1000000;

function parseArgs(argv) {
  const o = { host: '127.0.0.1', port: 7301 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--host' && i + 1 < argv.length) o.host = argv[++i];
    else if (a === '--port' && i + 1 < argv.length) o.port = Number(argv[++i]);
    else {
      process.stderr.write(`relay-node: unknown argument "${a}"; usage: node relay.js [--host H] [--port P]\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    process.stderr.write('relay-node: --port takes a number 0..65535\n');
    process.exit(2);
  }
  return o;
}

const opts = parseArgs(process.argv);
const convs = new Map();      /* "c-N" → { owner: ws|null } */
const byExternal = new Map(); /* external_id → "c-N" */
let nextConv = 1;
let nextSession = 1;
let seq = 0;

function reply(res, code, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function httpError(res, code, ecode, message) {
  reply(res, code, { error: { code: ecode, message } });
}

function handlePost(req, res, body) {
  let doc;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return httpError(res, 400, 'bad_request', 'the body is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return httpError(res, 400, 'bad_request', 'the body must be a JSON object');

  if (req.url === '/v1/escalations') {
    if (typeof doc.external_id === 'string' && byExternal.has(doc.external_id))
      return reply(res, 200, { conversation: byExternal.get(doc.external_id), state: 'queued' });
    if (convs.size >= MAX_CONVS)
      return httpError(res, 503, 'internal', 'too many conversations for this relay');
    const id = 'c-' + nextConv++;
    convs.set(id, { owner: null });
    if (typeof doc.external_id === 'string') byExternal.set(doc.external_id, id);
    return reply(res, 201, { conversation: id, state: 'queued' });
  }

  const m = /^\/v1\/conversations\/([A-Za-z0-9._:-]{1,64})\/messages$/.exec(req.url);
  if (m) {
    const conv = convs.get(m[1]);
    if (!conv) return httpError(res, 404, 'not_found', 'no such conversation');
    if (doc.from !== 'customer' || typeof doc.text !== 'string' || doc.text.length === 0)
      return httpError(res, 400, 'bad_request', 'expected {"from":"customer","text":"…"}');
    seq++;
    const at = new Date().toISOString();
    const msg = {
      id: 'm-' + seq, conv: m[1], from: 'customer', author: null, kind: 'public',
      text: doc.text, at,
    };
    if (conv.owner && conv.owner.readyState === conv.owner.OPEN)
      conv.owner.send(JSON.stringify({
        type: 'event', seq, kind: 'message', conv: m[1], at, body: { message: msg },
      }));
    return reply(res, 202, { message: msg.id });
  }
  return httpError(res, 404, 'not_found', 'no such endpoint');
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { ok: true });
  if (req.method !== 'POST') return httpError(res, 404, 'not_found', 'no such endpoint');
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) tooLarge = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooLarge) return httpError(res, 413, 'too_large', 'the body is over 65536 bytes');
    handlePost(req, res, Buffer.concat(chunks).toString('utf8'));
  });
});
/* The bot keeps its connections between phases of a run. */
server.keepAliveTimeout = 120000;
server.headersTimeout = 121000;
server.requestTimeout = 0;

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: MAX_BODY,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has('baton.v1') ? 'baton.v1' : false),
});

server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/v1/stream') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => onStream(ws));
});

function sendError(ws, code, message) {
  ws.send(JSON.stringify({ type: 'error', code, message }));
}

function onStream(ws) {
  let agent = null;
  const owned = [];
  ws.on('message', (data, isBinary) => {
    let f;
    if (isBinary) return sendError(ws, 'bad_request', 'frames are text');
    try {
      f = JSON.parse(data.toString('utf8'));
    } catch (e) {
      return sendError(ws, 'bad_request', 'the frame is not valid JSON');
    }
    if (typeof f !== 'object' || f === null) return sendError(ws, 'bad_request', 'expected an object');
    if (f.type === 'hello') {
      agent = typeof f.token === 'string' ? f.token : 'anonymous';
      ws.send(JSON.stringify({
        type: 'welcome', v: 1, session: 's-' + nextSession++,
        agent: { id: agent, name: agent, role: 'agent', skills: [] },
        limits: {
          discount_percent_max: 15, discount_amount_max_minor: 5000, currency: 'EUR',
          max_frame_bytes: MAX_BODY, max_active: 3,
        },
        head: seq, resume: 'snapshot',
      }));
      ws.send(JSON.stringify({ type: 'snapshot', upto: seq, queue: [], mine: [], approvals: [] }));
      return;
    }
    if (agent === null) {
      sendError(ws, 'unauthorized', 'send hello first');
      ws.close(4401);
      return;
    }
    if (f.type !== 'cmd') return sendError(ws, 'bad_request', 'unknown frame type');
    const id = f.args && f.args.conv;
    const conv = typeof id === 'string' ? convs.get(id) : undefined;
    const result = { type: 'result', cmd_id: f.cmd_id, status: 'rejected' };
    if (f.op !== 'claim') {
      result.error = { code: 'unknown_op', message: 'this relay knows claim only' };
    } else if (!conv) {
      result.error = { code: 'not_found', message: 'no such conversation' };
    } else if (conv.owner && conv.owner !== ws) {
      result.error = { code: 'already_claimed', message: 'another agent has it' };
    } else {
      conv.owner = ws;
      owned.push(id);
      result.status = 'ok';
      result.body = { conversation: { id, state: 'assigned', assignee: agent } };
    }
    ws.send(JSON.stringify(result));
  });
  ws.on('close', () => {
    for (const id of owned) {
      const conv = convs.get(id);
      if (conv && conv.owner === ws) conv.owner = null;
    }
  });
  ws.on('error', () => {});
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  /* Open keep-alive and ws sockets would hold the process up: go now. */
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.on('error', (e) => {
  process.stderr.write(`relay-node: cannot listen on ${opts.host}:${opts.port}: ${e.message}\n`);
  process.exit(1);
});
server.listen(opts.port, opts.host, () => {
  process.stderr.write(`relay-node: listening on ${opts.host}:${server.address().port}\n`);
});

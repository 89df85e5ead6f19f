// DEVELOPMENT MOCK ONLY — not the product. A tiny in-memory stand-in for `tuoke serve` so the web
// UI can be worked on before/without the Rust server: same routes and JSON shapes as
// docs/contracts.md "HTTP API", canned keyword "analysis" and replies (no models here).
// Run: node web/dev/mock.mjs [port]  → prints the URLs and keys. The e2e tests never use it.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'static');
const PORT = Number(process.argv[2] || 8787);
const KEYS = { 'admin-dev-key': 'admin', 'agent-dev-key': 'agent', 'widget-dev-key': 'widget' };
const convs = new Map(); const msgs = new Map(); let seqCounter = 0; let idCounter = 0;
const subs = new Set(); // {res, conv?}
const now = () => new Date().toISOString();
const RULES = [
  [/人工|human|agent|真人/i, 'request_human'], [/多少钱|价格|price|how much/i, 'ask_price'], [/优惠|折扣|discount/i, 'ask_discount'],
  [/买|下单|buy|order/i, 'purchase_intent'], [/电话|微信|1\d{10}/i, 'provide_contact'], [/你好|hello|hi/i, 'greeting'],
];
function analyze(text) {
  const label = (RULES.find(([re]) => re.test(text)) || [null, 'out_of_scope'])[1];
  const entities = [];
  const phone = text.match(/1\d{10}/); if (phone) entities.push({ type: 'phone', text: phone[0], start: 0, end: 0, value: '+86' + phone[0] });
  const qty = text.match(/(\d+)\s*台/); if (qty) entities.push({ type: 'quantity', text: qty[0], start: 0, end: 0, value: { amount: Number(qty[1]), unit: '台' } });
  if (/X20/i.test(text)) entities.push({ type: 'product', text: 'X20', start: 0, end: 0, value: 'yq-vac-x20' });
  const neg = /差|不满|垃圾|bad/i.test(text);
  return { text, normalized: text, language: /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en', dialect: /唔|嘅|係/.test(text) ? 'yue' : 'cmn',
    intent: { label, confidence: 0.87, top_k: [{ label, score: 0.87 }] },
    sentiment: { label: neg ? 'negative' : 'neutral', score: neg ? -0.6 : 0.1, confidence: 0.8 }, entities, explanation: [] };
}
function emit(conv, event, data, id) {
  for (const s of subs) {
    if (s.conv && s.conv !== conv) continue;
    if (!s.conv && s.role === 'widget') continue;
    s.res.write(`${id && s.conv ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify({ conversation_id: conv, ...data })}\n\n`);
  }
}
function addMsg(c, role, text, extra = {}) {
  const m = { id: `m${++idCounter}`, seq: ++c.seqn, role, text, created_at: now(), conversation_id: c.id, ...extra };
  msgs.get(c.id).push(m); c.updated_at = m.created_at; emit(c.id, 'message', m, m.seq); return m;
}
function lead(c) { return { score: c.score, grade: c.score >= 70 ? 'A' : c.score >= 45 ? 'B' : c.score >= 20 ? 'C' : 'D', evidence: c.evidence }; }
function view(c) { return { id: c.id, customer_id: c.customer_id, channel: c.channel, status: c.status, stage: c.stage, state: { stage: c.stage, handed_off: c.status === 'handed_off', slots: {} }, lead: lead(c), created_at: c.created_at, updated_at: c.updated_at }; }
function send(res, code, body) { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); }
const err = (res, code, c, m) => send(res, code, { error: { code: c, message: m } });
const MIME = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.md': 'text/plain' };
function serveFile(res, rel) {
  const p = path.normalize(path.join(STATIC, rel));
  if (!p.startsWith(STATIC) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) return err(res, 404, 'not_found', 'no such file');
  res.writeHead(200, { 'content-type': MIME[path.extname(p)] || 'application/octet-stream' }); fs.createReadStream(p).pipe(res);
}
async function body(req) { let s = ''; for await (const c of req) s += c; try { return JSON.parse(s || '{}'); } catch { return {}; } }
const byCmid = new Map();

http.createServer(async (req, res) => {
  const u = new URL(req.url, 'http://x'); const p = u.pathname;
  if (p === '/widget.js') return serveFile(res, 'widget.js');
  if (p === '/chat') return serveFile(res, 'chat.html');
  if (p === '/dashboard') return serveFile(res, 'dashboard.html');
  if (p.startsWith('/assets/')) return serveFile(res, p.slice(1));
  if (p === '/demo') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<!doctype html><title>shop</title><h1>Demo shop</h1><script src="/widget.js" data-key="widget-dev-key"></script>'); }
  if (!p.startsWith('/v1/')) return err(res, 404, 'not_found', 'no route');
  const key = (req.headers.authorization || '').replace(/^Bearer /, '') || u.searchParams.get('key');
  const role = KEYS[key]; if (!role) return err(res, 401, 'unauthorized', 'missing or bad key');
  const m = p.match(/^\/v1\/conversations\/([^/]+)(\/.*)?$/);
  const c = m && convs.get(m[1]);
  if (m && !c) return err(res, 404, 'not_found', 'no such conversation');
  if (req.method === 'GET' && (p === '/v1/events' || (m && m[2] === '/events'))) {
    if (!m && role === 'widget') return err(res, 403, 'forbidden', 'agent only');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }); res.flushHeaders();
    const after = Number(req.headers['last-event-id'] || u.searchParams.get('after') || 0);
    if (c) for (const x of msgs.get(c.id)) if (x.seq > after) res.write(`id: ${x.seq}\nevent: message\ndata: ${JSON.stringify(x)}\n\n`);
    const s = { res, conv: c && c.id, role }; subs.add(s); req.on('close', () => subs.delete(s)); return;
  }
  if (req.method === 'POST' && p === '/v1/conversations') {
    const b = await body(req); const id = `c${convs.size + 1}`;
    const cv = { id, customer_id: `cu${convs.size + 1}`, channel: b.channel || 'web', status: 'bot', stage: 'greeting', score: 5, evidence: [], created_at: now(), updated_at: now(), seqn: 0, lang: b.language || 'zh', intents: [] };
    convs.set(id, cv); msgs.set(id, []);
    const g = addMsg(cv, 'bot', cv.lang === 'en' ? 'Hello! Welcome to Yunqi Smart Home. Which product would you like to know about?' : '您好！欢迎来到云栖智能家居，请问您想了解哪一款产品？');
    return send(res, 201, { ...view(cv), messages: [g] });
  }
  if (req.method === 'GET' && p === '/v1/conversations') return send(res, 200, { items: [...convs.values()].map(view) });
  if (m && req.method === 'GET' && !m[2]) return send(res, 200, view(c));
  if (m && req.method === 'GET' && m[2] === '/messages') { const after = Number(u.searchParams.get('after') || 0); return send(res, 200, { items: msgs.get(c.id).filter((x) => x.seq > after) }); }
  if (m && req.method === 'POST' && m[2] === '/messages') {
    const b = await body(req); const ck = `${c.id}/${b.client_message_id}`;
    if (b.client_message_id && byCmid.has(ck)) return send(res, 200, byCmid.get(ck));
    if (!b.text || !String(b.text).trim()) return err(res, 400, 'bad_request', 'text is empty');
    const a = analyze(String(b.text)); const cm = addMsg(c, 'customer', b.text, { analysis: a });
    const actions = []; const turn = msgs.get(c.id).filter((x) => x.role === 'customer').length;
    const pts = { ask_price: 15, purchase_intent: 30, provide_contact: 25, ask_discount: 10 }[a.intent.label] || 0;
    if (pts) { c.score = Math.min(100, c.score + pts); c.evidence.push({ turn, signal: a.intent.label, points: pts, detail: `intent ${a.intent.label}` }); emit(c.id, 'lead', { ...lead(c) }); }
    c.stage = { ask_price: 'presentation', purchase_intent: 'closing', provide_contact: 'closing', request_human: 'handoff' }[a.intent.label] || 'discovery';
    let reply = null;
    if (a.intent.label === 'request_human') {
      c.status = 'handed_off'; const summary = { reason: 'request_human', stage: c.stage, needs: ['X20'], slots: {}, score: c.score, grade: lead(c).grade, evidence: c.evidence, sentiment: 0.1, last_turns: [] };
      actions.push({ type: 'handoff', reason: 'request_human', summary }); emit(c.id, 'handoff', { reason: 'request_human', summary }); emit(c.id, 'conversation', { status: c.status, stage: c.stage });
      reply = addMsg(c, 'bot', '好的，正在为您转接人工客服，请稍候。');
    } else if (c.status === 'bot') reply = addMsg(c, 'bot', `（模拟回复）收到：${b.text}`);
    const out = { message: cm, reply_message: reply, reply: reply && { text: reply.text, citations: [] }, actions, analysis: a, state: view(c).state, lead: lead(c) };
    if (b.client_message_id) byCmid.set(ck, out); return send(res, 200, out);
  }
  if (role === 'widget') return err(res, 403, 'forbidden', 'agent only');
  if (m && req.method === 'POST' && m[2] === '/takeover') { c.status = 'handed_off'; emit(c.id, 'conversation', { status: c.status, stage: c.stage }); return send(res, 200, { handoff: { summary: { reason: 'agent_takeover', stage: c.stage, needs: ['X20'], slots: { quantity: 3 }, score: c.score, grade: lead(c).grade, evidence: c.evidence, sentiment: 0.2, last_turns: [] } }, conversation: view(c) }); }
  if (m && req.method === 'POST' && m[2] === '/agent_messages') { const b = await body(req); return send(res, 200, { message: addMsg(c, 'agent', b.text) }); }
  if (m && req.method === 'POST' && m[2] === '/release') { c.status = 'bot'; emit(c.id, 'conversation', { status: c.status, stage: c.stage }); return send(res, 200, { conversation: view(c) }); }
  if (p === '/v1/leads') return send(res, 200, { items: [...convs.values()].map((x) => { const l = msgs.get(x.id).at(-1); return { conversation_id: x.id, customer_id: x.customer_id, ...lead(x), stage: x.stage, status: x.status, last_activity: x.updated_at, last_message: l && l.text }; }) });
  if (p === '/v1/stats') {
    const g = { A: 0, B: 0, C: 0, D: 0 }; const intents = {}; const funnel = {};
    for (const x of convs.values()) { g[lead(x).grade] += 1; funnel[x.stage] = (funnel[x.stage] || 0) + 1; for (const y of msgs.get(x.id)) if (y.analysis) intents[y.analysis.intent.label] = (intents[y.analysis.intent.label] || 0) + 1; }
    const day = now().slice(0, 10);
    return send(res, 200, { leads_by_grade: g, intents, sentiment_by_day: [{ day: '2026-11-25', positive: 2, neutral: 5, negative: 1 }, { day, positive: 1, neutral: 3, negative: 0 }], funnel, conversations_per_day: [{ day: '2026-11-25', n: 3 }, { day, n: convs.size }] });
  }
  if (p === '/v1/company') {
    const company = { id: 'yunqi', name: { zh: '云栖智能家居', en: 'Yunqi Smart Home' }, tagline: { zh: '全屋智能家电', en: 'Smart home appliances' }, hours: { zh: '每天 9:00–21:00', en: 'daily 9:00–21:00' }, contact: { phone: '400-000-7788', email: 'sales@yunqi-home.example' } };
    const products = [{ id: 'yq-vac-x20', name: { zh: '云栖扫拖机器人 X20 Ultra', en: 'Yunqi Robot Vacuum X20 Ultra' }, category: { zh: '扫地机器人', en: 'Robot vacuum' }, price: { amount: 3999, currency: 'CNY' }, features: [{ zh: '8000Pa 大吸力', en: '8000 Pa suction' }], specs: [{ key: { zh: '吸力', en: 'Suction' }, value: { zh: '8000Pa', en: '8000 Pa' } }], delivery: { zh: '48小时发货', en: 'Ships in 48 h' }, warranty: { zh: '整机2年', en: '2 years' }, stock: 120 }];
    return send(res, 200, { company, products, faqs: [{ id: 'faq-1', question: { zh: '支持七天无理由吗？', en: '7-day returns?' }, answer: { zh: '支持。', en: 'Yes.' }, tags: ['returns'] }], competitors: [], playbook: { version: 1, start: 'greet', stages: [{ id: 'greeting', name: { zh: '问候', en: 'Greeting' } }, { id: 'discovery', name: { zh: '需求挖掘', en: 'Needs discovery' } }, { id: 'presentation', name: { zh: '产品介绍', en: 'Presentation' } }, { id: 'closing', name: { zh: '促成', en: 'Closing' } }, { id: 'handoff', name: { zh: '转人工', en: 'Handed to a human' } }], interrupts: [{ when: { intent: 'request_human' }, goto: 'handoff_human' }], nodes: [{ id: 'greet', stage: 'greeting', reply: { cmn: '您好！欢迎来到{company}', en: 'Hello! Welcome to {company}' } }] } });
  }
  return err(res, 404, 'not_found', 'no route');
}).listen(PORT, '127.0.0.1', () => {
  console.log(`mock tuoke on http://127.0.0.1:${PORT}  chat: /chat?key=widget-dev-key  dashboard: /dashboard (agent-dev-key)  host page: /demo`);
});

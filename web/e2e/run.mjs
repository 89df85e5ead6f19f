// End-to-end browser test of the tuoke widget and dashboard in Debian's headless Chromium.
// Driven by crates/tuoke/tests/e2e_browser.rs, which starts `tuoke serve` and passes:
//   TUOKE_BASE_URL      http://127.0.0.1:PORT of the running server
//   TUOKE_WIDGET_KEY    a widget-role API key   } or TUOKE_ADMIN_KEY: then this script creates both
//   TUOKE_AGENT_KEY     an agent-role API key   } with POST /v1/api_keys
//   TUOKE_OUT_DIR       where screenshots go (default: <repo>/test-output/e2e)
//   TUOKE_DOCS_SCREENSHOT  optional: copy the dashboard screenshot there (docs/screenshots/dashboard.png)
//   TUOKE_DOCS_CHAT_SCREENSHOT  optional: copy the chat-with-a-product-card screenshot there
//   TUOKE_CLOSED_BASE_URL  optional: a second server whose company is outside its opening hours now
//                          (same TUOKE_ADMIN_KEY); the call-back form must show there at once
//   TUOKE_HANDOFF_WAIT_SECS  the company's handoff wait (default 8): the form shows after it
//   CHROMIUM_PATH       default /usr/bin/chromium (never downloads a browser)
// Exit status 0 = every scenario passed and the browser logged no console error.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.TUOKE_BASE_URL || '').replace(/\/$/, '');
let WIDGET_KEY = process.env.TUOKE_WIDGET_KEY || '';
let AGENT_KEY = process.env.TUOKE_AGENT_KEY || '';
const ADMIN_KEY = process.env.TUOKE_ADMIN_KEY || '';
const OUT = process.env.TUOKE_OUT_DIR || path.join(here, '..', '..', 'test-output', 'e2e');
const DOCS_SHOT = process.env.TUOKE_DOCS_SCREENSHOT || '';
const DOCS_CHAT_SHOT = process.env.TUOKE_DOCS_CHAT_SCREENSHOT || '';
const CLOSED_BASE = (process.env.TUOKE_CLOSED_BASE_URL || '').replace(/\/$/, '');
const WAIT_SECS = Number(process.env.TUOKE_HANDOFF_WAIT_SECS || 8);
// axe-core (npm) for the accessibility scans, injected into each page under test.
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Characters whose Simplified form differs from the Traditional one: none may appear in the bot's
// text of a Cantonese conversation.
const SIMPLIFIED_ONLY = /[这们说么还没为发货价钱与应该让选样点东车门问题时间处动关净气栖扫机纸优细节请]/;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// A fake customer website on another origin (localhost vs the server's 127.0.0.1), served by this
// script, embeds the widget exactly as a customer would.
let HOST = '';
const T = 20000; // per-step timeout, ms

async function createKey(role, base = BASE) {
  const res = await fetch(`${base}/v1/api_keys`, {
    method: 'POST', headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ role, name: `e2e ${role}` }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.key) throw new Error(`POST /v1/api_keys ${role}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.key;
}
if (BASE && ADMIN_KEY && !WIDGET_KEY) WIDGET_KEY = await createKey('widget');
if (BASE && ADMIN_KEY && !AGENT_KEY) AGENT_KEY = await createKey('agent');
if (!BASE || !WIDGET_KEY || !AGENT_KEY) {
  console.error('run.mjs needs TUOKE_BASE_URL and TUOKE_WIDGET_KEY + TUOKE_AGENT_KEY (or TUOKE_ADMIN_KEY)');
  process.exit(2);
}
fs.mkdirSync(OUT, { recursive: true });

const consoleErrors = [];
const results = [];
let failed = 0;
const log = (...a) => console.log('[e2e]', ...a);

// True while the network-drop step has the browser offline. A request already in flight when the
// connection drops is logged by the browser itself ("Failed to load resource:
// net::ERR_INTERNET_DISCONNECTED") even though the page catches the failure; that one message is
// expected then and only then. Every other console error still fails the run.
let offlineWindow = false;
const droppedRequests = [];

function watch(page, name) {
  page.on('console', (m) => {
    if (process.env.E2E_DEBUG) log(name, m.type(), m.text());
    if (m.type() !== 'error') return;
    const line = `${name}: console.error: ${m.text()} @ ${JSON.stringify(m.location())}`;
    if (offlineWindow && /net::ERR_INTERNET_DISCONNECTED/.test(m.text())) droppedRequests.push(line);
    else consoleErrors.push(line);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${name}: pageerror: ${e.message}`));
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    log('ok  ', name);
  } catch (e) {
    failed += 1;
    results.push(`FAIL ${name}: ${e && e.message ? e.message.split('\n')[0] : e}`);
    log('FAIL', name, '\n', e && e.stack ? e.stack : e);
    throw e;
  }
}

function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }

async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  log('screenshot', path.relative(process.cwd(), file));
  return file;
}

// Runs axe-core in a page or frame; fails on any serious or critical violation.
async function axeScan(target, name) {
  await target.evaluate(AXE_SOURCE);
  const res = await target.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const all = res.violations.map((v) => `${v.impact}:${v.id}`);
  log('axe', name, `${res.violations.length} violations`, all.join(' '));
  const detail = bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  // E2E_AXE_REPORT_ONLY=1 (development): list the violations of every page instead of stopping at the first.
  if (process.env.E2E_AXE_REPORT_ONLY && bad.length) { log('axe FAIL', name, '\n' + detail.join('\n')); return res.violations.length; }
  assert(bad.length === 0, `axe on ${name}: ${bad.length} serious/critical violations:\n${detail.join('\n')}`);
  return res.violations.length;
}

// Polls `fn` until it returns truthy (or throws after `ms`).
async function until(fn, what, ms = T) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function apiGet(p) {
  const res = await fetch(BASE + p, { headers: { Authorization: `Bearer ${AGENT_KEY}` } });
  if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status}`);
  return res.json();
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tuoke-e2e-profile-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--lang=zh-CN'],
  locale: 'zh-CN',
  viewport: { width: 1280, height: 860 },
});
// A persistent context is one profile; the customer and the agent get separate pages (the widget
// keeps its state in the iframe's partitioned localStorage, the dashboard its key in sessionStorage).
browser.setDefaultTimeout(T);

const hostPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>云栖智能家居 · 官网</title><link rel="icon" href="data:,">
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f7f4ee;color:#222}header{background:#23412f;color:#fff;padding:1.2rem 2rem}
main{padding:2rem;max-width:760px}h1{margin:0;font-size:1.5rem}.p{background:#fff;border-radius:12px;padding:1rem 1.4rem;margin:1rem 0;box-shadow:0 1px 4px rgba(0,0,0,.08)}</style></head>
<body><header><h1>云栖智能家居 Yunqi Smart Home</h1><p>全屋智能家电 · 杭州出品</p></header><main>
<div class="p"><h2>扫拖机器人 X20 Ultra</h2><p>8000Pa 大吸力，基站自动洗拖布、热风烘干。</p></div>
<div class="p"><h2>智能门锁</h2><p>3D 人脸识别，指纹、密码、NFC 多种开锁方式。</p></div></main>
<script src="${BASE}/widget.js" data-key="${WIDGET_KEY}" data-lang="zh" async></script></body></html>`;
const hostServer = http.createServer((req, res) => {
  if (req.url === '/') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(hostPage); return; }
  res.writeHead(404); res.end();
});
await new Promise((r) => hostServer.listen(0, '127.0.0.1', r));
HOST = `http://localhost:${hostServer.address().port}`;

let convId = null;
let exitCode = 1;
try {
  const customer = browser.pages()[0] || await browser.newPage();
  watch(customer, 'customer');
  const agent = await browser.newPage();
  watch(agent, 'agent');
  const chat = customer.frameLocator('#tuoke-w-frame');
  if (process.env.E2E_DEBUG) customer.on('framenavigated', (f) => log('framenavigated', f.url().slice(0, 80)));

  const counts = async (sel) => chat.locator(sel).count();
  // Send one customer message and wait until the server acknowledged it (it gets a seq/id) and a
  // bot or agent message followed (or the conversation is with a human, when the bot stays quiet).
  async function say(text) {
    const before = await counts('li.msg.bot, li.msg.agent');
    await chat.locator('#msg').fill(text);
    // Enter sends (the keyboard path). Keyboard input goes to the focused frame; a mouse click
    // right after a cross-site iframe appears can be dropped by Chromium's hit testing.
    await chat.locator('#msg').press('Enter');
    try {
      await chat.locator('li.msg.customer[data-id]', { hasText: text }).first().waitFor();
    } catch (e) {
      throw new Error(`message not acknowledged: ${text}; widget error: ${await chat.locator('#error').innerText().catch(() => '?')}; input: ${await chat.locator('#msg').inputValue().catch(() => '?')}; conn: ${await chat.locator('#conn').innerText().catch(() => '?')}; log: ${await chat.locator('#log').innerHTML().catch(() => '?')}`);
    }
    const deadline = Date.now() + T;
    while (Date.now() < deadline) {
      if (await counts('li.msg.bot, li.msg.agent') > before) return;
      if (await chat.locator('#handoff-banner').isVisible()) return;
      await customer.waitForTimeout(100);
    }
    throw new Error(`no reply to ${JSON.stringify(text)}`);
  }

  await step('widget opens from the embed script on a customer website and shows the greeting', async () => {
    await customer.goto(`${HOST}/`);
    await customer.bringToFront(); // the agent's page opened last; focus lives in the front tab
    const launcher = customer.locator('button.tuoke-w-btn');
    // Visible text and accessible name agree (no aria-label saying something else).
    assert((await launcher.innerText()).trim() === '在线咨询', `launcher text: ${await launcher.innerText()}`);
    assert(await launcher.getAttribute('aria-label') === null, 'launcher has no aria-label other than its text');
    await customer.getByRole('button', { name: '在线咨询', exact: true }).click();
    assert(await launcher.getAttribute('aria-expanded') === 'true', 'launcher aria-expanded');
    await chat.locator('li.msg.bot').first().waitFor();
    const greeting = await chat.locator('li.msg.bot .bubble').first().innerText();
    assert(/[\u4e00-\u9fff]/.test(greeting), `greeting in Chinese: ${greeting}`);
    // The text box has the focus once the chat opened.
    await until(() => chat.locator('#msg').evaluate((el) => document.hasFocus() && document.activeElement === el), 'focus in the text box');
    // An AI assistant, and advisers online (this test company is always open).
    await chat.locator('#chat-sub[data-open="true"]', { hasText: 'AI' }).waitFor();
    assert(/AI 助手/.test(await chat.locator('li.msg.bot .who').first().innerText()), 'bot messages say AI assistant');
    assert(await chat.locator('li.msg.bot .avatar.bot').count() >= 1, 'bot avatar');
    // Quick replies for the greeting, from company.yaml.
    await chat.locator('#quick button.quick').first().waitFor();
    // The host page keeps the conversation id for the (third-party) iframe.
    await customer.waitForFunction((k) => localStorage.getItem(`tuoke.chat.v1.${k}`), WIDGET_KEY);
    const stored = await customer.evaluate((k) => JSON.parse(localStorage.getItem(`tuoke.chat.v1.${k}`) || '{}'), WIDGET_KEY);
    convId = stored.conversation_id;
    assert(convId, 'conversation id kept in localStorage');
  });

  await step('customer chats in Chinese and gets bot replies', async () => {
    // Slow the next turn down so the typing dots are seen while the bot is "thinking".
    let delayed = false;
    await browser.route('**/v1/conversations/*/messages', async (route) => {
      if (route.request().method() === 'POST' && !delayed) { delayed = true; await new Promise((r) => setTimeout(r, 1200)); }
      await route.continue();
    });
    const typingSeen = chat.locator('#typing .dots').waitFor({ state: 'visible' });
    await say('你好，我想了解一下X20扫地机器人，多少钱？');
    await typingSeen;
    await browser.unroute('**/v1/conversations/*/messages');
    assert(await chat.locator('#typing').isHidden(), 'typing dots gone after the reply');
    const anim = await chat.locator('#typing .dots span').first().evaluate((el) => getComputedStyle(el).animationName);
    assert(anim === 'tk-blink', `typing dots animate (${anim})`);
    await say('我们公司想买10台，有优惠吗？');
    await say('我的电话是13912345678，姓王，下周三前能送到杭州吗？');
    const bots = await counts('li.msg.bot');
    assert(bots >= 2, `bot replied (${bots} bot messages)`);
    await shot(customer, 'widget-desktop');
  });

  await step('product card with price and facts; quick replies send the question', async () => {
    const card = chat.locator('li.msg.bot .card[data-product="yq-vac-x20"]').first();
    await card.waitFor();
    const price = (await card.locator('.card-price').innerText()).trim();
    assert(/¥3,999/.test(price), `card price with thousands separator: ${price}`);
    const facts = await card.locator('.card-facts li').count();
    assert(facts >= 2 && facts <= 3, `card shows 2–3 key facts (${facts})`);
    assert(/X20/.test(await card.locator('.card-name').innerText()), 'card names the product');
    assert(await card.locator('button.card-cta').count() === 1, 'card has a call to action');
    // The quick replies follow the node/stage: press one, it is sent as the customer's message.
    await chat.locator('#quick button.quick').first().waitFor();
    const q = (await chat.locator('#quick button.quick').first().innerText()).trim();
    const before = await counts('li.msg.bot');
    await chat.locator('#quick button.quick').first().press('Enter');
    await chat.locator('li.msg.customer[data-id]', { hasText: q }).first().waitFor();
    await until(async () => (await counts('li.msg.bot')) > before, 'a reply to the quick reply');
    await card.scrollIntoViewIfNeeded();
    await shot(customer, 'chat-card-desktop');
  });

  await step('dashboard: agent signs in and sees the lead with its grade', async () => {
    await agent.goto(`${BASE}/dashboard`);
    await agent.locator('#login-key').fill(AGENT_KEY);
    await agent.locator('#login-name').fill('小王');
    await agent.locator('#login-form button[type=submit]').click();
    const row = agent.locator(`tr[data-conversation="${convId}"]`);
    await row.waitFor();
    const grade = (await row.locator('.grade').innerText()).trim();
    assert(['A', 'B', 'C', 'D'].includes(grade), `lead grade shown: ${grade}`);
    const score = Number((await row.locator('td.score').innerText()).trim());
    assert(score > 0, `lead score > 0: ${score}`);
    // filters work on the live table
    await agent.locator('#f-grade').selectOption(grade);
    await row.waitFor();
    const other = ['A', 'B', 'C', 'D'].find((g) => g !== grade);
    await agent.locator('#f-grade').selectOption(other);
    await row.waitFor({ state: 'detached' });
    await agent.locator('#f-grade').selectOption('');
    await row.waitFor();
    await shot(agent, 'dashboard-leads-desktop');
  });

  await step('conversation view: every customer turn is annotated; lead grade with evidence', async () => {
    await agent.locator(`tr[data-conversation="${convId}"] a.cust-link`).click();
    await agent.locator('#transcript li.turn.customer').first().waitFor();
    const turns = await agent.locator('#transcript li.turn.customer').count();
    const annotated = await agent.locator('#transcript li.turn.customer:has(.chip.intent)').count();
    assert(turns >= 3 && annotated === turns, `annotated ${annotated} of ${turns} customer turns`);
    const firstIntent = await agent.locator('#transcript li.turn.customer .chip.intent').first().innerText();
    assert(/\d+%/.test(firstIntent), `intent chip shows a confidence: ${firstIntent}`);
    assert(await agent.locator('#transcript li.turn.customer .chip.entity').count() >= 1, 'at least one entity chip');
    assert(await agent.locator('#lead-card .grade.big').count() === 1, 'lead grade badge');
    assert(await agent.locator('#lead-card .evidence li').count() >= 1, 'lead evidence listed');
    await shot(agent, 'dashboard-conversation-desktop');
  });

  await step('customer asks for a human; agent takes over and replies; customer sees it', async () => {
    const botsBefore = await counts('li.msg.bot');
    await say('我要找人工客服，请帮我转人工');
    // Requested, not yet taken over: the dashboard shows it waiting (live, no reload), the
    // customer is told a person will follow up, and the bot still answers meanwhile.
    await agent.locator('#controls .status.requested').waitFor();
    await chat.locator('#handoff-banner[data-state="requested"][data-phase="waiting"]', { hasText: '正在为您联系顾问' }).waitFor({ state: 'visible' });
    assert(await counts('li.msg.bot') > botsBefore, 'the bot answered the request for a person');
    assert(!/已接入/.test(await chat.locator('#handoff-banner').innerText()), 'no "joined" before an agent took over');
    await agent.locator('#take-over').click();
    await agent.locator('#controls .status.handed_off').waitFor();
    // The customer sees who joined: the agent's name from the take-over.
    await chat.locator('#handoff-banner[data-state="taken_over"]', { hasText: '小王 已接入' }).waitFor({ state: 'visible' });
    assert(await chat.locator('#quick').isHidden(), 'no quick replies while a person answers');
    await agent.locator('#reply-text').waitFor();
    const summary = agent.locator('#summary');
    await summary.waitFor({ state: 'visible' });
    assert((await summary.innerText()).length > 20, 'handoff summary shown');
    const reply = '您好，我是销售顾问小王，10台X20可以给您申请团购价，稍后电话联系您。';
    await agent.locator('#reply-text').fill(reply);
    await agent.locator('#send-reply').click();
    const agentMsg = chat.locator('li.msg.agent', { hasText: reply });
    await agentMsg.waitFor();
    assert((await agentMsg.locator('.avatar.agent').innerText()).trim() === '小', 'agent avatar initial');
    assert(/小王/.test(await agentMsg.locator('.who').innerText()), 'agent name on the agent message');
    await agent.locator('#transcript li.turn.agent', { hasText: reply }).waitFor();
    await shot(agent, 'dashboard-takeover-desktop');
    await shot(customer, 'widget-agent-reply-desktop');
  });

  await step('launcher: unread badge while the chat is closed, focus back in the text box on open', async () => {
    await chat.locator('#close-chat').click();
    await customer.locator('#tuoke-w-frame').waitFor({ state: 'hidden' });
    const launcher = customer.locator('button.tuoke-w-btn');
    assert(await launcher.getAttribute('aria-expanded') === 'false', 'launcher collapsed');
    const text = '王先生，团购价的报价单已经发到您的邮箱了。';
    const res = await fetch(`${BASE}/v1/conversations/${encodeURIComponent(convId)}/agent_messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${AGENT_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ text }),
    });
    assert(res.ok, `agent message via API: HTTP ${res.status}`);
    const badge = customer.locator('.tuoke-w-badge');
    await badge.waitFor({ state: 'visible' });
    assert((await badge.innerText()).replace(/\s+/g, '').startsWith('1'), `badge counts one: ${await badge.innerText()}`);
    await customer.getByRole('button', { name: /在线咨询\s*1\s*条新消息/ }).waitFor();
    await shot(customer, 'widget-unread-desktop');
    await customer.bringToFront();
    await launcher.click();
    await badge.waitFor({ state: 'hidden' });
    await chat.locator('li.msg.agent', { hasText: text }).waitFor();
    await until(() => chat.locator('#msg').evaluate((el) => document.hasFocus() && document.activeElement === el), 'focus in the text box after reopening');
  });

  await step('network drop: nothing lost, nothing duplicated', async () => {
    offlineWindow = true;
    await browser.setOffline(true);
    await chat.locator('#conn.warn').waitFor();
    const mine = '断网时发的消息：请开发票';
    await chat.locator('#msg').fill(mine);
    await chat.locator('#send').click();
    await chat.locator('li.msg.customer.pending', { hasText: mine }).waitFor();
    // The agent answers while the customer is offline (the agent's page is offline too in this
    // profile, so send it straight through the API).
    const agentText = '好的，发票会随货寄出。';
    const res = await fetch(`${BASE}/v1/conversations/${encodeURIComponent(convId)}/agent_messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${AGENT_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ text: agentText }),
    });
    assert(res.ok, `agent message via API: HTTP ${res.status}`);
    await customer.waitForTimeout(500);
    await browser.setOffline(false);
    await chat.locator('li.msg.customer[data-id]', { hasText: mine }).waitFor();
    offlineWindow = false;
    if (droppedRequests.length) log(`requests cut by the network drop (expected): ${droppedRequests.length}`);
    await chat.locator('li.msg.agent', { hasText: agentText }).waitFor();
    await customer.waitForTimeout(1500); // let any duplicate show up
    assert(await chat.locator('li.msg.customer', { hasText: mine }).count() === 1, 'customer message shown once');
    assert(await chat.locator('li.msg.agent', { hasText: agentText }).count() === 1, 'agent message shown once');
    const ids = await chat.locator('li.msg[data-id]').evaluateAll((els) => els.map((e) => e.dataset.id));
    assert(new Set(ids).size === ids.length, 'no duplicated message ids in the widget');
    const seqs = await chat.locator('li.msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    assert(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `messages in seq order: ${seqs}`);
    const stored = await apiGet(`/v1/conversations/${encodeURIComponent(convId)}/messages?after=0`);
    const onServer = stored.items.filter((m) => m.role === 'customer' && m.text === mine).length;
    assert(onServer === 1, `server stored the offline message once (got ${onServer})`);
    assert(stored.items.length === ids.length, `widget shows all ${stored.items.length} stored messages (has ${ids.length})`);
  });

  await step('agent hands the conversation back to the bot', async () => {
    await agent.locator('#transcript li.turn.agent').first().waitFor();
    await agent.locator('#hand-back').click();
    await agent.locator('#controls .status.bot').waitFor();
    await chat.locator('#handoff-banner').waitFor({ state: 'hidden' });
  });

  await step('nobody takes over within the waiting time: the call-back form is stored', async () => {
    const t0 = Date.now();
    await say('还是帮我转人工吧');
    await chat.locator('#handoff-banner[data-phase="waiting"]').waitFor({ state: 'visible' });
    assert(await chat.locator('#callback').isHidden(), 'no form while a person is being found');
    await chat.locator('#handoff-banner[data-phase="nobody"]').waitFor({ state: 'visible', timeout: (WAIT_SECS + 10) * 1000 });
    const waited = (Date.now() - t0) / 1000;
    assert(waited >= WAIT_SECS - 1, `form after the company's waiting time (${waited.toFixed(1)} s of ${WAIT_SECS} s)`);
    await chat.locator('#callback-form').waitFor({ state: 'visible' });
    await chat.locator('#cb-phone').fill('12ab');
    await chat.locator('#cb-submit').click();
    await chat.locator('#cb-error', { hasText: /电话/ }).waitFor({ state: 'visible' });
    await chat.locator('#cb-name').fill('王先生');
    await chat.locator('#cb-phone').fill('139 1234 5678');
    await chat.locator('#cb-time').selectOption('afternoon');
    await shot(customer, 'chat-callback-desktop');
    await chat.locator('#cb-submit').click();
    await chat.locator('li.sys', { hasText: '139 1234 5678' }).waitFor();
    await chat.locator('#handoff-banner[data-phase="callback"]').waitFor({ state: 'visible' });
    assert(await chat.locator('#callback').isHidden(), 'form gone after sending');
    const conv = await apiGet(`/v1/conversations/${encodeURIComponent(convId)}`);
    const cb = conv.state.slots.callback;
    assert(cb && cb.phone === '139 1234 5678' && cb.name === '王先生' && /下午/.test(cb.preferred_time), `callback stored: ${JSON.stringify(cb)}`);
  });

  await step('accessibility: axe-core finds no serious or critical violation in the widget', async () => {
    const frame = customer.frames().find((f) => f.url().includes('/chat?embed=1'));
    assert(frame, 'chat iframe found');
    await axeScan(frame, 'chat widget');
    await axeScan(customer, 'host page with launcher');
  });

  await step('standalone chat page in English (phone width)', async () => {
    const page = await browser.newPage();
    watch(page, 'chat-page');
    await page.setViewportSize({ width: 390, height: 780 });
    await page.goto(`${BASE}/chat?lang=en&key=${encodeURIComponent(WIDGET_KEY)}`);
    await page.locator('li.msg.bot').first().waitFor();
    assert(await page.locator('#lang-select').inputValue() === 'en', 'language select in English UI');
    assert(/AI assistant/.test(await page.locator('#chat-sub').innerText()), 'says it is an AI assistant');
    await page.locator('#msg').fill('How much is the X20 robot vacuum? Can you deliver to Shanghai?');
    await page.locator('#send').click();
    await page.locator('li.msg.customer[data-id]').waitFor();
    await page.locator('li.msg.bot').nth(1).waitFor();
    await shot(page, 'chat-page-phone-en');
    const card = page.locator('li.msg.bot .card').first();
    await card.waitFor();
    assert(/¥3,999/.test(await card.locator('.card-price').innerText()), 'English card price');
    assert(/[A-Za-z]/.test(await card.locator('.card-facts li').first().innerText()), 'English card facts');
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'chat-card-phone');
    await axeScan(page, 'chat page (English, phone)');
    await page.close();
  });

  await step('Cantonese customer: Traditional-Chinese UI and one script in bot text', async () => {
    const page = await browser.newPage();
    watch(page, 'chat-yue');
    await page.setViewportSize({ width: 390, height: 780 });
    await page.goto(`${BASE}/chat?key=${encodeURIComponent(WIDGET_KEY)}`);
    await page.locator('li.msg.bot').first().waitFor();
    // The browser's language picks zh-HK too (zh-TW, zh-MO, zh-Hant alike).
    const picks = await page.evaluate(async () => { const m = await import('/assets/i18n.js'); return ['zh-HK', 'zh-TW', 'zh-Hant-HK', 'zh-CN', 'en-US'].map(m.langOf); });
    assert(picks.join() === 'zh-HK,zh-HK,zh-HK,zh,en', `browser language → UI: ${picks}`);
    const botsBefore = await page.locator('li.msg.bot').count();
    await page.locator('#msg').fill('你好，我想睇下X20掃地機幾錢呀？有冇得平啲？');
    await page.locator('#msg').press('Enter');
    await until(async () => (await page.locator('li.msg.bot').count()) > botsBefore, 'a Cantonese reply');
    await page.locator('html[lang="zh-HK"]').waitFor({ state: 'attached' });
    assert((await page.locator('#chat-title').innerText()).trim() === '線上查詢', 'Traditional UI title');
    const replies = await page.locator('li.msg.bot .bubble').allInnerTexts();
    const reply = replies[replies.length - 1];
    assert(!SIMPLIFIED_ONLY.test(reply), `Cantonese reply in Traditional script only: ${reply}`);
    const card = page.locator('li.msg.bot').last().locator('.card').first();
    if (await card.count()) assert(/雲棲/.test(await card.locator('.card-name').innerText()), 'card name in Traditional');
    for (const q of await page.locator('#quick button.quick').allInnerTexts()) assert(!SIMPLIFIED_ONLY.test(q), `quick reply in Traditional: ${q}`);
    // A new conversation from the zh-HK UI is Cantonese from its greeting on.
    await page.locator('#new-chat').click();
    await until(async () => (await page.locator('li.msg.bot').count()) === 1, 'a new greeting');
    const greeting = await page.locator('li.msg.bot .bubble').first().innerText();
    assert(!SIMPLIFIED_ONLY.test(greeting), `zh-HK greeting in Traditional: ${greeting}`);
    await page.locator('#msg').fill('X20 幾錢？');
    await page.locator('#msg').press('Enter');
    await until(async () => (await page.locator('li.msg.bot').count()) >= 2, 'a reply');
    const r2 = await page.locator('li.msg.bot .bubble').last().innerText();
    assert(!SIMPLIFIED_ONLY.test(r2), `reply in Traditional: ${r2}`);
    await shot(page, 'chat-zh-hk-phone');
    await axeScan(page, 'chat page (zh-HK, phone)');
    await page.close();
  });

  if (CLOSED_BASE) await step('outside opening hours: advisers shown offline, the call-back form at once', async () => {
    const key = await createKey('widget', CLOSED_BASE);
    const page = await browser.newPage();
    watch(page, 'chat-closed');
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${CLOSED_BASE}/chat?lang=zh&key=${encodeURIComponent(key)}`);
    await page.locator('li.msg.bot').first().waitFor();
    await page.locator('#chat-sub[data-open="false"]').waitFor();
    assert(/AI/.test(await page.locator('#chat-sub').innerText()) && /上线|下班/.test(await page.locator('#chat-sub').innerText()), 'offline subtitle');
    await page.locator('#msg').fill('我要转人工');
    await page.locator('#msg').press('Enter');
    await page.locator('#handoff-banner[data-phase="closed"]', { hasText: '非工作时间' }).waitFor({ state: 'visible' });
    await page.locator('#callback-form').waitFor({ state: 'visible' });
    await shot(page, 'chat-closed-desktop');
    await axeScan(page, 'chat page with the call-back form');
    await page.setViewportSize({ width: 390, height: 780 });
    await page.locator('#cb-phone').fill('+852 9123 4567');
    await shot(page, 'chat-callback-phone');
    await page.locator('#cb-submit').click();
    await page.locator('#handoff-banner[data-phase="callback"]').waitFor({ state: 'visible' });
    await page.close();
  });

  await step('charts render with data', async () => {
    await agent.goto(`${BASE}/dashboard#/charts`);
    const ids = ['chart-grade', 'chart-intents', 'chart-sentiment', 'chart-funnel', 'chart-per-day'];
    for (const id of ids) await agent.locator(`#${id}`).waitFor();
    const info = await agent.evaluate((list) => list.map((id) => {
      const canvas = document.getElementById(id);
      const chart = window.Chart && window.Chart.getChart(canvas);
      const total = chart ? chart.data.datasets.reduce((s, d) => s + d.data.reduce((a, b) => a + (Number(b) || 0), 0), 0) : 0;
      const ctx = canvas.getContext('2d');
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted += 1;
      return { id, hasChart: Boolean(chart), total, painted, w: canvas.width, h: canvas.height };
    }), ids);
    log('charts', JSON.stringify(info));
    for (const c of info) {
      assert(c.hasChart, `${c.id} is a Chart.js chart`);
      assert(c.total > 0, `${c.id} has data (sum ${c.total})`);
      assert(c.painted > 500, `${c.id} canvas is painted (${c.painted} px)`);
    }
    await shot(agent, 'dashboard-charts-desktop');
  });

  await step('playbook and knowledge base views', async () => {
    await agent.goto(`${BASE}/dashboard#/kb`);
    await agent.locator('h3', { hasText: /产品|Products/ }).first().waitFor();
    assert(await agent.locator('.kb-grid section.card').count() >= 1, 'products listed');
    await shot(agent, 'dashboard-kb-desktop');
    await agent.goto(`${BASE}/dashboard#/playbook`);
    await agent.locator('.node').first().waitFor();
    await shot(agent, 'dashboard-playbook-desktop');
  });

  await step('accessibility: axe-core finds no serious or critical violation on the dashboard', async () => {
    await agent.goto(`${BASE}/dashboard#/leads`);
    await agent.locator(`tr[data-conversation="${convId}"]`).waitFor();
    await axeScan(agent, 'dashboard leads');
    await agent.goto(`${BASE}/dashboard#/c/${encodeURIComponent(convId)}`);
    await agent.locator('#transcript li.turn').first().waitFor();
    await axeScan(agent, 'dashboard conversation');
    await agent.goto(`${BASE}/dashboard#/charts`);
    await agent.locator('#chart-per-day').waitFor();
    await axeScan(agent, 'dashboard charts');
  });

  await step('phone width: dashboard and widget', async () => {
    await agent.setViewportSize({ width: 390, height: 844 });
    await agent.goto(`${BASE}/dashboard#/leads`);
    await agent.locator(`tr[data-conversation="${convId}"]`).waitFor();
    const overflow = await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `no horizontal page scroll at 390 px (overflow ${overflow}px)`);
    await shot(agent, 'dashboard-leads-phone');
    await agent.goto(`${BASE}/dashboard#/c/${encodeURIComponent(convId)}`);
    await agent.locator('#transcript li.turn').first().waitFor();
    await shot(agent, 'dashboard-conversation-phone');
    await agent.goto(`${BASE}/dashboard#/charts`);
    await agent.locator('#chart-per-day').waitFor();
    await shot(agent, 'dashboard-charts-phone');
    // Reload the customer's page at phone width: the widget restores the same conversation
    // (id kept by the host page) and goes full screen.
    await customer.setViewportSize({ width: 390, height: 844 });
    const before = await chat.locator('li.msg[data-id]').count();
    await customer.goto(`${HOST}/`);
    await customer.getByRole('button', { name: '在线咨询' }).click();
    assert(await customer.locator('.tuoke-w-badge').isHidden(), 'no unread badge once opened');
    await chat.locator('li.msg[data-id]').nth(before - 1).waitFor();
    assert(await chat.locator('li.msg[data-id]').count() === before, 'same conversation restored after reload');
    await customer.waitForTimeout(300);
    await shot(customer, 'widget-phone');
  });

  await step('English dashboard', async () => {
    await agent.setViewportSize({ width: 1280, height: 860 });
    await agent.goto(`${BASE}/dashboard#/c/${encodeURIComponent(convId)}`);
    await agent.locator('#lang-toggle').click();
    await agent.locator('#transcript li.turn.customer .chip.intent', { hasText: 'Intent' }).first().waitFor();
    await shot(agent, 'dashboard-conversation-desktop-en');
    await agent.goto(`${BASE}/dashboard#/leads`);
    await agent.locator(`tr[data-conversation="${convId}"]`).waitFor();
    await shot(agent, 'dashboard-leads-desktop-en');
  });

  await (await import('./team.mjs')).teamScenarios({ browser, BASE, ADMIN_KEY, WIDGET_KEY, createKey, step, shot, axeScan, until, assert, watch });

  await step('no console errors in the browser', async () => {
    assert(consoleErrors.length === 0, `console errors:\n${consoleErrors.join('\n')}`);
  });
  exitCode = 0;
} catch (e) {
  if (!failed) { failed += 1; results.push(`FAIL setup: ${e && e.message}`); console.error(e); }
  if (consoleErrors.length) console.error('[e2e] console errors seen:\n' + consoleErrors.join('\n'));
} finally {
  await browser.close().catch(() => {});
  hostServer.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

if (exitCode === 0 && DOCS_CHAT_SHOT) {
  fs.mkdirSync(path.dirname(DOCS_CHAT_SHOT), { recursive: true });
  fs.copyFileSync(path.join(OUT, 'chat-card-desktop.png'), DOCS_CHAT_SHOT);
  log('copied README chat screenshot to', DOCS_CHAT_SHOT);
}
if (exitCode === 0 && DOCS_SHOT) {
  fs.mkdirSync(path.dirname(DOCS_SHOT), { recursive: true });
  fs.copyFileSync(path.join(OUT, 'dashboard-conversation-desktop-en.png'), DOCS_SHOT);
  log('copied README screenshot to', DOCS_SHOT);
}
console.log(results.join('\n'));
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(exitCode);

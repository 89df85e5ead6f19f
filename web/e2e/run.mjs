// End-to-end browser test of the tuoke widget and dashboard in Debian's headless Chromium.
// Driven by crates/tuoke/tests/e2e_browser.rs, which starts `tuoke serve` and passes:
//   TUOKE_BASE_URL      http://127.0.0.1:PORT of the running server
//   TUOKE_WIDGET_KEY    a widget-role API key   } or TUOKE_ADMIN_KEY: then this script creates both
//   TUOKE_AGENT_KEY     an agent-role API key   } with POST /v1/api_keys
//   TUOKE_OUT_DIR       where screenshots go (default: <repo>/test-output/e2e)
//   TUOKE_DOCS_SCREENSHOT  optional: copy the dashboard screenshot there (docs/screenshots/dashboard.png)
//   CHROMIUM_PATH       default /usr/bin/chromium (never downloads a browser)
// Exit status 0 = every scenario passed and the browser logged no console error.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
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
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// A fake customer website on another origin (localhost vs the server's 127.0.0.1), served by this
// script, embeds the widget exactly as a customer would.
let HOST = '';
const T = 20000; // per-step timeout, ms

async function createKey(role) {
  const res = await fetch(`${BASE}/v1/api_keys`, {
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

function watch(page, name) {
  page.on('console', (m) => { if (process.env.E2E_DEBUG) log(name, m.type(), m.text()); if (m.type() === 'error') consoleErrors.push(`${name}: console.error: ${m.text()} @ ${JSON.stringify(m.location())}`); });
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
    const launcher = customer.getByRole('button', { name: '在线咨询' });
    await launcher.click();
    assert(await launcher.getAttribute('aria-expanded') === 'true', 'launcher aria-expanded');
    await chat.locator('li.msg.bot').first().waitFor();
    const greeting = await chat.locator('li.msg.bot .bubble').first().innerText();
    assert(/[\u4e00-\u9fff]/.test(greeting), `greeting in Chinese: ${greeting}`);
    // The host page keeps the conversation id for the (third-party) iframe.
    await customer.waitForFunction((k) => localStorage.getItem(`tuoke.chat.v1.${k}`), WIDGET_KEY);
    const stored = await customer.evaluate((k) => JSON.parse(localStorage.getItem(`tuoke.chat.v1.${k}`) || '{}'), WIDGET_KEY);
    convId = stored.conversation_id;
    assert(convId, 'conversation id kept in localStorage');
  });

  await step('customer chats in Chinese and gets bot replies', async () => {
    await say('你好，我想了解一下X20扫地机器人，多少钱？');
    await say('我们公司想买10台，有优惠吗？');
    await say('我的电话是13912345678，姓王，下周三前能送到杭州吗？');
    const bots = await counts('li.msg.bot');
    assert(bots >= 2, `bot replied (${bots} bot messages)`);
    await shot(customer, 'widget-desktop');
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
    // sort and filter work on the live table
    await agent.locator('th button[data-k="score"]').click();
    assert(await agent.locator('th[aria-sort="descending"] button[data-k="score"]').count() === 1, 'sorted by score');
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
    await agent.locator(`tr[data-conversation="${convId}"] a`).click();
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
    await chat.locator('#handoff-banner[data-state="requested"]').waitFor({ state: 'visible' });
    assert(await counts('li.msg.bot') > botsBefore, 'the bot answered the request for a person');
    await agent.locator('#take-over').click();
    await agent.locator('#controls .status.handed_off').waitFor();
    await chat.locator('#handoff-banner[data-state="taken_over"]').waitFor({ state: 'visible' });
    await agent.locator('#reply-text').waitFor();
    const summary = agent.locator('#summary');
    await summary.waitFor({ state: 'visible' });
    assert((await summary.innerText()).length > 20, 'handoff summary shown');
    const reply = '您好，我是销售顾问小王，10台X20可以给您申请团购价，稍后电话联系您。';
    await agent.locator('#reply-text').fill(reply);
    await agent.locator('#send-reply').click();
    await chat.locator('li.msg.agent', { hasText: reply }).waitFor();
    await agent.locator('#transcript li.turn.agent', { hasText: reply }).waitFor();
    await shot(agent, 'dashboard-takeover-desktop');
    await shot(customer, 'widget-agent-reply-desktop');
  });

  await step('network drop: nothing lost, nothing duplicated', async () => {
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

  await step('standalone chat page in English (phone width)', async () => {
    const page = await browser.newPage();
    watch(page, 'chat-page');
    await page.setViewportSize({ width: 390, height: 780 });
    await page.goto(`${BASE}/chat?lang=en&key=${encodeURIComponent(WIDGET_KEY)}`);
    await page.locator('li.msg.bot').first().waitFor();
    assert((await page.locator('#lang-toggle').innerText()).trim() === '中文', 'language toggle in English UI');
    await page.locator('#msg').fill('How much is the X20 robot vacuum? Can you deliver to Shanghai?');
    await page.locator('#send').click();
    await page.locator('li.msg.customer[data-id]').waitFor();
    await page.locator('li.msg.bot').nth(1).waitFor();
    await shot(page, 'chat-page-phone-en');
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

if (exitCode === 0 && DOCS_SHOT) {
  fs.mkdirSync(path.dirname(DOCS_SHOT), { recursive: true });
  fs.copyFileSync(path.join(OUT, 'dashboard-conversation-desktop-en.png'), DOCS_SHOT);
  log('copied README screenshot to', DOCS_SHOT);
}
console.log(results.join('\n'));
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(exitCode);

// Sales dashboard: the inbox (waiting / mine / all, leads with search and CSV export), the
// conversation view with annotations, assignment, notes and outcomes, the funnel and charts,
// playbook and knowledge base. Signs in with an agent/admin API key kept in sessionStorage (gone
// when the tab closes). Live updates come from the SSE stream /v1/events (opened with a
// short-lived stream token, never the key in the URL).
import { resilientEvents, h } from './api.js';
import { t, getLang, setLang, applyI18n, onLangChange, loc } from './i18n.js';
import './dash-strings.js';
import { S, api, session, put, $, view, stageName, valueText, ensureCompany } from './dash-common.js';
import { showLeads, loadLeads, scheduleRefetch, alertWaiting, refreshCounts } from './dash-inbox.js';
import {
  showConversation, catchUpConv, addTurn, renderLeadCard, renderSummary, refreshWork, addNote,
} from './dash-conv.js';
import { showCharts } from './dash-charts.js';

// ------------------------------------------------------------------ auth
function showLogin(msg) {
  $('nav').hidden = true; $('logout').hidden = true; $('live').hidden = true;
  put(view());
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !msg; err.textContent = msg || '';
  $('login-key').focus();
}

function logout(msg) {
  session.key = '';
  S.events?.stop(); S.events = null;
  S.leads.clear(); S.leadsLoaded = false; S.company = null; S.signals = null;
  showLogin(msg);
}
S.onAuthError = logout;

async function login(ev) {
  ev.preventDefault();
  const key = $('login-key').value.trim();
  if (!key) return;
  session.key = key;
  session.name = $('login-name').value.trim();
  try {
    await api.get('/v1/inbox?tab=waiting&limit=1');
  } catch (e) {
    session.key = '';
    showLogin(t('login_failed') + e.message);
    return;
  }
  $('login-key').value = '';
  startApp();
}

function startApp() {
  $('login').hidden = true; $('nav').hidden = false; $('logout').hidden = false;
  startEvents();
  refreshCounts();
  ensureCompany().then(() => { if (currentRoute().name === 'leads') loadLeads(); });
  if (!location.hash || location.hash === '#') location.hash = '#/leads'; else route();
}

// ------------------------------------------------------------------ live events
let liveStatus = 'connecting';
function setLive(s) {
  liveStatus = s;
  const el = $('live');
  el.hidden = false;
  const ok = s === 'open';
  el.textContent = ok ? `● ${t('live')}` : s === 'connecting' ? t('connecting') : t('live_off');
  el.classList.toggle('off', !ok && s !== 'connecting');
  el.classList.toggle('wait', s === 'connecting');
}

function reread() { scheduleRefetch(); if (S.conv) { catchUpConv(); refreshWork(); } }

function startEvents() {
  S.events?.stop();
  S.events = resilientEvents(() => api.sseUrl('/v1/events'), {
    lead: onLead, message: onMessage, handoff: onHandoff, conversation: onConversation, note: onNote,
    lagged: reread,
  }, { onStatus: setLive, onReconnect: reread });
}

function onLead(d) {
  scheduleRefetch();
  if (S.conv && S.conv.id === d.conversation_id) {
    S.conv.data.lead = { score: d.score, grade: d.grade, evidence: d.evidence ?? [] };
    renderLeadCard();
  }
}

function onMessage(m) {
  scheduleRefetch();
  if (S.conv && S.conv.id === m.conversation_id) addTurn(m);
}

// Only a customer asking for a person comes as `handoff` (a take-over is a `conversation` event).
function onHandoff(d) {
  if (d.summary) S.summaries.set(d.conversation_id, d.summary);
  alertWaiting(d.conversation_id);
  if (S.conv && S.conv.id === d.conversation_id) { refreshWork(); renderSummary(); }
}

function onConversation(d) {
  scheduleRefetch();
  if (S.conv && S.conv.id === d.conversation_id) refreshWork();
}

function onNote(d) {
  if (S.conv && S.conv.id === d.conversation_id) addNote(d.note);
}

// ------------------------------------------------------------------ routing
function currentRoute() {
  const path = location.hash.replace(/^#\/?/, '').split('?')[0];
  const parts = path.split('/');
  if (parts[0] === 'c' && parts[1]) return { name: 'conversation', id: decodeURIComponent(parts[1]) };
  return { name: ['leads', 'charts', 'playbook', 'kb'].includes(parts[0]) ? parts[0] : 'leads' };
}

function route() {
  if (!session.key) { showLogin(); return; }
  const r = currentRoute();
  document.querySelectorAll('#nav a').forEach((a) => {
    if (a.dataset.route === (r.name === 'conversation' ? 'leads' : r.name)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  S.charts.forEach((c) => c.destroy()); S.charts = [];
  if (r.name !== 'conversation') S.conv = null;
  ({ leads: showLeads, charts: showCharts, playbook: showPlaybook, kb: showKb, conversation: () => showConversation(r.id) })[r.name]();
  $('main').focus({ preventScroll: true });
}

// ------------------------------------------------------------------ playbook and knowledge base
function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}
function whenText(w) {
  if (!w || typeof w !== 'object') return String(w ?? '');
  return Object.entries(w).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}
function replyText(r) {
  if (!r) return null;
  if (typeof r === 'string') return r;
  const lang = getLang();
  const order = lang === 'zh' ? ['cmn', 'zh', 'yue', 'en'] : ['en', 'cmn', 'zh', 'yue'];
  return h('ul', null, order.filter((k) => r[k]).map((k) => h('li', null, h('code', null, k), ' ', r[k])));
}

async function showPlaybook() {
  put(view(), h('p', { class: 'muted' }, t('loading')));
  S.company = null;
  const c = await ensureCompany();
  if (currentRoute().name !== 'playbook') return;
  const pb = c.playbook || {};
  const nodes = Array.isArray(pb.nodes) ? pb.nodes : [];
  const rulesList = (items) => h('ul', null, (items || []).map((r) => h('li', { class: 'when' }, h('code', null, whenText(r.when)), ' → ', h('code', null, r.goto ?? ''))));
  put(view(), 
    h('h2', null, t('playbook_title')),
    h('div', { class: 'kb-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'pb-st' }, h('h3', { id: 'pb-st' }, t('stages')),
        h('ol', null, (pb.stages || []).map((s) => h('li', null, `${loc(s.name)} `, h('code', null, s.id))))),
      h('section', { class: 'card', 'aria-labelledby': 'pb-int' }, h('h3', { id: 'pb-int' }, t('interrupts')), rulesList(pb.interrupts),
        h('h3', null, t('rules')), rulesList(pb.rules))),
    h('section', { class: 'card', style: 'margin-top:1rem', 'aria-labelledby': 'pb-nodes' },
      h('h3', { id: 'pb-nodes' }, `${t('nodes')} (${nodes.length})`),
      nodes.map((n) => h('div', { class: 'node' },
        h('strong', null, h('code', null, n.id)), n.stage ? ` · ${stageName(n.stage)}` : '',
        replyText(n.reply),
        n.transitions && n.transitions.length ? [h('div', { class: 'muted' }, t('transitions')), rulesList(n.transitions)] : null))),
    nodes.length || pb.stages ? null : h('pre', null, JSON.stringify(pb, null, 2)),
  );
}

function money(p) {
  if (!p || typeof p !== 'object') return valueText(p);
  const cur = p.currency === 'CNY' ? '¥' : p.currency === 'USD' ? '$' : `${p.currency || ''} `;
  return `${cur}${Number(p.amount).toLocaleString()}`;
}

async function showKb() {
  put(view(), h('p', { class: 'muted' }, t('loading')));
  S.company = null;
  const c = await ensureCompany();
  if (currentRoute().name !== 'kb') return;
  const co = c.company || {};
  put(view(), 
    h('h2', null, t('kb_title')),
    h('section', { class: 'card', 'aria-labelledby': 'kb-co' }, h('h3', { id: 'kb-co' }, `${t('company')}: ${loc(co.name)}`),
      kv([[t('tagline'), loc(co.tagline)], [t('hours'), loc(co.hours)],
        [t('contact'), co.contact ? [co.contact.phone, co.contact.email].filter(Boolean).join(' · ') : '']])),
    h('h3', { style: 'margin:1rem 0 .5rem' }, `${t('products')} (${(c.products || []).length})`),
    h('div', { class: 'kb-grid' }, (c.products || []).map((p) => h('section', { class: 'card', 'aria-label': loc(p.name) },
      h('h3', null, loc(p.name)), h('p', { class: 'muted' }, `${loc(p.category)} · `, h('code', null, p.id)),
      kv([[t('price'), money(p.price)], [t('stock'), p.stock], [t('discount'), p.discount ? loc(p.discount.note) : ''],
        [t('delivery'), loc(p.delivery)], [t('warranty'), loc(p.warranty)]]),
      p.features && p.features.length ? [h('h4', null, t('features')), h('ul', null, p.features.map((f) => h('li', null, loc(f))))] : null,
      p.specs && p.specs.length ? [h('h4', null, t('specs')), kv(p.specs.map((s) => [loc(s.key), loc(s.value)]))] : null))),
    h('section', { class: 'card', style: 'margin-top:1rem', 'aria-labelledby': 'kb-faq' }, h('h3', { id: 'kb-faq' }, `${t('faqs')} (${(c.faqs || []).length})`),
      (c.faqs || []).map((f) => h('details', null, h('summary', null, loc(f.question)), h('p', null, loc(f.answer)),
        f.tags && f.tags.length ? h('p', { class: 'muted' }, f.tags.join(', ')) : null))),
    h('section', { class: 'card', style: 'margin-top:1rem', 'aria-labelledby': 'kb-comp' }, h('h3', { id: 'kb-comp' }, `${t('competitors')} (${(c.competitors || []).length})`),
      (c.competitors || []).map((x) => h('details', null, h('summary', null, loc(x.name)),
        x.weaknesses && x.weaknesses.length ? [h('h4', null, t('weaknesses')), h('ul', null, x.weaknesses.map((w) => h('li', null, loc(w))))] : null,
        x.switching_offer ? kv([[t('switching_offer'), loc(x.switching_offer)]]) : null))),
  );
}

// ------------------------------------------------------------------ boot
function init() {
  applyI18n();
  $('lang-toggle').addEventListener('click', () => setLang(getLang() === 'en' ? 'zh' : 'en'));
  onLangChange(() => { applyI18n(); if (session.key) { setLive(liveStatus); route(); } });
  $('logout').addEventListener('click', () => logout());
  $('login-form').addEventListener('submit', login);
  window.addEventListener('hashchange', route);
  if (session.key) startApp(); else showLogin();
}

init();

// Sales dashboard: leads, conversation view with annotations and takeover, charts, playbook and
// knowledge base. Signs in with an agent/admin API key kept in sessionStorage (gone when the tab
// closes). Live updates come from the SSE stream /v1/events.
import { makeApi, resilientEvents, h } from './api.js';
import {
  t, getLang, setLang, applyI18n, onLangChange, loc, intentName, entityName, dialectName, languageName, sentimentName, formatTime,
} from './i18n.js';

const KEY = 'tuoke.dash.key';
const NAME = 'tuoke.dash.name';
const session = {
  get key() { try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; } },
  set key(v) { try { if (v) sessionStorage.setItem(KEY, v); else sessionStorage.removeItem(KEY); } catch { /* ignore */ } },
  get name() { try { return sessionStorage.getItem(NAME) || ''; } catch { return ''; } },
  set name(v) { try { sessionStorage.setItem(NAME, v || ''); } catch { /* ignore */ } },
};
const api = makeApi(() => session.key);

const S = {
  leads: new Map(), // conversation_id -> lead row
  leadsLoaded: false,
  filters: { grade: '', stage: '', minScore: '', q: '' },
  sort: { key: 'last_activity', dir: 'desc' },
  company: null,
  summaries: new Map(), // conversation_id -> handoff summary
  events: null,
  conv: null, // {id, data, messages: Map}
  charts: [],
  refetchTimer: null,
};

const view = () => document.getElementById('view');
// replaceChildren() would print null/false as text: drop them (and flatten arrays) first.
const put = (el, ...kids) => el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ helpers
function toast(node, ms = 6000) {
  const el = h('div', { class: 'toast' }, node);
  $('toasts').append(el);
  setTimeout(() => el.remove(), ms);
}

function handleError(e, where) {
  if (e && (e.status === 401 || e.status === 403) && where !== 'inline') { logout(t('login_failed') + e.message); return; }
  const target = where && where.nodeType ? where : view();
  put(target, h('p', { class: 'error', role: 'alert' }, t('load_failed') + (e && e.message ? e.message : e)));
}

function gradeBadge(g, big) {
  return h('span', { class: `grade ${g || 'D'}${big ? ' big' : ''}`, 'aria-label': t('grade_label', { g: g || '?' }) }, g || '?');
}
function statusBadge(s) {
  return h('span', { class: `status ${s}` }, t(`status_${s}`));
}
// What staff should see: a bot conversation whose customer asked for a person reads "requested"
// (the bot keeps answering until someone takes over).
function shownStatus(status, handoff) {
  return status === 'bot' && handoff === 'requested' ? 'requested' : status;
}
function stageName(id) {
  const st = S.company && S.company.playbook && Array.isArray(S.company.playbook.stages)
    ? S.company.playbook.stages.find((x) => x.id === id) : null;
  return st ? loc(st.name) : (id || '');
}
function pct(x) { return typeof x === 'number' ? `${Math.round(x * 100)}%` : ''; }
function valueText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if ('amount' in v) return `${v.amount}${v.unit ? ` ${v.unit}` : ''}${v.currency ? ` ${v.currency}` : ''}`;
  if ('datetime' in v) return formatTime(v.datetime);
  if ('zh' in v || 'en' in v) return loc(v);
  return JSON.stringify(v);
}
async function ensureCompany() {
  if (S.company) return S.company;
  try { S.company = await api.get('/v1/company'); } catch { S.company = { playbook: {} }; }
  return S.company;
}

// ------------------------------------------------------------------ auth
function showLogin(msg) {
  $('nav').hidden = true; $('logout').hidden = true; $('live').hidden = true;
  put(view(), );
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !msg; err.textContent = msg || '';
  $('login-key').focus();
}

function logout(msg) {
  session.key = '';
  S.events?.stop(); S.events = null;
  S.leads.clear(); S.leadsLoaded = false; S.company = null;
  showLogin(msg);
}

async function login(ev) {
  ev.preventDefault();
  const key = $('login-key').value.trim();
  if (!key) return;
  session.key = key;
  session.name = $('login-name').value.trim();
  try {
    await api.get('/v1/leads?limit=1');
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
  ensureCompany().then(() => { if (currentRoute().name === 'leads') renderLeadsTable(); });
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

function startEvents() {
  S.events?.stop();
  S.events = resilientEvents(() => api.sseUrl('/v1/events'), {
    lead: onLead, message: onMessage, handoff: onHandoff, conversation: onConversation,
    lagged: () => { loadLeads(); if (S.conv) catchUpConv(); },
  }, { onStatus: setLive, onReconnect: () => { loadLeads(); if (S.conv) catchUpConv(); } });
}

function scheduleRefetch() {
  clearTimeout(S.refetchTimer);
  S.refetchTimer = setTimeout(loadLeads, 400);
}

function onLead(d) {
  const row = S.leads.get(d.conversation_id);
  if (!row) { scheduleRefetch(); return; }
  Object.assign(row, { score: d.score, grade: d.grade, evidence: d.evidence ?? row.evidence });
  row._flash = true;
  renderLeadsTable();
  if (S.conv && S.conv.id === d.conversation_id) {
    S.conv.data.lead = { score: d.score, grade: d.grade, evidence: d.evidence ?? [] };
    renderLeadCard();
  }
}

function onMessage(m) {
  const row = S.leads.get(m.conversation_id);
  if (row) {
    row.last_message = m.text; row.last_activity = m.created_at || row.last_activity; row._flash = true;
    renderLeadsTable();
  } else scheduleRefetch();
  if (S.conv && S.conv.id === m.conversation_id) addTurn(m);
}

function onHandoff(d) {
  if (d.summary) S.summaries.set(d.conversation_id, d.summary);
  const row = S.leads.get(d.conversation_id);
  if (row && row.status === 'bot') { row.handoff = 'requested'; row._flash = true; renderLeadsTable(); }
  toast(h('a', { href: `#/c/${encodeURIComponent(d.conversation_id)}` }, t('handoff_alert', { id: shortId(d.conversation_id) })));
  if (S.conv && S.conv.id === d.conversation_id) {
    if (S.conv.data.status === 'bot') S.conv.data.handoff = 'requested';
    renderControls(); renderSummary();
  }
}

function onConversation(d) {
  const row = S.leads.get(d.conversation_id);
  if (row) {
    if (d.status) row.status = d.status;
    if (d.stage) row.stage = d.stage;
    if (d.handoff) row.handoff = d.handoff;
    renderLeadsTable();
  }
  if (S.conv && S.conv.id === d.conversation_id) {
    if (d.status) S.conv.data.status = d.status;
    if (d.handoff) S.conv.data.handoff = d.handoff;
    if (d.stage) S.conv.data.stage = d.stage;
    renderControls();
  }
}

const shortId = (id) => String(id).slice(0, 8);

// ------------------------------------------------------------------ routing
function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
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

// ------------------------------------------------------------------ leads
async function loadLeads() {
  try {
    const res = await api.get('/v1/leads?sort=-last_activity&limit=500');
    const fresh = new Map();
    for (const l of res.items || []) fresh.set(l.conversation_id, { ...S.leads.get(l.conversation_id), ...l });
    S.leads = fresh; S.leadsLoaded = true;
    renderLeadsTable();
  } catch (e) {
    if (currentRoute().name === 'leads') handleError(e);
  }
}

function showLeads() {
  const f = S.filters;
  const grades = ['', 'A', 'B', 'C', 'D'];
  const gradeSel = h('select', { id: 'f-grade' }, grades.map((g) => h('option', { value: g, selected: f.grade === g }, g || t('all'))));
  const stageSel = h('select', { id: 'f-stage' });
  const minScore = h('input', { id: 'f-score', type: 'number', min: 0, max: 100, step: 1, value: f.minScore, inputmode: 'numeric' });
  const search = h('input', { id: 'f-q', type: 'search', value: f.q });
  const onF = () => {
    f.grade = gradeSel.value; f.stage = stageSel.value; f.minScore = minScore.value; f.q = search.value.trim();
    renderLeadsTable();
  };
  [gradeSel, stageSel].forEach((x) => x.addEventListener('change', onF));
  [minScore, search].forEach((x) => x.addEventListener('input', onF));
  put(view(), 
    h('section', { 'aria-labelledby': 'leads-title' },
      h('h2', { id: 'leads-title' }, t('leads_title')),
      h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
        h('label', { for: 'f-grade' }, t('filter_grade'), gradeSel),
        h('label', { for: 'f-stage' }, t('filter_stage'), stageSel),
        h('label', { for: 'f-score' }, t('filter_min_score'), minScore),
        h('label', { for: 'f-q' }, t('filter_search'), search)),
      h('p', { id: 'leads-count', class: 'muted', role: 'status', 'aria-live': 'polite' }),
      h('div', { class: 'table-wrap' }, h('table', { id: 'leads-table' }, h('caption', { class: 'visually-hidden' }, t('leads_title')),
        h('thead'), h('tbody'))),
    ),
  );
  renderLeadsTable();
  loadLeads();
}

const COLS = [
  ['grade', 'col_grade', ''], ['score', 'col_score', ''], ['stage', 'col_stage', ''], ['status', 'col_status', 'col-status'],
  ['last_activity', 'col_last_activity', ''], ['last_message', 'col_last_message', 'col-msg'],
];

function sortValue(l, k) {
  if (k === 'grade') return { A: 0, B: 1, C: 2, D: 3 }[l.grade] ?? 9;
  if (k === 'score') return l.score ?? 0;
  if (k === 'last_activity') return Date.parse(l.last_activity) || 0;
  return String(l[k] ?? '');
}

function renderLeadsTable() {
  const table = $('leads-table');
  if (!table) return;
  const f = S.filters;
  // Stage filter options come from the data plus the playbook's stage list.
  const stageSel = $('f-stage');
  const stages = new Set([...S.leads.values()].map((l) => l.stage).filter(Boolean));
  (S.company?.playbook?.stages || []).forEach((s) => stages.add(s.id));
  const opts = ['', ...stages];
  if (stageSel && stageSel.options.length !== opts.length) {
    put(stageSel, ...opts.map((s) => h('option', { value: s, selected: f.stage === s }, s ? stageName(s) : t('all'))));
  }
  let rows = [...S.leads.values()];
  if (f.grade) rows = rows.filter((l) => l.grade === f.grade);
  if (f.stage) rows = rows.filter((l) => l.stage === f.stage);
  if (f.minScore !== '' && !Number.isNaN(Number(f.minScore))) rows = rows.filter((l) => (l.score ?? 0) >= Number(f.minScore));
  if (f.q) rows = rows.filter((l) => String(l.last_message || '').toLowerCase().includes(f.q.toLowerCase()));
  const { key, dir } = S.sort;
  rows.sort((a, b) => {
    const x = sortValue(a, key); const y = sortValue(b, key);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return dir === 'asc' ? c : -c;
  });
  const thead = table.tHead;
  put(thead, h('tr', null, COLS.map(([k, label, cls]) => {
    const sortable = k !== 'last_message';
    const aria = key === k ? (dir === 'asc' ? 'ascending' : 'descending') : (sortable ? 'none' : undefined);
    return h('th', { scope: 'col', class: cls || undefined, 'aria-sort': aria },
      sortable ? h('button', { type: 'button', onclick: () => {
        S.sort = { key: k, dir: S.sort.key === k && S.sort.dir === 'desc' ? 'asc' : 'desc' };
        renderLeadsTable();
        table.querySelector(`th button[data-k="${k}"]`)?.focus();
      }, dataset: { k } }, t(label)) : t(label));
  }), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('open')))));
  const tbody = table.tBodies[0];
  if (!rows.length) {
    put(tbody, h('tr', null, h('td', { colspan: COLS.length + 1, class: 'muted' }, S.leadsLoaded ? t('no_leads') : t('loading'))));
  } else {
    put(tbody, ...rows.map((l) => {
      const tr = h('tr', { dataset: { conversation: l.conversation_id, grade: l.grade }, class: l._flash ? 'flash' : undefined },
        h('td', null, gradeBadge(l.grade)),
        h('td', { class: 'score' }, l.score ?? ''),
        h('td', null, stageName(l.stage)),
        h('td', { class: 'col-status' }, statusBadge(shownStatus(l.status, l.handoff))),
        h('td', null, h('time', { datetime: l.last_activity }, formatTime(l.last_activity))),
        h('td', { class: 'msg-cell col-msg', title: l.last_message || '' }, l.last_message || ''),
        h('td', null, h('a', { href: `#/c/${encodeURIComponent(l.conversation_id)}`, 'aria-label': `${t('open')} ${shortId(l.conversation_id)}` }, t('open'))));
      l._flash = false;
      return tr;
    }));
  }
  const count = $('leads-count');
  if (count) count.textContent = t('leads_count', { n: rows.length });
}

// ------------------------------------------------------------------ conversation
async function showConversation(id) {
  put(view(), h('p', { class: 'muted' }, t('loading')));
  await ensureCompany();
  try {
    const [data, msgs] = await Promise.all([
      api.get(`/v1/conversations/${encodeURIComponent(id)}`),
      api.get(`/v1/conversations/${encodeURIComponent(id)}/messages?after=0`),
    ]);
    S.conv = { id, data, messages: new Map(), lastSeq: 0 };
    put(view(), 
      h('p', null, h('a', { href: '#/leads' }, t('back_to_leads'))),
      h('div', { class: 'conv' },
        h('section', { class: 'card', 'aria-labelledby': 'tr-title' },
          h('h2', { id: 'tr-title' }, `${t('transcript')} · ${shortId(id)}`),
          // The list stays a list (role=log on a wrapper); the scrolling list is focusable for keyboards.
          h('div', { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'tr-title' },
            h('ol', { id: 'transcript', class: 'transcript', tabindex: '0', 'aria-labelledby': 'tr-title' }))),
        h('aside', { class: 'side' },
          h('section', { class: 'card', id: 'lead-card', 'aria-labelledby': 'lead-title' }),
          h('section', { class: 'card', id: 'controls', 'aria-label': t('take_over') }),
          h('section', { class: 'card summary', id: 'summary', hidden: true, 'aria-labelledby': 'sum-title' }))),
    );
    for (const m of msgs.items || []) addTurn(m);
    renderLeadCard();
    renderControls();
    renderSummary();
  } catch (e) { handleError(e); }
}

async function catchUpConv() {
  const c = S.conv;
  if (!c) return;
  try {
    const res = await api.get(`/v1/conversations/${encodeURIComponent(c.id)}/messages?after=${c.lastSeq}`);
    for (const m of res.items || []) addTurn(m);
  } catch { /* next reconnect tries again */ }
}

function annotations(a) {
  if (!a) return null;
  const chips = [];
  if (a.intent) {
    chips.push(h('li', { class: 'chip intent' }, h('b', null, `${t('intent')}: `), `${intentName(a.intent.label)} (${a.intent.label}) · ${t('confidence')} ${pct(a.intent.confidence)}`));
  }
  if (a.sentiment) {
    const s = a.sentiment;
    chips.push(h('li', { class: `chip sent-${s.label}` }, h('b', null, `${t('sentiment')}: `),
      `${sentimentName(s.label)} ${typeof s.score === 'number' ? (s.score >= 0 ? '+' : '') + s.score.toFixed(2) : ''}`));
  }
  if (a.dialect) chips.push(h('li', { class: 'chip' }, h('b', null, `${t('dialect')}: `), dialectName(a.dialect)));
  if (a.language) chips.push(h('li', { class: 'chip' }, h('b', null, `${t('language')}: `), languageName(a.language)));
  const ents = a.entities || [];
  if (ents.length) {
    for (const e of ents) {
      chips.push(h('li', { class: 'chip entity' }, h('b', null, `${entityName(e.type)}: `), `${e.text}${valueText(e.value) && valueText(e.value) !== e.text ? ` → ${valueText(e.value)}` : ''}`));
    }
  } else {
    chips.push(h('li', { class: 'chip' }, h('b', null, `${t('entities')}: `), t('none')));
  }
  return h('ul', { class: 'ann', 'aria-label': t('intent') }, chips);
}

function addTurn(m) {
  const c = S.conv;
  const list = $('transcript');
  if (!c || !list || m.id === undefined || c.messages.has(String(m.id))) return;
  c.messages.set(String(m.id), m);
  if (typeof m.seq === 'number' && m.seq > c.lastSeq) c.lastSeq = m.seq;
  const role = m.role === 'customer' ? t('customer') : m.role === 'agent' ? t('agent') : t('bot');
  const li = h('li', { class: `turn ${m.role}`, dataset: { id: m.id, seq: m.seq, role: m.role } },
    h('div', { class: 'meta' }, `${role} · #${m.seq ?? ''} · ${formatTime(m.created_at)}`),
    h('div', { class: 'text' }, m.text),
    m.role === 'customer' ? annotations(m.analysis) : null,
    m.citations && m.citations.length ? h('div', { class: 'meta' }, `KB: ${m.citations.join(', ')}`) : null);
  const after = [...list.children].find((x) => Number(x.dataset.seq) > m.seq);
  if (after) list.insertBefore(li, after); else list.append(li);
  list.scrollTop = list.scrollHeight;
}

function renderLeadCard() {
  const el = $('lead-card');
  if (!el || !S.conv) return;
  const lead = S.conv.data.lead || {};
  const ev = lead.evidence || [];
  put(el, 
    h('h2', { id: 'lead-title' }, t('lead')),
    h('div', { class: 'lead-head' }, gradeBadge(lead.grade, true),
      h('div', null, h('div', { id: 'lead-score' }, t('score_label', { s: lead.score ?? 0 })),
        h('div', { class: 'muted' }, `${t('col_stage')}: ${stageName(S.conv.data.stage)}`))),
    h('h3', { style: 'margin-top:.8rem' }, t('evidence')),
    ev.length ? h('ol', { class: 'evidence' }, ev.map((e) => h('li', null,
      h('span', { class: `pts${e.points < 0 ? ' neg' : ''}` }, `${e.points > 0 ? '+' : ''}${e.points} ${t('points')}`), ' · ',
      `${e.detail || e.signal}`, h('span', { class: 'muted' }, ` (${t('turn', { n: e.turn })}, ${e.signal})`)))) : h('p', { class: 'muted' }, t('none')),
  );
}

function renderControls() {
  const el = $('controls');
  if (!el || !S.conv) return;
  const d = S.conv.data;
  const status = d.status;
  const id = encodeURIComponent(S.conv.id);
  const busy = (btn, fn) => async () => {
    btn.disabled = true;
    try { await fn(); } catch (e) { toast(t('error_prefix') + e.message); } finally { btn.disabled = false; }
  };
  const takeBtn = h('button', { type: 'button', class: 'primary', id: 'take-over' }, t('take_over'));
  takeBtn.addEventListener('click', busy(takeBtn, async () => {
    const res = await api.post(`/v1/conversations/${id}/takeover`, { agent: session.name || undefined });
    const summary = res.handoff && (res.handoff.summary || res.handoff);
    if (summary) S.summaries.set(S.conv.id, summary);
    if (res.conversation) Object.assign(d, res.conversation);
    d.status = 'handed_off'; d.handoff = 'taken_over'; d._mine = true;
    renderControls(); renderSummary();
    $('reply-text')?.focus();
  }));
  const releaseBtn = h('button', { type: 'button', class: 'danger', id: 'hand-back' }, t('hand_back'));
  releaseBtn.addEventListener('click', busy(releaseBtn, async () => {
    const res = await api.post(`/v1/conversations/${id}/release`, {});
    if (res.conversation) Object.assign(d, res.conversation);
    d.status = res.conversation?.status || 'bot'; d.handoff = res.conversation?.handoff || 'bot'; d._mine = false;
    S.summaries.delete(S.conv.id);
    renderControls(); renderSummary();
  }));
  const text = h('textarea', { id: 'reply-text', required: true, maxlength: 2000 });
  const form = h('form', { class: 'reply-form', id: 'reply-form' },
    h('label', { for: 'reply-text' }, t('reply_label')), text,
    h('button', { type: 'submit', class: 'primary', id: 'send-reply' }, t('send_reply')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = text.value.trim();
    if (!v) return;
    const btn = form.querySelector('button');
    btn.disabled = true;
    try {
      const res = await api.post(`/v1/conversations/${id}/agent_messages`, { text: v });
      text.value = '';
      if (res.message) addTurn({ ...res.message, conversation_id: S.conv.id });
    } catch (err) { toast(t('error_prefix') + err.message); } finally { btn.disabled = false; text.focus(); }
  });
  const taken = status === 'handed_off' && (d._mine || (d.state && d.state.agent));
  put(el, 
    h('h2', null, h('span', null, `${t('col_status')}: `), statusBadge(shownStatus(status, d.handoff))),
    status === 'closed' ? null : h('div', { class: 'actions' }, taken ? null : takeBtn, status === 'handed_off' ? releaseBtn : null),
    taken ? h('p', { class: 'muted' }, t('you_took_over')) : null,
    taken ? form : null,
  );
}

function renderSummary() {
  const el = $('summary');
  if (!el || !S.conv) return;
  const s = S.summaries.get(S.conv.id);
  el.hidden = !s;
  if (!s) return;
  const slots = s.slots && typeof s.slots === 'object' ? Object.entries(s.slots) : [];
  const turns = Array.isArray(s.last_turns) ? s.last_turns : [];
  put(el, 
    h('h2', { id: 'sum-title' }, t('handoff_summary')),
    h('dl', null,
      h('dt', null, t('reason')), h('dd', null, s.reason || ''),
      h('dt', null, t('col_stage')), h('dd', null, stageName(s.stage)),
      h('dt', null, t('lead')), h('dd', null, gradeBadge(s.grade), ` ${t('score_label', { s: s.score ?? '' })}`),
      h('dt', null, t('needs')), h('dd', null, (s.needs || []).join('；') || t('none')),
      h('dt', null, t('slots')), h('dd', null, slots.length ? slots.map(([k, v]) => `${k}: ${valueText(v)}`).join('；') : t('none')),
      h('dt', null, t('sentiment_avg')), h('dd', null, typeof s.sentiment === 'number' ? s.sentiment.toFixed(2) : ''),
      turns.length ? [h('dt', null, t('last_turns')), h('dd', null, h('ol', { style: 'margin:0;padding-left:1.1rem' },
        turns.map((x) => h('li', null, typeof x === 'string' ? x : (x.text ?? JSON.stringify(x))))))] : null),
  );
}

// ------------------------------------------------------------------ charts
const PALETTE = ['#0b5cad', '#1b7a3a', '#c05600', '#7b3fb3', '#b3261e', '#007b83', '#8a5a00', '#5f6b76'];

function chartCard(id, titleKey, rows, header) {
  return h('section', { class: 'card', 'aria-labelledby': `${id}-t` },
    h('h3', { id: `${id}-t` }, t(titleKey)),
    h('div', { class: 'chart-box' }, h('canvas', { id, role: 'img', 'aria-label': t(titleKey) })),
    h('details', null, h('summary', null, t('data_table')),
      h('table', null, h('thead', null, h('tr', null, header.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, rows.map((r) => h('tr', null, r.map((x) => h('td', null, x))))))));
}

async function showCharts() {
  put(view(), h('p', { class: 'muted' }, t('loading')));
  let st;
  try { [st] = await Promise.all([api.get('/v1/stats'), ensureCompany()]); } catch (e) { handleError(e); return; }
  if (currentRoute().name !== 'charts') return;
  const grades = ['A', 'B', 'C', 'D'];
  const byGrade = grades.map((g) => (st.leads_by_grade && st.leads_by_grade[g]) || 0);
  const intents = Object.entries(st.intents || {}).sort((a, b) => b[1] - a[1]);
  const sent = st.sentiment_by_day || [];
  const order = (S.company?.playbook?.stages || []).map((s) => s.id);
  const funnel = Object.entries(st.funnel || {}).sort((a, b) => {
    const ia = order.indexOf(a[0]); const ib = order.indexOf(b[0]);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  const perDay = st.conversations_per_day || [];
  put(view(), h('h2', null, t('charts_title')), h('div', { class: 'charts' },
    chartCard('chart-grade', 'chart_grade', grades.map((g, i) => [g, byGrade[i]]), [t('col_grade'), t('count')]),
    chartCard('chart-intents', 'chart_intents', intents.map(([k, v]) => [intentName(k), v]), [t('intent'), t('count')]),
    chartCard('chart-sentiment', 'chart_sentiment', sent.map((d) => [d.day, d.positive, d.neutral, d.negative]), ['', t('positive'), t('neutral'), t('negative')]),
    chartCard('chart-funnel', 'chart_funnel', funnel.map(([k, v]) => [stageName(k), v]), [t('col_stage'), t('count')]),
    chartCard('chart-per-day', 'chart_per_day', perDay.map((d) => [d.day, d.n]), ['', t('conversations')]),
  ));
  const Chart = window.Chart;
  if (!Chart) { handleError(new Error('Chart.js not loaded')); return; }
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.color = '#1b1f24';
  const base = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } };
  const mk = (id, cfg) => S.charts.push(new Chart($(id), cfg));
  mk('chart-grade', { type: 'bar', data: { labels: grades, datasets: [{ label: t('count'), data: byGrade, backgroundColor: ['#1b7a3a', '#0b5cad', '#8a5a00', '#5f6b76'] }] },
    options: { ...base, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  mk('chart-intents', { type: 'bar', data: { labels: intents.map(([k]) => intentName(k)), datasets: [{ label: t('count'), data: intents.map(([, v]) => v), backgroundColor: '#0b5cad' }] },
    options: { ...base, indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } });
  mk('chart-sentiment', { type: 'bar', data: { labels: sent.map((d) => d.day), datasets: [
    { label: t('positive'), data: sent.map((d) => d.positive || 0), backgroundColor: '#1b7a3a' },
    { label: t('neutral'), data: sent.map((d) => d.neutral || 0), backgroundColor: '#9aa5b1' },
    { label: t('negative'), data: sent.map((d) => d.negative || 0), backgroundColor: '#b3261e' }] },
  options: { ...base, plugins: { legend: { display: true, position: 'bottom' } }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } } });
  mk('chart-funnel', { type: 'bar', data: { labels: funnel.map(([k]) => stageName(k)), datasets: [{ label: t('count'), data: funnel.map(([, v]) => v), backgroundColor: PALETTE }] },
    options: { ...base, indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } });
  mk('chart-per-day', { type: 'line', data: { labels: perDay.map((d) => d.day), datasets: [{ label: t('conversations'), data: perDay.map((d) => d.n), borderColor: '#0b5cad', backgroundColor: 'rgba(11,92,173,.15)', fill: true, tension: 0.25, pointRadius: 4 }] },
    options: { ...base, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
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

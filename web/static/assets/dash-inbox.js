// The inbox: tabs "waiting for a person" (oldest first) / mine / all with unread counts, the
// leads table with the customer's name, masked phone, products, channel, variety and owner,
// server-side search over customer fields and every message, filters kept in the URL, CSV export,
// and the alert when a conversation starts waiting (sound, tab-title badge, desktop notification).
import { h } from './api.js';
import { t, loc, formatTime } from './i18n.js';
import {
  S, api, session, put, $, view, handleError, gradeBadge, statusBadge, shownStatus, stageName, customerTitle,
} from './dash-common.js';

const TABS = ['waiting', 'mine', 'all'];
const FILTERS = ['tab', 'q', 'grade', 'stage', 'min_score'];
const BASE_TITLE = document.title;

/** The inbox filters from the URL (`#/leads?tab=waiting&q=…`). */
export function filtersFromHash() {
  const q = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  const p = new URLSearchParams(q);
  const f = {};
  for (const k of FILTERS) f[k] = p.get(k) || '';
  if (!TABS.includes(f.tab)) f.tab = 'all';
  return f;
}

function hashOf(f) {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (f[k] && !(k === 'tab' && f[k] === 'all')) p.set(k, f[k]);
  const s = p.toString();
  return `#/leads${s ? `?${s}` : ''}`;
}

function queryOf(f) {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (f[k]) p.set(k, f[k]);
  return p.toString();
}

export async function loadLeads() {
  const f = filtersFromHash();
  try {
    const res = await api.get(`/v1/inbox?${queryOf(f)}`);
    if (queryOf(filtersFromHash()) !== queryOf(f)) return; // the filters moved on meanwhile
    S.leads = new Map((res.items || []).map((l) => [l.conversation_id, l]));
    S.counts = res.counts || null;
    S.leadsLoaded = true;
    renderTabs();
    renderLeadsTable();
    updateTitle();
  } catch (e) {
    if (location.hash.startsWith('#/leads')) handleError(e);
  }
}

export function scheduleRefetch() {
  clearTimeout(S.refetchTimer);
  if (!navigator.onLine) return; // the reconnect re-reads
  S.refetchTimer = setTimeout(() => { if (location.hash.startsWith('#/leads') || !location.hash) loadLeads(); else refreshCounts(); }, 300);
}

/** Only the counts (for the title badge) when the inbox is not on screen. */
export async function refreshCounts() {
  if (!navigator.onLine) return;
  try {
    const res = await api.get('/v1/inbox?tab=waiting&limit=1');
    S.counts = res.counts || S.counts;
    updateTitle();
  } catch { /* the next event tries again */ }
}

function updateTitle() {
  const n = S.counts ? S.counts.waiting.total : 0;
  document.title = n > 0 ? `(${n}) ${BASE_TITLE}` : BASE_TITLE;
  const badge = $('nav-waiting');
  if (badge) { badge.textContent = n > 0 ? String(n) : ''; badge.hidden = n === 0; }
}

// ------------------------------------------------------------------ alert on a new waiting customer
let audio = null;
function beep() {
  document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  try {
    audio = audio || new AudioContext();
    const o = audio.createOscillator(); const g = audio.createGain();
    o.frequency.value = 880; g.gain.value = 0.08;
    o.connect(g); g.connect(audio.destination);
    o.start(); o.stop(audio.currentTime + 0.25);
  } catch { /* no audio device or not allowed yet */ }
}

/** A customer started waiting for a person: sound, title badge and (if allowed) a desktop notification. */
export async function alertWaiting(conversationId) {
  beep();
  refreshCounts().then(() => { if (location.hash.startsWith('#/leads') || !location.hash) loadLeads(); });
  let customer = S.leads.get(conversationId)?.customer;
  if (!customer) {
    try { customer = (await api.get(`/v1/conversations/${encodeURIComponent(conversationId)}/workspace`)).customer; } catch { /* name unknown */ }
  }
  const name = customerTitle(customer, conversationId);
  const live = $('alert-live');
  if (live) live.textContent = t('new_waiting', { name });
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(t('new_waiting', { name }), { tag: `tuoke-${conversationId}`, body: BASE_TITLE });
      n.onclick = () => { window.focus(); location.hash = `#/c/${encodeURIComponent(conversationId)}`; };
    } catch { /* some browsers only notify from a service worker */ }
  }
}

// ------------------------------------------------------------------ view
export function showLeads() {
  const f = filtersFromHash();
  const grades = ['', 'A', 'B', 'C', 'D'];
  const gradeSel = h('select', { id: 'f-grade' }, grades.map((g) => h('option', { value: g, selected: f.grade === g }, g || t('all'))));
  const stageSel = h('select', { id: 'f-stage' });
  const minScore = h('input', { id: 'f-score', type: 'number', min: 0, max: 100, step: 1, value: f.min_score, inputmode: 'numeric' });
  const search = h('input', { id: 'f-q', type: 'search', value: f.q });
  let typing = null;
  const onF = (now) => {
    clearTimeout(typing);
    const go = () => {
      const next = { ...filtersFromHash(), grade: gradeSel.value, stage: stageSel.value, min_score: minScore.value, q: search.value.trim() };
      history.replaceState(null, '', hashOf(next));
      loadLeads();
    };
    if (now) go(); else typing = setTimeout(go, 250);
  };
  [gradeSel, stageSel].forEach((x) => x.addEventListener('change', () => onF(true)));
  [minScore, search].forEach((x) => x.addEventListener('input', () => onF(false)));
  const exportBtn = h('button', { type: 'button', class: 'secondary', id: 'export-csv' }, t('export_csv'));
  exportBtn.addEventListener('click', exportCsv);
  const notifyBtn = 'Notification' in window && Notification.permission === 'default'
    ? h('button', { type: 'button', class: 'secondary', id: 'notify-enable', onclick: async (e) => {
      try { await Notification.requestPermission(); } catch { /* ignore */ }
      e.target.remove();
    } }, t('notify_enable')) : null;
  put(view(),
    h('section', { 'aria-labelledby': 'leads-title' },
      h('div', { class: 'inbox-head' }, h('h2', { id: 'leads-title' }, t('leads_title')), h('div', { class: 'actions' }, notifyBtn, exportBtn)),
      h('nav', { class: 'tabs', id: 'inbox-tabs', 'aria-label': t('tabs_label') }),
      h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); onF(true); } },
        h('label', { for: 'f-q' }, t('filter_search'), search),
        h('label', { for: 'f-grade' }, t('filter_grade'), gradeSel),
        h('label', { for: 'f-stage' }, t('filter_stage'), stageSel),
        h('label', { for: 'f-score' }, t('filter_min_score'), minScore)),
      h('p', { id: 'leads-count', class: 'muted', role: 'status', 'aria-live': 'polite' }),
      h('div', { class: 'table-wrap' }, h('table', { id: 'leads-table' }, h('caption', { class: 'visually-hidden' }, t('leads_title')),
        h('thead'), h('tbody'))),
    ),
  );
  renderTabs();
  renderLeadsTable();
  loadLeads();
}

function renderTabs() {
  const el = $('inbox-tabs');
  if (!el) return;
  const f = filtersFromHash();
  put(el, h('ul', null, TABS.map((tab) => {
    const c = S.counts ? S.counts[tab] : null;
    return h('li', null, h('a', {
      href: hashOf({ ...f, tab }), id: `tab-${tab}`, class: 'tab', 'aria-current': f.tab === tab ? 'page' : undefined,
      dataset: { tab },
    }, t(`tab_${tab}`), c ? h('span', { class: 'count' }, ` ${c.total}`) : null,
    c && c.unread ? h('span', { class: 'unread', title: t('unread_n', { n: c.unread }) }, String(c.unread)) : null));
  })));
}

async function exportCsv() {
  const res = await fetch(`/v1/inbox/export?${queryOf(filtersFromHash())}`, { headers: { Authorization: `Bearer ${session.key}` } });
  if (!res.ok) { handleError(new Error(`HTTP ${res.status}`), 'inline'); return; }
  const blob = await res.blob();
  const a = h('a', { href: URL.createObjectURL(blob), download: `tuoke-leads-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

const COLS = [
  ['customer', 'col_customer', ''], ['phone', 'col_phone', 'col-opt'], ['grade', 'col_grade', ''], ['score', 'col_score', 'col-opt'],
  ['stage', 'col_stage', 'col-opt'], ['status', 'col_status', ''], ['products', 'col_products', 'col-opt'],
  ['channel', 'col_channel', 'col-opt'], ['variety', 'col_variety', 'col-opt'], ['owner', 'col_owner', 'col-opt'],
  ['last_activity', 'col_last_activity', 'col-opt'], ['last_message', 'col_last_message', 'col-msg'],
];

function minutesSince(iso) { return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000)); }

export function renderLeadsTable() {
  const table = $('leads-table');
  if (!table) return;
  const f = filtersFromHash();
  const stageSel = $('f-stage');
  const stages = new Set((S.company?.playbook?.stages || []).map((s) => s.id));
  [...S.leads.values()].forEach((l) => l.stage && stages.add(l.stage));
  const opts = ['', ...stages];
  if (stageSel && stageSel.options.length !== opts.length) {
    put(stageSel, ...opts.map((s) => h('option', { value: s, selected: f.stage === s }, s ? stageName(s) : t('all'))));
  }
  const rows = [...S.leads.values()];
  put(table.tHead, h('tr', null, COLS.map(([, label, cls]) => h('th', { scope: 'col', class: cls || undefined }, t(label)))));
  const tbody = table.tBodies[0];
  if (!rows.length) {
    put(tbody, h('tr', null, h('td', { colspan: COLS.length, class: 'muted' }, S.leadsLoaded ? t('no_leads') : t('loading'))));
  } else {
    put(tbody, ...rows.map((l) => {
      const c = l.customer || {};
      const title = customerTitle(c, l.conversation_id);
      const status = shownStatus(l.status, l.handoff);
      return h('tr', { dataset: { conversation: l.conversation_id, grade: l.grade, unread: l.unread || 0 }, class: l.unread ? 'unread-row' : undefined },
        h('td', null, h('a', { href: `#/c/${encodeURIComponent(l.conversation_id)}`, class: 'cust-link' }, title),
          l.unread ? h('span', { class: 'unread', title: t('unread_n', { n: l.unread }) }, String(l.unread)) : null),
        h('td', { class: 'col-opt phone' }, c.phone || ''),
        h('td', null, gradeBadge(l.grade)),
        h('td', { class: 'score col-opt' }, l.score ?? ''),
        h('td', { class: 'col-opt' }, stageName(l.stage)),
        h('td', null, statusBadge(status), l.waiting_since ? h('div', { class: 'muted small' }, t('waiting_min', { m: minutesSince(l.waiting_since) })) : null),
        h('td', { class: 'col-opt' }, (l.products || []).map((p) => loc(p.name)).join('、')),
        h('td', { class: 'col-opt' }, l.channel || ''),
        h('td', { class: 'col-opt' }, l.variety ? t(`variety_${l.variety}`) : ''),
        h('td', { class: 'col-opt owner' }, l.owner ? l.owner.agent || '' : ''),
        h('td', { class: 'col-opt' }, h('time', { datetime: l.last_activity }, formatTime(l.last_activity))),
        h('td', { class: 'msg-cell col-msg', title: l.last_message || '' }, l.last_message || ''));
    }));
  }
  const count = $('leads-count');
  if (count) count.textContent = t('leads_count', { n: rows.length });
}

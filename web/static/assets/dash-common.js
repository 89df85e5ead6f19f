// Shared state and helpers of the sales dashboard's modules (dashboard.js boots them).
import { makeApi, h } from './api.js';
import { t, loc, formatTime } from './i18n.js';

const KEY = 'tuoke.dash.key';
const NAME = 'tuoke.dash.name';
export const session = {
  get key() { try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; } },
  set key(v) { try { if (v) sessionStorage.setItem(KEY, v); else sessionStorage.removeItem(KEY); } catch { /* ignore */ } },
  get name() { try { return sessionStorage.getItem(NAME) || ''; } catch { return ''; } },
  set name(v) { try { sessionStorage.setItem(NAME, v || ''); } catch { /* ignore */ } },
};
export const api = makeApi(() => session.key);

export const S = {
  leads: new Map(), // conversation_id -> inbox row
  leadsLoaded: false,
  counts: null, // {waiting, mine, all: {total, unread}}
  company: null,
  signals: null, // grading signal id -> {detail}
  summaries: new Map(), // conversation_id -> handoff summary
  events: null,
  conv: null, // {id, data, messages: Map, work}
  charts: [],
  refetchTimer: null,
  onAuthError: () => {},
};

export const view = () => document.getElementById('view');
// replaceChildren() would print null/false as text: drop them (and flatten arrays) first.
export const put = (el, ...kids) => el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
export const $ = (id) => document.getElementById(id);

export function toast(node, ms = 6000) {
  const el = h('div', { class: 'toast' }, node);
  $('toasts').append(el);
  setTimeout(() => el.remove(), ms);
}

export function handleError(e, where) {
  if (e && (e.status === 401 || e.status === 403) && where !== 'inline') { S.onAuthError(t('login_failed') + e.message); return; }
  const target = where && where.nodeType ? where : view();
  put(target, h('p', { class: 'error', role: 'alert' }, t('load_failed') + (e && e.message ? e.message : e)));
}

export function gradeBadge(g, big) {
  return h('span', { class: `grade ${g || 'D'}${big ? ' big' : ''}`, 'aria-label': t('grade_label', { g: g || '?' }) }, g || '?');
}
export function statusBadge(s) {
  return h('span', { class: `status ${s}` }, t(`status_${s}`));
}
// What staff should see: a bot conversation whose customer asked for a person reads "requested"
// (the bot keeps answering until someone takes over).
export function shownStatus(status, handoff) {
  return status === 'bot' && handoff === 'requested' ? 'requested' : status;
}
export function stageName(id) {
  const st = S.company && S.company.playbook && Array.isArray(S.company.playbook.stages)
    ? S.company.playbook.stages.find((x) => x.id === id) : null;
  return st ? loc(st.name) : (id || '');
}
export function pct(x) { return typeof x === 'number' ? `${Math.round(x * 100)}%` : ''; }
export function valueText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if ('amount' in v) return `${v.amount}${v.unit ? ` ${v.unit}` : ''}${v.currency ? ` ${v.currency}` : ''}`;
  if ('datetime' in v) return formatTime(v.datetime);
  if ('zh' in v || 'en' in v) return loc(v);
  if ('sqm' in v) return `${v.sqm} m²`;
  return JSON.stringify(v);
}
export async function ensureCompany() {
  if (S.company) return S.company;
  try { S.company = await api.get('/v1/company'); } catch { S.company = { playbook: {} }; }
  return S.company;
}
export async function ensureSignals() {
  if (S.signals) return S.signals;
  try {
    const r = await api.get('/v1/grading_signals');
    S.signals = new Map((r.items || []).map((s) => [s.id, s]));
  } catch { S.signals = new Map(); }
  return S.signals;
}
/** Who the customer is, for titles: name, else the (masked) phone, else "visitor 1a2b". */
export function customerTitle(c, id) {
  if (c && c.name) return c.name;
  if (c && c.phone) return c.phone;
  return t('visitor', { id: String(id || '').slice(0, 4) });
}

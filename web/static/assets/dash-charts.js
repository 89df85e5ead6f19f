// Charts: the funnel over a chosen date range (stage reach and conversion, outcomes, handoff
// waits, per agent; the range is kept in the URL) and the overall charts from /v1/stats.
import { h } from './api.js';
import { t, intentName } from './i18n.js';
import { S, api, put, $, view, handleError, stageName, pct, ensureCompany } from './dash-common.js';

/** `{from, to}` (YYYY-MM-DD) from `#/charts?from=…&to=…`; empty: the server's last 30 days. */
function rangeFromHash() {
  const q = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  const p = new URLSearchParams(q);
  const re = /^\d{4}-\d{2}-\d{2}$/;
  return { from: re.test(p.get('from') || '') ? p.get('from') : '', to: re.test(p.get('to') || '') ? p.get('to') : '' };
}

function secs(n) { return n == null ? '–' : t('seconds', { n }); }

function funnelCard(fn) {
  const from = h('input', { type: 'date', id: 'fn-from', value: fn.from, required: true });
  const to = h('input', { type: 'date', id: 'fn-to', value: fn.to, required: true });
  const form = h('form', { class: 'filters', id: 'funnel-range', onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/charts?from=${from.value}&to=${to.value}`;
  } }, h('label', { for: 'fn-from' }, t('date_from'), from), h('label', { for: 'fn-to' }, t('date_to'), to),
  h('button', { type: 'submit', class: 'primary', id: 'fn-apply' }, t('apply')));
  const o = fn.outcomes || {};
  const ho = fn.handoffs || {};
  const w = ho.wait_seconds || {};
  return h('section', { class: 'card funnel', id: 'funnel', 'aria-labelledby': 'funnel-t' },
    h('h3', { id: 'funnel-t' }, t('funnel_title')), form,
    h('div', { class: 'kb-grid' },
      h('table', { id: 'funnel-stages' }, h('caption', null, `${fn.from} – ${fn.to} · ${t('conversations')}: ${fn.conversations}`),
        h('thead', null, h('tr', null, [t('col_stage'), t('reached'), t('conversion')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, (fn.stages || []).map((s) => h('tr', { dataset: { stage: s.id } }, h('td', null, stageName(s.id)), h('td', { class: 'reached' }, s.reached),
          h('td', null, s.conversion == null ? '' : pct(s.conversion)))))),
      h('dl', { class: 'kv', id: 'funnel-outcomes' },
        h('dt', null, t('outcome_won')), h('dd', { id: 'fn-won' }, o.won ?? 0),
        h('dt', null, t('outcome_lost')), h('dd', { id: 'fn-lost' }, o.lost ?? 0),
        h('dt', null, t('outcome_follow_up')), h('dd', null, o.follow_up ?? 0),
        h('dt', null, t('win_rate')), h('dd', null, fn.win_rate == null ? '–' : pct(fn.win_rate)),
        h('dt', null, t('handoffs_requested')), h('dd', { id: 'fn-handoffs' }, ho.requested ?? 0),
        h('dt', null, t('handoffs_taken')), h('dd', null, ho.taken ?? 0),
        h('dt', null, t('handoffs_untaken')), h('dd', null, ho.untaken ?? 0),
        h('dt', null, t('wait_median')), h('dd', null, secs(w.median)),
        h('dt', null, t('wait_p90')), h('dd', null, secs(w.p90)))),
    (fn.agents || []).length ? h('table', { id: 'funnel-agents' }, h('caption', null, t('per_agent')),
      h('thead', null, h('tr', null, [t('agent_name'), t('taken'), t('wait_median'), t('outcome_won'), t('outcome_lost'), t('outcome_follow_up')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, fn.agents.map((a) => h('tr', null, h('td', null, a.agent), h('td', null, a.taken), h('td', null, secs(a.wait_seconds && a.wait_seconds.median)),
        h('td', null, a.won), h('td', null, a.lost), h('td', null, a.follow_up))))) : null);
}

const PALETTE = ['#0b5cad', '#1b7a3a', '#c05600', '#7b3fb3', '#b3261e', '#007b83', '#8a5a00', '#5f6b76'];

function chartCard(id, titleKey, rows, header) {
  return h('section', { class: 'card', 'aria-labelledby': `${id}-t` },
    h('h3', { id: `${id}-t` }, t(titleKey)),
    h('div', { class: 'chart-box' }, h('canvas', { id, role: 'img', 'aria-label': t(titleKey) })),
    h('details', null, h('summary', null, t('data_table')),
      h('table', null, h('thead', null, h('tr', null, header.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, rows.map((r) => h('tr', null, r.map((x) => h('td', null, x))))))));
}

export async function showCharts() {
  put(view(), h('p', { class: 'muted' }, t('loading')));
  let st;
  const range = rangeFromHash();
  let fn;
  try {
    [st, fn] = await Promise.all([api.get('/v1/stats'), api.get(`/v1/funnel?${new URLSearchParams(range)}`), ensureCompany()]);
  } catch (e) { handleError(e); return; }
  if (!location.hash.startsWith('#/charts')) return;
  const grades = ['A', 'B', 'C', 'D'];
  const byGrade = grades.map((g) => (st.leads_by_grade && st.leads_by_grade[g]) || 0);
  const intents = Object.entries(st.intents || {}).sort((a, b) => b[1] - a[1]);
  const sent = st.sentiment_by_day || [];
  const perDay = st.conversations_per_day || [];
  const stages = fn.stages || [];
  put(view(), h('h2', null, t('charts_title')), funnelCard(fn), h('div', { class: 'charts' },
    chartCard('chart-grade', 'chart_grade', grades.map((g, i) => [g, byGrade[i]]), [t('col_grade'), t('count')]),
    chartCard('chart-intents', 'chart_intents', intents.map(([k, v]) => [intentName(k), v]), [t('intent'), t('count')]),
    chartCard('chart-sentiment', 'chart_sentiment', sent.map((d) => [d.day, d.positive, d.neutral, d.negative]), ['', t('positive'), t('neutral'), t('negative')]),
    chartCard('chart-funnel', 'chart_funnel', stages.map((s) => [stageName(s.id), s.reached, s.conversion == null ? '' : pct(s.conversion)]), [t('col_stage'), t('reached'), t('conversion')]),
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
  mk('chart-funnel', { type: 'bar', data: { labels: stages.map((s) => stageName(s.id)), datasets: [{ label: t('reached'), data: stages.map((s) => s.reached), backgroundColor: PALETTE }] },
    options: { ...base, indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } });
  mk('chart-per-day', { type: 'line', data: { labels: perDay.map((d) => d.day), datasets: [{ label: t('conversations'), data: perDay.map((d) => d.n), borderColor: '#0b5cad', backgroundColor: 'rgba(11,92,173,.15)', fill: true, tension: 0.25, pointRadius: 4 }] },
    options: { ...base, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
}


// The conversation view: the transcript (customer turns numbered as the grading counts them) with
// annotations, the customer and lead with evidence in the UI language, who holds the conversation
// (others see "<agent> is handling this" and take it over only explicitly), the reply box with
// canned replies, private notes, close with an outcome, and the handoff reason and summary.
import { h } from './api.js';
import {
  t, loc, intentName, entityName, dialectName, languageName, sentimentName, formatTime,
} from './i18n.js';
import {
  S, api, session, put, $, view, toast, handleError, gradeBadge, statusBadge, shownStatus, stageName, pct, valueText,
  ensureCompany, ensureSignals, customerTitle,
} from './dash-common.js';

const enc = encodeURIComponent;

export async function showConversation(id) {
  put(view(), h('p', { class: 'muted' }, t('loading')));
  await Promise.all([ensureCompany(), ensureSignals()]);
  try {
    const [data, msgs, work, canned] = await Promise.all([
      api.get(`/v1/conversations/${enc(id)}`),
      api.get(`/v1/conversations/${enc(id)}/messages?after=0`),
      api.get(`/v1/conversations/${enc(id)}/workspace`),
      api.get('/v1/canned_replies').catch(() => ({ items: [] })),
    ]);
    S.conv = { id, data, messages: new Map(), lastSeq: 0, customerTurns: 0, work, canned: canned.items || [] };
    const title = customerTitle(work.customer, id);
    put(view(),
      h('p', null, h('a', { href: '#/leads' }, t('back_to_leads'))),
      h('div', { class: 'conv' },
        // On a phone the side column (status, take-over, reply) comes first.
        h('aside', { class: 'side' },
          h('section', { class: 'card', id: 'controls', 'aria-labelledby': 'controls-title' }),
          h('section', { class: 'card', id: 'customer-card', 'aria-labelledby': 'cust-title' }),
          h('section', { class: 'card', id: 'lead-card', 'aria-labelledby': 'lead-title' }),
          h('section', { class: 'card summary', id: 'summary', 'aria-labelledby': 'sum-title' }),
          h('section', { class: 'card', id: 'notes', 'aria-labelledby': 'notes-title' })),
        h('section', { class: 'card transcript-card', 'aria-labelledby': 'tr-title' },
          h('h2', { id: 'tr-title' }, `${t('transcript')} · ${title}`),
          // The list stays a list (role=log on a wrapper); the scrolling list is focusable for keyboards.
          h('div', { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'tr-title' },
            h('ol', { id: 'transcript', class: 'transcript', tabindex: '0', 'aria-labelledby': 'tr-title' })))),
    );
    for (const m of msgs.items || []) addTurn(m);
    renderAll();
    markRead();
  } catch (e) { handleError(e); }
}

function renderAll() { renderControls(); renderCustomer(); renderLeadCard(); renderSummary(); renderNotes(); }

let readTimer = null;
export function markRead() {
  const c = S.conv;
  if (!c || !c.lastSeq || !navigator.onLine) return;
  clearTimeout(readTimer);
  // Checked again when it fires: the connection can drop in between (a failed request is a
  // console error in the browser even when caught); the next refresh marks it read.
  readTimer = setTimeout(() => {
    if (navigator.onLine) api.post(`/v1/conversations/${enc(c.id)}/read`, { seq: c.lastSeq }).catch(() => {});
  }, 200);
}

/** Re-reads the workspace (holder, notes, outcome, summary) after a change seen on the stream. */
export async function refreshWork() {
  const c = S.conv;
  if (!c || !navigator.onLine) return;
  try {
    const [data, work] = await Promise.all([api.get(`/v1/conversations/${enc(c.id)}`), api.get(`/v1/conversations/${enc(c.id)}/workspace`)]);
    if (S.conv !== c) return;
    c.data = data; c.work = work;
    renderAll();
  } catch { /* next event tries again */ }
}

export async function catchUpConv() {
  const c = S.conv;
  if (!c) return;
  try {
    const res = await api.get(`/v1/conversations/${enc(c.id)}/messages?after=${c.lastSeq}`);
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

export function addTurn(m) {
  const c = S.conv;
  const list = $('transcript');
  if (!c || !list || m.id === undefined || c.messages.has(String(m.id))) return;
  c.messages.set(String(m.id), m);
  if (typeof m.seq === 'number' && m.seq > c.lastSeq) c.lastSeq = m.seq;
  const role = m.role === 'customer' ? t('customer') : m.role === 'agent' ? `${t('agent')}${m.agent ? ` ${m.agent}` : ''}` : t('bot');
  // Customer turns are numbered as the grading counts them, so the evidence's "turn n" is this one.
  const turnNo = m.role === 'customer' ? ++c.customerTurns : null;
  const li = h('li', { class: `turn ${m.role}`, id: turnNo ? `turn-${turnNo}` : undefined, dataset: { id: m.id, seq: m.seq, role: m.role, turn: turnNo ?? undefined } },
    h('div', { class: 'meta' }, `${role}${turnNo ? ` · ${t('evidence_turn', { n: turnNo })}` : ''} · ${formatTime(m.created_at)}`),
    h('div', { class: 'text' }, m.text),
    m.role === 'customer' ? annotations(m.analysis) : null,
    m.citations && m.citations.length ? h('div', { class: 'meta' }, `KB: ${m.citations.join(', ')}`) : null,
    llmMarker(m.llm));
  const after = [...list.children].find((x) => Number(x.dataset.seq) > m.seq);
  if (after) list.insertBefore(li, after); else list.append(li);
  list.scrollTop = list.scrollHeight;
  markRead();
}

/** What became of the LLM's rewording of a bot message: "LLM" (its checked rewording was sent),
 *  "LLM rejected: reason", "LLM timed out" or "LLM failed" (the template was sent). */
function llmMarker(mark) {
  if (!mark || !mark.status) return null;
  const used = mark.status === 'used';
  const text = used ? t('llm_used')
    : mark.status === 'rejected' ? t('llm_rejected', { r: mark.reason || '?' })
    : mark.status === 'timed_out' ? t('llm_timed_out') : t('llm_failed');
  return h('div', { class: `meta llm ${used ? 'llm-used' : 'llm-fallback'}`, title: t(used ? 'llm_used_hint' : 'llm_fallback_hint') },
    h('span', { class: 'chip' }, text));
}

/** An evidence line in the UI language: the grading signal's own text, the intent by name. */
function evidenceText(e) {
  const sig = S.signals && S.signals.get(e.signal);
  const base = sig && sig.detail ? loc(sig.detail) : (e.detail || e.signal);
  const m = /\(intent ([a-z_]+)\)\s*$/.exec(e.detail || '');
  return m ? `${base}${t('intent_suffix', { i: intentName(m[1]) })}` : base;
}

export function renderLeadCard() {
  const el = $('lead-card');
  if (!el || !S.conv) return;
  const lead = S.conv.data.lead || {};
  const ev = lead.evidence || [];
  put(el,
    h('h2', { id: 'lead-title' }, t('lead')),
    h('div', { class: 'lead-head' }, gradeBadge(lead.grade, true),
      h('div', null, h('div', { id: 'lead-score' }, t('score_label', { s: lead.score ?? 0 })),
        h('div', { class: 'muted' }, `${t('col_stage')}: ${stageName(S.conv.data.stage)}`))),
    h('h3', { class: 'sub' }, t('evidence')),
    ev.length ? h('ol', { class: 'evidence' }, ev.map((e) => h('li', { dataset: { turn: e.turn, signal: e.signal } },
      h('span', { class: `pts${e.points < 0 ? ' neg' : ''}` }, `${e.points > 0 ? '+' : ''}${e.points} ${t('points')}`), ' · ',
      h('span', { class: 'ev-text' }, evidenceText(e)), ' ',
      h('a', { href: `#turn-${e.turn}`, class: 'muted ev-turn', onclick: (ev2) => { ev2.preventDefault(); $(`turn-${e.turn}`)?.scrollIntoView({ block: 'center' }); } },
        `(${t('evidence_turn', { n: e.turn })})`)))) : h('p', { class: 'muted' }, t('none')),
  );
}

function renderCustomer() {
  const el = $('customer-card');
  const w = S.conv && S.conv.work;
  if (!el || !w) return;
  const c = w.customer || {};
  put(el, h('h2', { id: 'cust-title' }, `${t('customer_info')} · ${customerTitle(c, S.conv.id)}`),
    h('dl', { class: 'kv' },
      c.name ? [h('dt', null, t('col_customer')), h('dd', null, c.name)] : null,
      c.phone ? [h('dt', null, t('col_phone')), h('dd', { id: 'cust-phone' }, c.phone, c.phone_masked ? h('span', { class: 'muted' }, ` ${t('masked')}`) : null)] : null,
      h('dt', null, t('col_channel')), h('dd', null, w.channel || ''),
      w.variety ? [h('dt', null, t('col_variety')), h('dd', null, t(`variety_${w.variety}`))] : null,
      w.outcome ? [h('dt', null, t('outcome')), h('dd', { id: 'outcome' }, t(`outcome_${w.outcome.outcome}`))] : null));
}

const busy = (btn, fn) => async () => {
  btn.disabled = true;
  try { await fn(); } catch (e) { toast(t('error_prefix') + e.message); } finally { btn.disabled = false; }
};

async function takeOver(force) {
  const c = S.conv;
  const res = await api.post(`/v1/conversations/${enc(c.id)}/takeover`, { agent: session.name || undefined, force: force || undefined });
  const summary = res.handoff && (res.handoff.summary || res.handoff);
  if (summary) S.summaries.set(c.id, summary);
  if (res.conversation) Object.assign(c.data, res.conversation);
  await refreshWork();
  $('reply-text')?.focus();
}

export function renderControls() {
  const el = $('controls');
  if (!el || !S.conv) return;
  const d = S.conv.data;
  const w = S.conv.work || {};
  const status = d.status;
  const id = enc(S.conv.id);
  const owner = status === 'handed_off' ? w.owner : null;
  const mine = !!(owner && owner.mine);
  const other = owner && !owner.mine;
  const takeBtn = h('button', { type: 'button', class: 'primary', id: 'take-over' }, t('take_over'));
  takeBtn.addEventListener('click', busy(takeBtn, () => takeOver(false)));
  const forceBtn = h('button', { type: 'button', class: 'secondary', id: 'take-over-force' }, t('take_over_anyway'));
  forceBtn.addEventListener('click', busy(forceBtn, () => takeOver(true)));
  const releaseBtn = h('button', { type: 'button', class: 'danger', id: 'hand-back' }, t('hand_back'));
  releaseBtn.addEventListener('click', busy(releaseBtn, async () => {
    const res = await api.post(`/v1/conversations/${id}/release`, {});
    if (res.conversation) Object.assign(d, res.conversation);
    S.summaries.delete(S.conv.id);
    await refreshWork();
  }));
  const text = h('textarea', { id: 'reply-text', required: true, maxlength: 2000 });
  const cannedSel = S.conv.canned.length ? h('select', { id: 'canned', 'aria-label': t('canned') },
    h('option', { value: '' }, t('canned_pick')), S.conv.canned.map((r) => h('option', { value: r.id }, loc(r.title)))) : null;
  cannedSel?.addEventListener('change', () => {
    const r = S.conv.canned.find((x) => x.id === cannedSel.value);
    const v = w.variety === 'yue' ? (r?.text.yue || r?.text.zh) : w.variety === 'en' ? r?.text.en : r?.text.zh;
    if (v) { text.value = text.value ? `${text.value} ${v}` : v; text.focus(); }
    cannedSel.value = '';
  });
  const form = h('form', { class: 'reply-form', id: 'reply-form' },
    h('label', { for: 'reply-text' }, t('reply_label')), cannedSel, text,
    h('button', { type: 'submit', class: 'primary', id: 'send-reply' }, t('send_reply')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = text.value.trim();
    if (!v) return;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const res = await api.post(`/v1/conversations/${id}/agent_messages`, { text: v });
      text.value = '';
      if (res.message) addTurn({ ...res.message, conversation_id: S.conv.id });
    } catch (err) {
      toast(t('error_prefix') + err.message);
      if (err.code === 'assigned') refreshWork();
    } finally { btn.disabled = false; text.focus(); }
  });
  const outcomeSel = h('select', { id: 'close-outcome', 'aria-label': t('outcome') },
    ['won', 'lost', 'follow_up'].map((o) => h('option', { value: o }, t(`outcome_${o}`))));
  const closeBtn = h('button', { type: 'button', class: 'secondary', id: 'close-conv' }, t('close_btn'));
  closeBtn.addEventListener('click', busy(closeBtn, async () => {
    const res = await api.post(`/v1/conversations/${id}/close`, { outcome: outcomeSel.value });
    if (res.conversation) Object.assign(d, res.conversation);
    await refreshWork();
  }));
  const canClose = status !== 'closed' && !other;
  put(el,
    h('h2', { id: 'controls-title' }, h('span', null, `${t('col_status')}: `), statusBadge(shownStatus(status, d.handoff)),
      w.outcome ? h('span', { class: 'muted' }, ` ${t('closed_with', { o: t(`outcome_${w.outcome.outcome}`) })}`) : null),
    other ? h('p', { class: 'handling', id: 'handling', role: 'status' }, h('strong', null, t('handling', { name: owner.agent || '?' })), h('br'),
      h('span', { class: 'muted' }, t('handling_hint'))) : null,
    status === 'closed' ? null : h('div', { class: 'actions' }, status !== 'handed_off' ? takeBtn : null, other ? forceBtn : null, mine ? releaseBtn : null),
    mine ? h('p', { class: 'muted' }, t('you_took_over')) : null,
    mine ? form : null,
    canClose ? h('div', { class: 'close-row' }, h('span', { class: 'muted' }, t('close_title')), outcomeSel, closeBtn) : null,
  );
}

function reasonText(r) {
  if (!r) return '';
  const k = `reason_${r}`;
  const s = t(k);
  return s === k ? r : s;
}

export function renderSummary() {
  const el = $('summary');
  const c = S.conv;
  if (!el || !c) return;
  const s = S.summaries.get(c.id) || (c.work && c.work.summary) || null;
  if (!s) { el.hidden = true; return; }
  el.hidden = false;
  const ho = c.work && c.work.handoff;
  const slots = s.slots && typeof s.slots === 'object' ? Object.entries(s.slots).filter(([k]) => k !== 'products_mentioned') : [];
  const turns = Array.isArray(s.last_turns) ? s.last_turns.slice(-4) : [];
  const needs = (s.needs || []).map((n) => (/^[a-z_]+$/.test(n) ? intentName(n) : n));
  put(el,
    h('h2', { id: 'sum-title' }, t('handoff_summary')),
    h('dl', null,
      h('dt', null, t('reason')), h('dd', { id: 'sum-reason' }, reasonText(ho ? ho.reason : s.reason)),
      h('dt', null, t('col_stage')), h('dd', null, stageName(s.stage)),
      h('dt', null, t('lead')), h('dd', null, gradeBadge(s.grade), ` ${t('score_label', { s: s.score ?? '' })}`),
      h('dt', null, t('needs')), h('dd', null, needs.join('；') || t('none')),
      h('dt', null, t('slots')), h('dd', null, slots.length ? slots.map(([k, v]) => `${k}: ${valueText(v)}`).join('；') : t('none')),
      h('dt', null, t('sentiment_avg')), h('dd', null, typeof s.sentiment === 'number' ? s.sentiment.toFixed(2) : ''),
      (s.evidence || []).length ? [h('dt', null, t('evidence')), h('dd', null, s.evidence.map(evidenceText).join('；'))] : null,
      turns.length ? [h('dt', null, t('last_turns')), h('dd', null, h('ol', { class: 'last-turns' },
        turns.map((x) => h('li', null, typeof x === 'string' ? x : `${x.role === 'customer' ? t('customer') : x.role === 'agent' ? t('agent') : t('bot')}: ${x.text ?? ''}`))))] : null),
  );
}

function renderNotes() {
  const el = $('notes');
  const c = S.conv;
  if (!el || !c || !c.work) return;
  const text = h('textarea', { id: 'note-text', maxlength: 2000, required: true });
  const form = h('form', { class: 'reply-form', id: 'note-form' }, h('label', { for: 'note-text' }, t('note_label')), text,
    h('button', { type: 'submit', class: 'secondary', id: 'add-note' }, t('add_note')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = text.value.trim();
    if (!v) return;
    try {
      const res = await api.post(`/v1/conversations/${enc(c.id)}/notes`, { text: v });
      addNote(res.note);
      text.value = '';
    } catch (err) { toast(t('error_prefix') + err.message); }
  });
  put(el, h('h2', { id: 'notes-title' }, t('notes')),
    h('ol', { class: 'notes', id: 'notes-list' }, (c.work.notes || []).map(noteItem)), form);
}

const noteItem = (n) => h('li', { dataset: { id: n.id } }, h('div', { class: 'meta' }, `${n.author} · ${formatTime(n.created_at)}`), h('div', null, n.text));

/** A note from this tab or the stream (each once). */
export function addNote(n) {
  const c = S.conv;
  if (!c || !c.work || !n) return;
  if ((c.work.notes || []).some((x) => x.id === n.id)) return;
  c.work.notes = [...(c.work.notes || []), n];
  $('notes-list')?.append(noteItem(n));
}

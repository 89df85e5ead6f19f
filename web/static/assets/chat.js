// Customer chat: the standalone page /chat?key=WIDGET_KEY and the iframe that widget.js opens.
// Keeps the conversation id and unsent messages in localStorage; streams messages over SSE and,
// after a network drop, resumes from the last seq it saw. Messages are deduplicated by id and a
// resent message keeps its client_message_id, so the server never stores it twice.
import { makeApi, resilientEvents, h } from './api.js';
import { t, getLang, setLang, applyI18n, onLangChange, formatTime } from './i18n.js';

const params = new URLSearchParams(location.search);
const widgetKey = params.get('key') || document.documentElement.dataset.key || '';
const embedded = params.get('embed') === '1';
if (params.get('lang') === 'zh' || params.get('lang') === 'en') setLang(params.get('lang'));

const api = makeApi(() => widgetKey);
const storeKey = `tuoke.chat.v1.${widgetKey}`;

const els = {
  log: document.getElementById('log'), form: document.getElementById('composer'), input: document.getElementById('msg'),
  send: document.getElementById('send'), conn: document.getElementById('conn'), banner: document.getElementById('handoff-banner'),
  typing: document.getElementById('typing'), error: document.getElementById('error'),
};

const state = {
  convId: null,
  status: 'bot',
  handoff: 'bot', // bot | requested (a person was asked for; the bot keeps answering) | taken_over
  lastSeq: 0,
  messages: new Map(), // id -> message
  pending: [], // [{cmid, text, phase: 'queued'|'sending'|'failed'}]
  inFlight: 0,
  events: null,
  retryTimer: null,
  connStatus: 'connecting',
};

// In the embedded iframe the browser may block third-party storage, so the host page keeps a
// copy through widget.js: it passes the saved state in the URL fragment and we post every change.
function fromFragment() {
  const m = location.hash.match(/[#&]state=([^&]*)/);
  if (!m) return null;
  try { return JSON.parse(decodeURIComponent(m[1])); } catch { return null; }
}
function load() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(storeKey) || 'null'); } catch { /* blocked */ }
  return saved || (embedded && fromFragment()) || {};
}
function save() {
  const data = { conversation_id: state.convId, pending: state.pending.map(({ cmid, text }) => ({ cmid, text })) };
  try { localStorage.setItem(storeKey, JSON.stringify(data)); } catch { /* storage full or blocked */ }
  if (embedded && parent !== window) parent.postMessage({ type: 'tuoke:state', state: data }, '*');
}

function newCmid() {
  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function showError(msg) {
  els.error.hidden = !msg;
  els.error.textContent = msg ? t('chat_error') + msg : '';
}

function setConn(s) {
  state.connStatus = s;
  const text = { connecting: t('connecting'), reconnecting: t('reconnecting'), offline: t('offline'), open: '' }[s] ?? '';
  els.conn.textContent = text;
  els.conn.classList.toggle('warn', s === 'reconnecting' || s === 'offline');
}

// `handoff` comes with the conversation (and its events); a bare status keeps the last one known,
// except that a taken-over or released conversation settles it.
function setStatus(status, live, handoff) {
  const was = state.status;
  state.status = status;
  if (handoff) state.handoff = handoff;
  else if (status === 'handed_off') state.handoff = 'taken_over';
  else if (was === 'handed_off' && status === 'bot') state.handoff = 'bot';
  const banner = status === 'handed_off' ? t('agent_joined') : state.handoff === 'requested' ? t('agent_requested') : '';
  els.banner.hidden = !banner;
  els.banner.textContent = banner;
  els.banner.dataset.state = status === 'handed_off' ? 'taken_over' : state.handoff;
  if (live && was === 'handed_off' && status === 'bot') addSys(t('bot_back'));
  updateTyping();
}

function addSys(text) {
  els.log.append(h('li', { class: 'sys' }, text));
  scroll();
}

function scroll() { els.log.scrollTop = els.log.scrollHeight; }

function who(role) { return role === 'customer' ? t('you') : role === 'agent' ? t('agent') : t('bot'); }

function renderMessage(m) {
  return h('li', { class: `msg ${m.role}`, dataset: { id: m.id, seq: m.seq, role: m.role } },
    h('span', { class: 'who' }, `${who(m.role)} · ${formatTime(m.created_at)}`),
    h('div', { class: 'bubble' }, m.text));
}

function addMessage(m) {
  if (!m || m.id === undefined || m.id === null) return;
  const id = String(m.id);
  if (state.messages.has(id)) return;
  if (m.role === 'customer') {
    // A message we sent may arrive over SSE before its POST answers: retire the pending copy.
    const i = state.pending.findIndex((p) => (m.client_message_id && p.cmid === m.client_message_id)
      || (!m.client_message_id && p.phase === 'sending' && p.text === m.text));
    if (i >= 0) {
      const [p] = state.pending.splice(i, 1);
      p.done = true;
      document.querySelector(`li[data-cmid="${p.cmid}"]`)?.remove();
      save();
    }
  }
  state.messages.set(id, m);
  if (typeof m.seq === 'number' && m.seq > state.lastSeq) state.lastSeq = m.seq;
  const li = renderMessage(m);
  // Keep seq order even if a late catch-up delivers an older message.
  const after = [...els.log.querySelectorAll('li.msg[data-seq]')].find((x) => Number(x.dataset.seq) > m.seq);
  if (after) els.log.insertBefore(li, after);
  else {
    const firstPending = els.log.querySelector('li.pending');
    if (firstPending) els.log.insertBefore(li, firstPending); else els.log.append(li);
  }
  scroll();
  updateTyping();
}

function renderPending(p) {
  let li = document.querySelector(`li[data-cmid="${p.cmid}"]`);
  const label = p.phase === 'failed' ? t('send_failed') : t('sending');
  if (!li) {
    li = h('li', { class: 'msg customer pending', dataset: { cmid: p.cmid } },
      h('span', { class: 'who' }, t('you')), h('div', { class: 'bubble' }, p.text), h('span', { class: 'state' }, label));
    els.log.append(li);
    scroll();
  }
  const st = li.querySelector('.state');
  st.textContent = label;
  st.classList.toggle('failed', p.phase === 'failed');
}

function updateTyping() {
  els.typing.hidden = !(state.inFlight > 0 && state.status === 'bot');
}

async function flush() {
  clearTimeout(state.retryTimer);
  if (!state.convId) return;
  while (state.pending.length) {
    const p = state.pending[0];
    if (p.phase === 'sending') return; // already in flight
    if (!navigator.onLine) { p.phase = 'failed'; renderPending(p); return; }
    p.phase = 'sending';
    renderPending(p);
    state.inFlight += 1;
    updateTyping();
    try {
      const res = await api.post(`/v1/conversations/${encodeURIComponent(state.convId)}/messages`, { text: p.text, client_message_id: p.cmid });
      const i = state.pending.indexOf(p);
      if (i >= 0) state.pending.splice(i, 1);
      document.querySelector(`li[data-cmid="${p.cmid}"]`)?.remove();
      save();
      addMessage(res.message);
      if (res.reply_message) addMessage(res.reply_message);
      showError('');
    } catch (e) {
      if (e.status === 0 || e.status >= 500 || e.status === 429) {
        // Network or server trouble: keep it and retry with the same client_message_id.
        p.phase = 'failed';
        renderPending(p);
        p.tries = (p.tries || 0) + 1;
        state.retryTimer = setTimeout(flush, Math.min(15000, 1000 * 2 ** p.tries));
        return;
      }
      // The server refused this message (e.g. empty or too long): drop it and say why.
      const i = state.pending.indexOf(p);
      if (i >= 0) state.pending.splice(i, 1);
      document.querySelector(`li[data-cmid="${p.cmid}"]`)?.remove();
      save();
      showError(e.message);
    } finally {
      state.inFlight -= 1;
      updateTyping();
    }
  }
}

async function catchUp() {
  if (!state.convId) return;
  try {
    const res = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}/messages?after=${state.lastSeq}`);
    for (const m of res.items || []) addMessage(m);
    const conv = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}`);
    setStatus(conv.status, true, conv.handoff);
  } catch (e) {
    if (e.status !== 0) showError(e.message);
  }
  flush();
}

function startEvents() {
  state.events?.stop();
  const id = encodeURIComponent(state.convId);
  state.events = resilientEvents(
    () => api.sseUrl(`/v1/conversations/${id}/events`, { after: state.lastSeq }),
    {
      message: (m) => addMessage(m),
      conversation: (c) => { if (c && c.status) setStatus(c.status, true, c.handoff); },
      handoff: () => setStatus(state.status, true, state.status === 'handed_off' ? 'taken_over' : 'requested'),
    },
    { onStatus: setConn, onReconnect: catchUp },
  );
}

async function openConversation(fresh) {
  const saved = fresh ? {} : load();
  state.pending = (saved.pending || []).filter((p) => p && p.cmid && p.text).map((p) => ({ ...p, phase: 'queued' }));
  state.messages.clear();
  state.lastSeq = 0;
  els.log.replaceChildren();
  if (saved.conversation_id) {
    try {
      state.convId = saved.conversation_id;
      const conv = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}`);
      const res = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}/messages?after=0`);
      for (const m of res.items || []) addMessage(m);
      setStatus(conv.status, false, conv.handoff);
    } catch (e) {
      if (e.status === 0) { setConn('offline'); return false; }
      state.convId = null; // gone or not ours: start a new one
    }
  }
  if (!state.convId) {
    const conv = await api.post('/v1/conversations', { channel: embedded ? 'widget' : 'web', language: getLang() });
    state.convId = conv.id;
    for (const m of conv.messages || []) addMessage(m);
    setStatus(conv.status || 'bot', false, conv.handoff);
  }
  save();
  state.pending.forEach(renderPending);
  startEvents();
  flush();
  return true;
}

function submit(ev) {
  ev.preventDefault();
  const text = els.input.value.trim();
  if (!text) return;
  els.input.value = '';
  const p = { cmid: newCmid(), text, phase: 'queued' };
  state.pending.push(p);
  save();
  renderPending(p);
  flush();
  els.input.focus();
}

function init() {
  applyI18n();
  document.body.classList.toggle('embed', embedded);
  const closeBtn = document.getElementById('close-chat');
  if (embedded) {
    closeBtn.hidden = false;
    const close = () => parent.postMessage({ type: 'tuoke:close' }, '*');
    closeBtn.addEventListener('click', close);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  }
  document.getElementById('lang-toggle').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  onLangChange(() => { applyI18n(); setStatus(state.status, false); setConn(state.connStatus); state.pending.forEach(renderPending); });
  document.getElementById('new-chat').addEventListener('click', () => {
    state.events?.stop();
    openConversation(true).catch((e) => showError(e.message));
  });
  els.form.addEventListener('submit', submit);
  els.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); els.form.requestSubmit(); }
  });
  window.addEventListener('online', () => { if (!state.convId) start(); else flush(); });
  if (!widgetKey) { showError(t('no_key')); els.send.disabled = true; return; }
  start();
}

function start() {
  openConversation(false).catch((e) => {
    if (e.status === 0) setConn('offline'); else showError(e.message);
  });
}

init();

// Customer chat: the standalone page /chat?key=WIDGET_KEY and the iframe that widget.js opens.
// Keeps the conversation id, its token and unsent messages in localStorage; streams messages over SSE and,
// after a network drop, resumes from the last seq it saw. Messages are deduplicated by id and a
// resent message keeps its client_message_id, so the server never stores it twice.
// The chat is answered by an AI assistant and says so; a person joins on request. The banner tells
// the true handoff state ("finding an adviser…" until an agent takes over, then "<name> joined"),
// and after the company's waiting time or outside its opening hours a call-back form appears.
import { makeApi, resilientEvents, h } from './api.js';
import { t, getLang, setLang, applyI18n, onLangChange, formatTime, formatClock, LANGS, varietyField } from './i18n.js';
import { avatar, renderCards, renderQuickReplies, callbackForm } from './chat-ui.js';

const params = new URLSearchParams(location.search);
const widgetKey = params.get('key') || document.documentElement.dataset.key || '';
const embedded = params.get('embed') === '1';
// An explicit ?lang= on the standalone page wins over the conversation's variety.
// In the embed, ?lang= is the host page's default, which a Cantonese conversation still overrides.
let langChosen = LANGS.includes(params.get('lang')) && !embedded;
if (LANGS.includes(params.get('lang'))) setLang(params.get('lang'), { remember: false });

// A widget key opens no conversation by itself: each request on one carries the conversation's
// token, handed out when it was created and renewed by every GET of it.
const api = makeApi(() => widgetKey, '', () => (state.convToken ? { 'X-Conversation-Token': state.convToken } : {}));
const storeKey = `tuoke.chat.v1.${widgetKey}`;

const els = {
  log: document.getElementById('log'), form: document.getElementById('composer'), input: document.getElementById('msg'),
  send: document.getElementById('send'), conn: document.getElementById('conn'), banner: document.getElementById('handoff-banner'),
  typing: document.getElementById('typing'), error: document.getElementById('error'),
  sub: document.getElementById('chat-sub'), quick: document.getElementById('quick'), callback: document.getElementById('callback'),
  langSel: document.getElementById('lang-select'),
};

const state = {
  convId: null,
  convToken: null, // the conversation's token (X-Conversation-Token)
  tokenTimer: null,
  status: 'bot',
  handoff: 'bot', // bot | requested (a person was asked for; the bot keeps answering) | taken_over
  lastSeq: 0,
  messages: new Map(), // id -> message
  pending: [], // [{cmid, text, phase: 'queued'|'sending'|'failed'}]
  inFlight: 0,
  events: null,
  retryTimer: null,
  connStatus: 'connecting',
  config: null, // GET /v1/widget/config: availability, handoff wait
  agent: null, // name of the agent who took over
  requestedAt: null, // when a person was asked for (ms)
  callback: null, // the call-back request left in this conversation
  variety: null, // the conversation's reply variety: cmn | yue | en
  quickReplies: [],
  waitTimer: null,
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
  const data = { conversation_id: state.convId, token: state.convToken, pending: state.pending.map(({ cmid, text }) => ({ cmid, text })) };
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

const advisersOpen = () => !state.config || state.config.availability.open;

// The chat's header line: an AI assistant, and whether advisers are online by the opening hours.
function renderSubtitle() {
  if (!state.config) { els.sub.textContent = t('chat_subtitle'); return; }
  const a = state.config.availability;
  els.sub.textContent = a.open ? t('chat_subtitle_open')
    : a.next_change ? t('chat_subtitle_closed_until', { time: formatClock(a.next_change) }) : t('chat_subtitle_closed');
  els.sub.dataset.open = String(a.open);
}

// Which part of a handoff the customer is in: waiting (a person is being found), nobody (the
// waiting time passed), closed (outside opening hours), callback (a call-back was booked).
function handoffPhase() {
  if (state.status === 'handed_off' || state.handoff !== 'requested') return null;
  if (state.callback) return 'callback';
  if (!advisersOpen()) return 'closed';
  const wait = (state.config ? state.config.handoff_wait_seconds : 600) * 1000;
  if (state.requestedAt && Date.now() - state.requestedAt >= wait) return 'nobody';
  return 'waiting';
}

function renderBanner() {
  clearTimeout(state.waitTimer);
  const phase = handoffPhase();
  let text = '';
  if (state.status === 'handed_off') text = state.agent ? t('agent_named_joined', { name: state.agent }) : t('agent_joined');
  else if (phase) text = t({ waiting: 'handoff_waiting', nobody: 'handoff_nobody', closed: 'handoff_closed', callback: 'callback_done' }[phase]);
  els.banner.hidden = !text;
  els.banner.textContent = text;
  els.banner.dataset.state = state.status === 'handed_off' ? 'taken_over' : state.handoff;
  if (phase) els.banner.dataset.phase = phase; else delete els.banner.dataset.phase;
  const showForm = phase === 'nobody' || phase === 'closed';
  if (showForm && !els.callback.firstChild) els.callback.append(callbackForm(submitCallback));
  els.callback.hidden = !showForm;
  if (phase === 'waiting' && state.requestedAt) {
    const wait = (state.config ? state.config.handoff_wait_seconds : 600) * 1000;
    state.waitTimer = setTimeout(renderBanner, Math.max(0, state.requestedAt + wait - Date.now()) + 50);
  }
  renderQuick();
}

// `handoff` comes with the conversation (and its events); a bare status keeps the last one known,
// except that a taken-over or released conversation settles it.
function setStatus(status, live, handoff) {
  const was = state.status;
  state.status = status;
  if (handoff) state.handoff = handoff;
  else if (status === 'handed_off') state.handoff = 'taken_over';
  else if (was === 'handed_off' && status === 'bot') state.handoff = 'bot';
  if (state.handoff === 'requested' && !state.requestedAt) state.requestedAt = Date.now();
  if (state.handoff === 'bot') { state.requestedAt = null; state.callback = null; }
  renderBanner();
  if (live && was === 'handed_off' && status === 'bot') addSys(t('bot_back'));
  updateTyping();
}

// What the conversation JSON says about the handoff, the agent and the customer's variety.
function applyConversation(conv) {
  if (conv.token) {
    state.convToken = conv.token;
    save();
    // Renew the token halfway through its life (a GET of the conversation hands out a new one).
    clearTimeout(state.tokenTimer);
    const ttl = Number(conv.token_expires_in) || 3600;
    state.tokenTimer = setTimeout(refreshConversation, Math.min(ttl * 500, 2 ** 30));
  }
  const s = conv.state || {};
  state.agent = s.agent || null;
  state.requestedAt = s.handoff_requested_at ? Date.parse(s.handoff_requested_at) : null;
  // A call-back left for an earlier request (before the agent released it) does not count.
  const cb = (s.slots && s.slots.callback) || null;
  state.callback = cb && state.requestedAt && Date.parse(cb.requested_at) >= state.requestedAt ? cb : null;
  if (Array.isArray(conv.quick_replies)) state.quickReplies = conv.quick_replies;
  setVariety(s.variety);
  setStatus(conv.status || 'bot', false, conv.handoff);
}

// A Cantonese conversation gets the Traditional (zh-HK) UI unless a language was chosen.
function setVariety(v) {
  if (!v) return;
  state.variety = v;
  if (!langChosen && v === 'yue' && getLang() !== 'zh-HK') setLang('zh-HK', { remember: false });
}

function renderQuick() {
  const show = state.status !== 'handed_off' && !state.inFlight && els.callback.hidden;
  renderQuickReplies(els.quick, show ? state.quickReplies : [], sendText);
}

async function submitCallback(body) {
  const res = await api.post(`/v1/conversations/${encodeURIComponent(state.convId)}/callback`, body);
  state.callback = res.callback;
  addSys(t('callback_thanks', { phone: res.callback.phone }));
  renderBanner();
  els.input.focus();
}

async function refreshConversation() {
  try {
    applyConversation(await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}`));
  } catch (e) {
    if (e.status !== 0) showError(e.message);
  }
}

function addSys(text) {
  els.log.append(h('li', { class: 'sys' }, text));
  scroll();
}

function scroll() { els.log.scrollTop = els.log.scrollHeight; }

function who(m) {
  if (m.role === 'customer') return t('you');
  if (m.role === 'agent') return m.agent ? `${m.agent} · ${t('agent')}` : t('agent');
  return t('bot');
}

// Cards follow the conversation's variety (the bot's language), else the UI language.
const cardField = () => (state.variety === 'yue' ? 'yue' : state.variety === 'en' ? 'en' : state.variety === 'cmn' ? 'zh' : varietyField());

function renderMessage(m) {
  const body = h('div', { class: 'body' },
    h('span', { class: 'who' }, `${who(m)} · ${formatTime(m.created_at)}`),
    h('div', { class: 'bubble' }, m.text),
    renderCards(m.cards, cardField(), sendText));
  return h('li', { class: `msg ${m.role}`, dataset: { id: m.id, seq: m.seq, role: m.role } }, avatar(m.role, m.agent), body);
}

// A new bot or agent message while the chat is closed: the launcher counts it.
function notifyParent(m) {
  if (embedded && parent !== window && m.role !== 'customer') parent.postMessage({ type: 'tuoke:message', role: m.role }, '*');
}

function addMessage(m, live = false) {
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
  if (live) notifyParent(m);
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
  if (!els.typing.hidden) scroll();
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
    renderQuick();
    try {
      const res = await api.post(`/v1/conversations/${encodeURIComponent(state.convId)}/messages`, { text: p.text, client_message_id: p.cmid });
      const i = state.pending.indexOf(p);
      if (i >= 0) state.pending.splice(i, 1);
      document.querySelector(`li[data-cmid="${p.cmid}"]`)?.remove();
      save();
      if (res.state) setVariety(res.state.variety);
      if (Array.isArray(res.quick_replies)) state.quickReplies = res.quick_replies;
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
      renderQuick();
    }
  }
}

async function catchUp() {
  if (!state.convId) return;
  try {
    const res = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}/messages?after=${state.lastSeq}`);
    for (const m of res.items || []) addMessage(m, true);
    applyConversation(await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}`));
  } catch (e) {
    if (e.status !== 0) showError(e.message);
  }
  flush();
}

function startEvents() {
  state.events?.stop();
  const id = encodeURIComponent(state.convId);
  state.events = resilientEvents(
    () => api.sseUrl(`/v1/conversations/${id}/events`, { after: state.lastSeq, conversation_token: state.convToken }),
    {
      message: (m) => addMessage(m, true),
      conversation: (c) => {
        if (!c || !c.status) return;
        if (c.agent !== undefined) state.agent = c.agent;
        setStatus(c.status, true, c.handoff);
        if (c.handoff === 'requested') refreshConversation();
      },
      handoff: () => { setStatus(state.status, true, state.status === 'handed_off' ? 'taken_over' : 'requested'); refreshConversation(); },
    },
    { onStatus: setConn, onReconnect: catchUp },
  );
}

async function openConversation(fresh) {
  const saved = fresh ? {} : load();
  state.pending = (saved.pending || []).filter((p) => p && p.cmid && p.text).map((p) => ({ ...p, phase: 'queued' }));
  state.messages.clear();
  state.lastSeq = 0;
  if (fresh) { state.convId = null; state.convToken = null; } // "new chat": forget the old conversation
  Object.assign(state, { agent: null, requestedAt: null, callback: null, variety: null, quickReplies: [], handoff: 'bot', status: 'bot' });
  els.log.replaceChildren();
  if (saved.conversation_id) {
    try {
      state.convId = saved.conversation_id;
      state.convToken = saved.token || null;
      const conv = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}`);
      const res = await api.get(`/v1/conversations/${encodeURIComponent(state.convId)}/messages?after=0`);
      applyConversation(conv);
      for (const m of res.items || []) addMessage(m);
    } catch (e) {
      if (e.status === 0) { setConn('offline'); return false; }
      state.convId = null; // gone, not ours or its token expired: start a new one
      state.convToken = null;
    }
  }
  if (!state.convId) {
    const lang = getLang();
    const conv = await api.post('/v1/conversations', {
      channel: embedded ? 'widget' : 'web', language: lang === 'en' ? 'en' : 'zh', dialect: lang === 'zh-HK' ? 'yue' : 'cmn',
    });
    state.convId = conv.id;
    applyConversation(conv);
    for (const m of conv.messages || []) addMessage(m);
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
  sendText(text);
}

// Queue a customer message (typed, a quick reply or a card's call to action) and send it.
function sendText(text) {
  if (!text) return;
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
    // widget.js asks for the text box when the chat opens.
    window.addEventListener('message', (e) => { if (e.source === parent && e.data && e.data.type === 'tuoke:focus') els.input.focus(); });
    if (params.get('focus') === '1') els.input.focus();
  }
  els.langSel.value = getLang();
  els.langSel.addEventListener('change', () => { langChosen = true; setLang(els.langSel.value); });
  onLangChange(() => {
    applyI18n();
    els.langSel.value = getLang();
    renderSubtitle();
    els.callback.replaceChildren();
    renderBanner();
    setConn(state.connStatus);
    state.pending.forEach(renderPending);
    for (const li of els.log.querySelectorAll('li.msg[data-id]')) li.replaceWith(renderMessage(state.messages.get(li.dataset.id)));
  });
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
  loadConfig();
  setInterval(loadConfig, 60000);
  start();
}

async function loadConfig() {
  try {
    state.config = await api.get('/v1/widget/config');
    renderSubtitle();
    renderBanner();
  } catch (e) {
    if (e.status !== 0) showError(e.message);
  }
}

function start() {
  openConversation(false).catch((e) => {
    if (e.status === 0) setConn('offline'); else showError(e.message);
  });
}

init();

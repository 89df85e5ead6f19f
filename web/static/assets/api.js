// Thin client for the tuoke HTTP API (docs/contracts.md, "HTTP API"). Same origin as the page.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

// `extraHeaders()` adds headers to every request (the chat: its conversation's token).
export function makeApi(getKey, base = '', extraHeaders = () => ({})) {
  async function request(method, path, body) {
    const headers = { Accept: 'application/json', ...extraHeaders() };
    const key = getKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, 'network', e && e.message ? e.message : 'network error');
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = { raw: text }; }
    }
    if (!res.ok) {
      const err = data && data.error ? data.error : {};
      throw new ApiError(res.status, err.code || 'http', err.message || `HTTP ${res.status}`);
    }
    return data;
  }
  return {
    get: (p) => request('GET', p),
    post: (p, b) => request('POST', p, b ?? {}),
    del: (p) => request('DELETE', p),
    /**
     * URL for an EventSource (which cannot send headers): a short-lived stream token from
     * POST /v1/stream_token goes in the query, never the API key (URLs end up in proxy logs).
     */
    async sseUrl(path, params = {}) {
      const u = new URL(base + path, location.href);
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
      const { token } = await request('POST', '/v1/stream_token', {});
      u.searchParams.set('token', token || '');
      return u.toString();
    },
  };
}

/**
 * An EventSource that survives network drops. The browser's own retry resumes with Last-Event-ID;
 * when the browser gives up (readyState CLOSED) or the page goes offline we reopen it ourselves
 * with a fresh URL from `urlFn()` (which carries the last seen seq) after a capped back-off, and
 * call `onReconnect` so the caller can fetch anything it missed.
 */
export function resilientEvents(urlFn, handlers, { onStatus = () => {}, onReconnect = () => {} } = {}) {
  let es = null;
  let timer = null;
  let attempts = 0;
  let stopped = false;
  let everOpened = false;

  async function open() {
    if (stopped) return;
    clearTimeout(timer);
    if (!navigator.onLine) { onStatus('offline'); return; }
    onStatus(everOpened ? 'reconnecting' : 'connecting');
    let url;
    try { url = await urlFn(); } catch { schedule(); return; }
    if (stopped || es) return;
    es = new EventSource(url);
    es.onopen = () => {
      attempts = 0;
      onStatus('open');
      if (everOpened) onReconnect();
      everOpened = true;
    };
    es.onerror = () => {
      if (!es) return;
      if (es.readyState === EventSource.CLOSED) {
        es = null;
        schedule();
      } else {
        onStatus('reconnecting');
      }
    };
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch { return; }
        fn(data, ev);
      });
    }
  }

  function schedule() {
    if (stopped) return;
    onStatus(navigator.onLine ? 'reconnecting' : 'offline');
    const delay = Math.min(15000, 500 * 2 ** attempts);
    attempts += 1;
    timer = setTimeout(open, delay);
  }

  function close() {
    if (es) { es.close(); es = null; }
    clearTimeout(timer);
  }

  const goOffline = () => { close(); onStatus('offline'); };
  const goOnline = () => { attempts = 0; close(); open(); };
  window.addEventListener('offline', goOffline);
  window.addEventListener('online', goOnline);
  open();
  return {
    stop() {
      stopped = true;
      close();
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
    },
    restart: goOnline,
  };
}

/** Create an element: h('div', {class: 'x', onclick: f}, child, 'text', ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/* tuoke chat widget loader. Embed with:
 *   <script src="https://YOUR-TUOKE-HOST/widget.js" data-key="WIDGET_KEY" async></script>
 * Optional: data-lang="zh|zh-HK|en" (default: the browser's language), data-position="left|right".
 * It adds a launcher button; the chat itself runs in an iframe served by the same tuoke host
 * (/chat?embed=1), so the page's CSS cannot break it and the widget key never leaves that origin's
 * API calls. A classic script (not a module) so that document.currentScript works. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__tuokeWidget) return;
  window.__tuokeWidget = true;
  var key = script.getAttribute('data-key') || '';
  var src = new URL(script.src, location.href);
  var origin = src.origin;
  var lang = script.getAttribute('data-lang');
  if (lang !== 'zh' && lang !== 'zh-HK' && lang !== 'en') {
    var nav = ((navigator.languages && navigator.languages[0]) || navigator.language || 'zh').toLowerCase();
    lang = /^zh-(hk|mo|tw|hant)/.test(nav) ? 'zh-HK' : nav.indexOf('zh') === 0 ? 'zh' : 'en';
  }
  var left = script.getAttribute('data-position') === 'left';
  // The launcher's visible text is its accessible name (no aria-label that says something else);
  // aria-expanded tells whether the chat is open.
  var label = {
    zh: { open: '在线咨询', title: '在线咨询', unread: ' 条新消息' },
    'zh-HK': { open: '線上查詢', title: '線上查詢', unread: ' 條新訊息' },
    en: { open: 'Chat with us', title: 'Chat with us', unread: ' new messages' }
  }[lang];

  var css = '' +
    '.tuoke-w-btn{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483000;' +
    'background:#0b5cad;color:#fff;border:0;border-radius:999px;padding:12px 20px;font:600 15px/1.2 system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;' +
    'box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}' +
    '.tuoke-w-btn:hover{background:#084a8c}.tuoke-w-btn:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}' +
    '.tuoke-w-frame{position:fixed;bottom:84px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483001;width:380px;height:600px;' +
    'max-height:calc(100vh - 104px);border:1px solid #c8ced6;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff}' +
    '.tuoke-w-frame[hidden]{display:none}' +
    '.tuoke-w-badge{display:inline-block;min-width:1.4em;margin-left:8px;padding:1px 6px;border-radius:999px;background:#b3261e;color:#fff;font-size:13px;line-height:1.3;text-align:center}' +
    '.tuoke-w-badge[hidden]{display:none}.tuoke-w-vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '@media (max-width:480px){.tuoke-w-frame{inset:0;width:100%;height:100%;max-height:none;border:0;border-radius:0}}';
  var style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);

  var btn = document.createElement('button');
  btn.type = 'button';
  btn.className = 'tuoke-w-btn';
  btn.appendChild(document.createTextNode(label.open));
  var badge = document.createElement('span');
  badge.className = 'tuoke-w-badge';
  badge.hidden = true;
  var badgeNum = document.createTextNode('');
  var badgeText = document.createElement('span');
  badgeText.className = 'tuoke-w-vh';
  badgeText.textContent = label.unread;
  badge.appendChild(badgeNum);
  badge.appendChild(badgeText);
  btn.appendChild(badge);
  btn.setAttribute('aria-expanded', 'false');
  btn.setAttribute('aria-controls', 'tuoke-w-frame');
  var frame = null;
  var unread = 0;
  function setUnread(n) {
    unread = n;
    badgeNum.nodeValue = String(n);
    badge.hidden = n === 0;
  }
  // The chat iframe is third-party here and may not get storage of its own: keep its state
  // (conversation id, unsent messages) in this page's localStorage on its behalf.
  var storeKey = 'tuoke.chat.v1.' + key;
  function loadState() { try { return localStorage.getItem(storeKey) || ''; } catch (e) { return ''; } }
  function saveState(s) { try { localStorage.setItem(storeKey, JSON.stringify(s)); } catch (e) { /* blocked */ } }

  // `focus`: the chat opens now and its text box takes the focus once loaded.
  function makeFrame(focus) {
    frame = document.createElement('iframe');
    frame.id = 'tuoke-w-frame';
    frame.className = 'tuoke-w-frame';
    frame.title = label.title;
    frame.hidden = !focus;
    var saved = loadState();
    frame.src = origin + '/chat?embed=1&lang=' + encodeURIComponent(lang) + (focus ? '&focus=1' : '') +
      '&key=' + encodeURIComponent(key) + (saved ? '#state=' + encodeURIComponent(saved) : '');
    // Focus given before the iframe's document loaded is lost with it: give it again on load.
    frame.addEventListener('load', function () {
      if (frame.hidden || !frame.contentWindow) return;
      frame.focus();
      frame.contentWindow.postMessage({ type: 'tuoke:focus' }, origin);
    });
    document.body.appendChild(frame);
  }
  function open() {
    if (!frame) makeFrame(true);
    else if (frame.contentWindow) frame.contentWindow.postMessage({ type: 'tuoke:focus' }, origin);
    frame.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    setUnread(0);
    frame.focus();
  }
  function close() {
    if (frame) frame.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    btn.focus();
  }
  btn.addEventListener('click', function () {
    if (frame && !frame.hidden) close(); else open();
  });
  window.addEventListener('message', function (e) {
    if (e.origin !== origin || !e.data) return;
    if (e.data.type === 'tuoke:close') close();
    if (e.data.type === 'tuoke:state' && e.data.state) saveState(e.data.state);
    // A reply or an agent's message while the chat is closed: count it on the launcher.
    if (e.data.type === 'tuoke:message' && frame && frame.hidden) setUnread(unread + 1);
  });
  function mount() {
    document.body.appendChild(btn);
    // A returning customer's conversation is loaded (hidden), so an agent's reply shows as unread.
    if (loadState() && !frame) makeFrame(false);
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
  window.tuokeWidget = { open: open, close: close };
})();

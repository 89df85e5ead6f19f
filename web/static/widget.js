/* tuoke chat widget loader. Embed with:
 *   <script src="https://YOUR-TUOKE-HOST/widget.js" data-key="WIDGET_KEY" async></script>
 * Optional: data-lang="zh|en", data-position="left|right".
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
  if (lang !== 'zh' && lang !== 'en') {
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
    lang = nav.toLowerCase().indexOf('zh') === 0 ? 'zh' : 'en';
  }
  var left = script.getAttribute('data-position') === 'left';
  var label = lang === 'zh' ? { open: '在线咨询', close: '关闭在线咨询', title: '在线咨询' }
    : { open: 'Chat with us', close: 'Close chat', title: 'Chat with us' };

  var css = '' +
    '.tuoke-w-btn{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483000;' +
    'background:#0b5cad;color:#fff;border:0;border-radius:999px;padding:12px 20px;font:600 15px/1.2 system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;' +
    'box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}' +
    '.tuoke-w-btn:hover{background:#084a8c}.tuoke-w-btn:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}' +
    '.tuoke-w-frame{position:fixed;bottom:84px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483001;width:380px;height:600px;' +
    'max-height:calc(100vh - 104px);border:1px solid #c8ced6;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff}' +
    '.tuoke-w-frame[hidden]{display:none}' +
    '@media (max-width:480px){.tuoke-w-frame{inset:0;width:100%;height:100%;max-height:none;border:0;border-radius:0}}';
  var style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);

  var btn = document.createElement('button');
  btn.type = 'button';
  btn.className = 'tuoke-w-btn';
  btn.textContent = label.open;
  btn.setAttribute('aria-expanded', 'false');
  btn.setAttribute('aria-controls', 'tuoke-w-frame');
  var frame = null;
  // The chat iframe is third-party here and may not get storage of its own: keep its state
  // (conversation id, unsent messages) in this page's localStorage on its behalf.
  var storeKey = 'tuoke.chat.v1.' + key;
  function loadState() { try { return localStorage.getItem(storeKey) || ''; } catch (e) { return ''; } }
  function saveState(s) { try { localStorage.setItem(storeKey, JSON.stringify(s)); } catch (e) { /* blocked */ } }

  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.id = 'tuoke-w-frame';
      frame.className = 'tuoke-w-frame';
      frame.title = label.title;
      var saved = loadState();
      frame.src = origin + '/chat?embed=1&lang=' + lang + '&key=' + encodeURIComponent(key) +
        (saved ? '#state=' + encodeURIComponent(saved) : '');
      document.body.appendChild(frame);
    }
    frame.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    btn.setAttribute('aria-label', label.close);
    frame.focus();
  }
  function close() {
    if (frame) frame.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    btn.removeAttribute('aria-label');
    btn.focus();
  }
  btn.addEventListener('click', function () {
    if (frame && !frame.hidden) close(); else open();
  });
  window.addEventListener('message', function (e) {
    if (e.origin !== origin || !e.data) return;
    if (e.data.type === 'tuoke:close') close();
    if (e.data.type === 'tuoke:state' && e.data.state) saveState(e.data.state);
  });
  function mount() { document.body.appendChild(btn); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
  window.tuokeWidget = { open: open, close: close };
})();

/*
 * Wasl website chat widget. Embed on the charity's site with one line:
 *
 *   <script src="https://wasl.example.org/widget/wasl-widget.js" data-wasl-url="https://wasl.example.org" defer></script>
 *
 * Options (data- attributes on the script tag):
 *   data-wasl-url   where Wasl is (default: where this script was loaded from)
 *   data-lang       "ar" (default, right to left) or "en"
 *   data-open       "true" to open the chat when the page loads
 *
 * Talks to Wasl over HTTP (POST /api/web/messages) and server-sent events (GET /api/web/stream). The device
 * keeps a random 128-bit id in localStorage, so the beneficiary finds the same conversation when they come
 * back on the same device. Every text from the bot or the beneficiary is inserted with textContent, never as
 * HTML. Styles live in a shadow root so the host page's CSS and ours cannot break each other.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.__waslWidgetLoaded) return;
  window.__waslWidgetLoaded = true;

  var base = (script.getAttribute('data-wasl-url') || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  var lang = script.getAttribute('data-lang') === 'en' ? 'en' : 'ar';
  var STORAGE_KEY = 'wasl-device-id';

  var TEXT = {
    ar: {
      open: 'تحدث معنا',
      close: 'إغلاق المحادثة',
      title: 'المحادثة',
      placeholder: 'اكتب رسالتك هنا…',
      inputLabel: 'رسالتك',
      send: 'إرسال',
      start: 'ابدأ المحادثة',
      greeting: 'السلام عليكم',
      empty: 'مرحبًا بك. اكتب رسالتك أو اضغط «ابدأ المحادثة».',
      whatsapp: 'أكمل المحادثة عبر واتساب',
      offline: 'انقطع الاتصال، نحاول إعادة الاتصال…',
      failed: 'لم تُرسل الرسالة. حاول مرة أخرى.',
      tooMany: 'رسائل كثيرة في وقت قصير. انتظر قليلًا ثم أعد المحاولة.',
      choices: 'اختر إجابة',
      log: 'رسائل المحادثة',
      you: 'أنت',
      bot: 'المساعد',
    },
    en: {
      open: 'Chat with us',
      close: 'Close the chat',
      title: 'Chat',
      placeholder: 'Type your message…',
      inputLabel: 'Your message',
      send: 'Send',
      start: 'Start the chat',
      greeting: 'Hello',
      empty: 'Welcome. Type your message or press "Start the chat".',
      whatsapp: 'Continue on WhatsApp',
      offline: 'Connection lost, reconnecting…',
      failed: 'The message was not sent. Please try again.',
      tooMany: 'Too many messages at once. Please wait a moment.',
      choices: 'Choose an answer',
      log: 'Chat messages',
      you: 'You',
      bot: 'Assistant',
    },
  }[lang];

  var CSS =
    ':host{all:initial}' +
    '[hidden]{display:none!important}' +
    '*{box-sizing:border-box;font-family:"Segoe UI",Tahoma,"Noto Naskh Arabic","Noto Sans Arabic",Arial,sans-serif}' +
    '.launcher{position:fixed;bottom:16px;inset-inline-end:16px;z-index:2147483000;min-height:56px;min-width:56px;padding:0 20px;border:0;border-radius:28px;background:#0f6e54;color:#fff;font-size:17px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.launcher:focus-visible,button:focus-visible,a:focus-visible,textarea:focus-visible{outline:3px solid #f4b400;outline-offset:2px}' +
    '.panel{position:fixed;bottom:84px;inset-inline-end:16px;z-index:2147483000;width:380px;max-width:calc(100vw - 32px);height:560px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;color:#1c1c1c;border-radius:16px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.3)}' +
    '.panel[hidden]{display:none}' +
    'header{display:flex;align-items:center;gap:8px;padding:10px 14px;background:#0f6e54;color:#fff}' +
    'header h2{flex:1;margin:0;font-size:16px;line-height:1.4}' +
    '.close{min-width:44px;min-height:44px;border:0;border-radius:22px;background:transparent;color:#fff;font-size:24px;cursor:pointer}' +
    '.log{flex:1;overflow-y:auto;padding:12px;background:#f4f6f5;display:flex;flex-direction:column;gap:8px}' +
    '.msg{max-width:85%;padding:9px 12px;border-radius:14px;font-size:16px;line-height:1.6;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '.msg.out{align-self:flex-start;background:#fff;border:1px solid #dfe5e2}' +
    '.msg.in{align-self:flex-end;background:#0f6e54;color:#fff}' +
    '.empty{color:#555;font-size:15px;text-align:center;margin:auto 0}' +
    '.choices{display:flex;flex-wrap:wrap;gap:8px;padding:8px 12px;background:#f4f6f5;border-top:1px solid #e3e8e6}' +
    '.choices:empty{display:none}' +
    '.choice{min-height:44px;padding:8px 14px;border:2px solid #0f6e54;border-radius:22px;background:#fff;color:#0f6e54;font-size:15px;font-weight:600;cursor:pointer;text-align:start}' +
    '.choice:hover{background:#e7f3ef}' +
    '.stars{display:flex;gap:4px;width:100%;justify-content:center;direction:ltr}' +
    '.star{min-width:48px;min-height:48px;border:0;background:transparent;color:#b9c4bf;font-size:34px;line-height:1;cursor:pointer;padding:0}' +
    '.star.lit{color:#f4b400}' +
    '.status{padding:6px 12px;font-size:14px;color:#8a1c1c;background:#fdecec}' +
    '.status:empty{display:none}' +
    '.whatsapp{display:block;padding:10px 12px;text-align:center;font-size:15px;color:#0b5d3b;background:#eafaf1;text-decoration:underline;min-height:44px}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e8e6;background:#fff}' +
    'textarea{flex:1;min-height:44px;max-height:120px;padding:10px;border:1px solid #b9c4bf;border-radius:12px;font-size:16px;resize:none;line-height:1.4}' +
    '.send{min-width:64px;min-height:44px;border:0;border-radius:12px;background:#0f6e54;color:#fff;font-size:16px;font-weight:600;cursor:pointer}' +
    '.send:disabled{opacity:.6;cursor:default}' +
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '@media (max-width:600px){.panel{inset:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}';

  function randomId(bytes) {
    var a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    var s = '';
    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /** The device's id: created once, kept in localStorage; only valid ids (22 base64url chars) are reused. */
  function deviceId() {
    var id = null;
    try {
      id = localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      /* storage blocked: the conversation lasts as long as the page */
    }
    if (!id || !/^[A-Za-z0-9_-]{22}$/.test(id)) {
      id = randomId(16);
      try {
        localStorage.setItem(STORAGE_KEY, id);
      } catch (e) {
        /* see above */
      }
    }
    return id;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var host = el('div', { id: 'wasl-chat', dir: lang === 'ar' ? 'rtl' : 'ltr', lang: lang });
  var root = host.attachShadow({ mode: 'open' });
  var style = el('style');
  style.textContent = CSS;
  root.appendChild(style);

  var wrap = el('div', { dir: lang === 'ar' ? 'rtl' : 'ltr', lang: lang });
  var launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'wasl-panel' }, TEXT.open);
  var panel = el('section', { class: 'panel', id: 'wasl-panel', role: 'dialog', 'aria-label': TEXT.title, hidden: '' });
  var header = el('header');
  var title = el('h2', { id: 'wasl-title' }, TEXT.title);
  var closeBtn = el('button', { type: 'button', class: 'close', 'aria-label': TEXT.close }, '×');
  header.appendChild(title);
  header.appendChild(closeBtn);
  var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': TEXT.log, tabindex: '0' });
  var empty = el('p', { class: 'empty' }, TEXT.empty);
  log.appendChild(empty);
  var choices = el('div', { class: 'choices', role: 'group', 'aria-label': TEXT.choices });
  var status = el('div', { class: 'status', role: 'status', 'aria-live': 'assertive' });
  var whatsapp = el('a', { class: 'whatsapp', target: '_blank', rel: 'noopener noreferrer', hidden: '' }, TEXT.whatsapp);
  var form = el('form', { novalidate: '' });
  var inputId = 'wasl-input';
  var label = el('label', { for: inputId, class: 'sr' }, TEXT.inputLabel);
  var input = el('textarea', { id: inputId, rows: '1', placeholder: TEXT.placeholder, maxlength: '2000', autocomplete: 'off', enterkeyhint: 'send' });
  var send = el('button', { type: 'submit', class: 'send' }, TEXT.send);
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  [header, log, choices, status, whatsapp, form].forEach(function (n) {
    panel.appendChild(n);
  });
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(wrap);

  var id = deviceId();
  var shown = {};
  var stream = null;
  var maxText = 2000;
  var startButton = null;

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  /** Adds one message bubble; `key` (a message id) makes a repeated event a no-op. */
  function addMessage(direction, text, key) {
    if (key !== undefined) {
      if (shown[key]) return;
      shown[key] = true;
    }
    if (empty.parentNode) empty.parentNode.removeChild(empty);
    var bubble = el('div', { class: 'msg ' + direction });
    var who = el('span', { class: 'sr' }, (direction === 'in' ? TEXT.you : TEXT.bot) + ': ');
    bubble.appendChild(who);
    bubble.appendChild(document.createTextNode(text));
    log.appendChild(bubble);
    scrollDown();
    return bubble;
  }

  // A survey's rating question: options 1-5 as five stars (left to right, as rating stars read everywhere); the
  // star sends as many ⭐ as its number, which the survey reads like a typed rating. Other options stay buttons.
  function showStars(list) {
    var row = el('div', { class: 'stars', role: 'group', 'aria-label': TEXT.choices });
    var stars = [];
    list.forEach(function (c) {
      var n = c.number;
      var b = el('button', { type: 'button', class: 'star', 'data-score': String(n), 'aria-label': c.label, title: c.label }, '★');
      b.addEventListener('mouseenter', function () {
        stars.forEach(function (s, i) {
          s.classList.toggle('lit', i < n);
        });
      });
      b.addEventListener('click', function () {
        submit(new Array(n + 1).join('⭐'));
      });
      stars.push(b);
      row.appendChild(b);
    });
    row.addEventListener('mouseleave', function () {
      stars.forEach(function (s) {
        s.classList.remove('lit');
      });
    });
    choices.appendChild(row);
  }

  function showChoices(list, stars) {
    while (choices.firstChild) choices.removeChild(choices.firstChild);
    list = list || [];
    if (stars) {
      showStars(list.filter(function (c) { return c.number >= 1 && c.number <= 5; }));
      list = list.filter(function (c) { return c.number > 5; });
    }
    list.forEach(function (c) {
      var b = el('button', { type: 'button', class: 'choice' }, c.label);
      b.addEventListener('click', function () {
        submit(c.label);
      });
      choices.appendChild(b);
    });
  }

  function showStart() {
    startButton = el('button', { type: 'button', class: 'choice' }, TEXT.start);
    startButton.addEventListener('click', function () {
      submit(TEXT.greeting);
    });
    choices.appendChild(startButton);
  }

  function connect() {
    if (stream) return;
    stream = new EventSource(base + '/api/web/stream?deviceId=' + encodeURIComponent(id));
    stream.onopen = function () {
      status.textContent = '';
    };
    stream.onerror = function () {
      status.textContent = TEXT.offline;
    };
    stream.onmessage = function (ev) {
      var data;
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      status.textContent = '';
      if (startButton && startButton.parentNode) startButton.parentNode.removeChild(startButton);
      var bubble = addMessage(data.direction === 'in' ? 'in' : 'out', String(data.text || ''), ev.lastEventId);
      // A file a researcher sent: a download link on the Wasl server (never rendered inside the page).
      if (bubble && data.attachment && typeof data.attachment.url === 'string' && /^\/api\/files\/\d+\/[0-9a-f]{64}$/.test(data.attachment.url)) {
        var link = el('a', { class: 'file', href: base + data.attachment.url, download: '', target: '_blank', rel: 'noopener noreferrer' }, '📎 ' + String(data.attachment.fileName || 'file'));
        bubble.appendChild(document.createElement('br'));
        bubble.appendChild(link);
      }
      // Buttons belong to the latest message only; what the person wrote clears them.
      showChoices(data.direction === 'out' ? data.choices : [], data.direction === 'out' && data.stars === true);
    };
  }

  function submit(text) {
    text = String(text || '').trim();
    if (!text) return;
    if (text.length > maxText) text = text.slice(0, maxText);
    showChoices([]);
    var bubble = addMessage('in', text);
    send.disabled = true;
    fetch(base + '/api/web/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: id, clientMessageId: randomId(12).replace(/_/g, '-'), text: text }),
    })
      .then(function (res) {
        if (res.status === 429) throw new Error(TEXT.tooMany);
        if (!res.ok) throw new Error(TEXT.failed);
        return res.json();
      })
      .then(function (body) {
        // The replay after a reconnect sends this message back; its id makes it a no-op.
        if (body && body.messageId) shown[String(body.messageId)] = true;
        status.textContent = '';
      })
      .catch(function (err) {
        bubble.setAttribute('aria-invalid', 'true');
        bubble.style.opacity = '0.6';
        status.textContent = err && err.message ? err.message : TEXT.failed;
        input.value = input.value || text;
      })
      .then(function () {
        send.disabled = false;
      });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    launcher.hidden = window.matchMedia('(max-width:600px)').matches;
    connect();
    input.focus();
    scrollDown();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }

  launcher.addEventListener('click', function () {
    if (panel.hidden) open();
    else close();
  });
  closeBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') close();
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = '';
    submit(text);
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  fetch(base + '/api/web/config')
    .then(function (res) {
      return res.ok ? res.json() : null;
    })
    .then(function (config) {
      if (!config) return;
      var name = config.organisation && config.organisation.name && config.organisation.name[lang];
      if (name) {
        title.textContent = name;
        panel.setAttribute('aria-label', name);
      }
      if (config.maxTextLength) maxText = config.maxTextLength;
      // Only a wa.me link is accepted, so a misconfigured value can never become a javascript: URL.
      if (typeof config.whatsappUrl === 'string' && /^https:\/\/wa\.me\/\d{8,15}$/.test(config.whatsappUrl)) {
        whatsapp.href = config.whatsappUrl;
        whatsapp.hidden = false;
      }
    })
    .catch(function () {
      /* the chat works without its title */
    });

  showStart();
  (document.body || document.documentElement).appendChild(host);
  if (script.getAttribute('data-open') === 'true') open();
})();

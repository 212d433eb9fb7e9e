// Wasl staff console: posts actions to the JSON API (with the session's CSRF token), refreshes parts of the
// page from server-rendered HTML when something changes (server-sent events), and announces new escalations.
// Beneficiary text is only ever inserted as server-escaped HTML or with textContent.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  var lang = (document.querySelector('meta[name="ui-lang"]') || {}).content || 'ar';
  var flash = document.getElementById('flash');
  var BIDI = /[\u202A-\u202E\u2066-\u2069]/g;

  function showError(message) {
    if (!flash) return;
    flash.textContent = String(message).replace(BIDI, '');
    flash.hidden = false;
    flash.className = 'flash error';
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      if (res.status === 204) return null;
      return res.json().then(function (data) {
        if (!res.ok) throw new Error((data && data.error) || res.statusText);
        return data;
      });
    });
  }

  function readFile(input) {
    return new Promise(function (resolve, reject) {
      var file = input.files && input.files[0];
      if (!file) return reject(new Error('no file'));
      var reader = new FileReader();
      reader.onload = function () {
        var s = String(reader.result);
        resolve({ fileName: file.name, mimeType: file.type, base64: s.slice(s.indexOf(',') + 1) });
      };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(file);
    });
  }

  function formBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === 'submit' || el.type === 'file') return;
      if (el.hasAttribute('data-bool')) body[el.name] = el.checked;
      else if (el.type === 'checkbox') { if (el.checked) body[el.name] = el.value; }
      else if (el.hasAttribute('data-number')) body[el.name] = Number(el.value);
      else if (el.hasAttribute('data-nullable')) body[el.name] = el.value === '' ? null : el.value;
      else if (el.value !== '') body[el.name] = el.value;
    });
    return body;
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute('data-api')) return;
    e.preventDefault();
    var buttons = form.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    var bodyPromise = form.hasAttribute('data-file')
      ? readFile(form.querySelector('input[type=file]')).then(function (file) { return Object.assign(formBody(form), file); })
      : Promise.resolve(formBody(form));
    bodyPromise
      .then(function (body) { return api('POST', form.getAttribute('data-api'), body); })
      .then(function () { if (form.hasAttribute('data-reload')) location.reload(); })
      .catch(function (err) { showError(err.message); })
      .then(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  var canned = document.getElementById('canned');
  if (canned) {
    canned.addEventListener('change', function () {
      var box = document.getElementById('reply-text');
      if (box && canned.value) box.value = canned.value;
    });
  }

  var reveal = document.getElementById('reveal');
  if (reveal) {
    reveal.addEventListener('click', function () {
      api('POST', reveal.getAttribute('data-reveal'), {})
        .then(function (r) { document.getElementById('national-id').textContent = r.nationalId || '—'; reveal.hidden = true; })
        .catch(function (err) { showError(err.message); });
    });
  }

  // Refresh one element from the server-rendered page: the same escaping as the first render, nothing built here.
  function refresh(selector) {
    return fetch(location.href, { credentials: 'same-origin', headers: { 'x-console-refresh': '1' } })
      .then(function (res) { return res.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        selector.split(',').forEach(function (sel) {
          var fresh = doc.querySelector(sel.trim());
          var here = document.querySelector(sel.trim());
          if (fresh && here) here.replaceWith(document.importNode(fresh, true));
        });
        tickWaits();
      });
  }

  var unseen = 0;
  var badge = document.getElementById('badge');
  function chime() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      var ac = new Ctx();
      var osc = ac.createOscillator();
      var gain = ac.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ac.destination);
      osc.start();
      osc.stop(ac.currentTime + 0.25);
    } catch (e) { /* no sound available: the badge still shows */ }
  }
  function announce() {
    unseen += 1;
    if (badge) { badge.textContent = String(unseen); badge.hidden = false; }
    document.title = '(' + unseen + ') ' + document.title.replace(/^\(\d+\) /, '');
    chime();
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) { unseen = 0; if (badge) badge.hidden = true; document.title = document.title.replace(/^\(\d+\) /, ''); }
  });

  var page = document.body.getAttribute('data-page');
  var conversation = document.querySelector('[data-conversation-id].conversation');
  var conversationId = conversation ? Number(conversation.getAttribute('data-conversation-id')) : null;
  if (page && page !== 'login' && window.EventSource) {
    var source = new EventSource('/api/events');
    var pending = null;
    var schedule = function (fn) { clearTimeout(pending); pending = setTimeout(fn, 150); };
    var onEvent = function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (e.type === 'conversation.escalated') announce();
      if (page === 'inbox') schedule(function () { refresh('#inbox-list'); });
      if (conversationId && data.conversationId === conversationId && e.type !== 'conversation.escalated') {
        var typing = document.getElementById('reply-text');
        // Never wipe what the researcher is typing: only the history and the header are refreshed.
        schedule(function () { refresh(typing && typing.value ? '#history' : '#history,#conv-header'); });
      }
    };
    ['conversation.escalated', 'conversation.updated', 'message.received', 'message.sent', 'request.updated'].forEach(function (t) {
      source.addEventListener(t, onEvent);
    });
    // The WhatsApp session stayed down (once per outage) or came back: every signed-in staff member sees it.
    ['whatsapp.down', 'whatsapp.up'].forEach(function (t) {
      source.addEventListener(t, function () {
        if (!flash) return;
        flash.textContent = flash.getAttribute(t === 'whatsapp.down' ? 'data-wa-down' : 'data-wa-up');
        flash.className = t === 'whatsapp.down' ? 'flash error' : 'flash';
        flash.hidden = false;
        if (t === 'whatsapp.down') chime();
      });
    });
    document.body.setAttribute('data-live', '1');
  }
  // Delivery ticks change without an event (the outbound worker updates the row): poll the open conversation.
  if (conversationId) setInterval(function () { if (!document.hidden) refresh('#history'); }, 5000);

  var minutes = lang === 'ar' ? 'دقيقة' : 'min';
  function tickWaits() {
    document.querySelectorAll('[data-since]').forEach(function (el) {
      var since = Date.parse(el.getAttribute('data-since'));
      var m = Math.max(0, Math.round((Date.now() - since) / 60000));
      var label = el.textContent.replace(/\s*\d+\s*\S+\s*$/, '');
      el.textContent = label + ' ' + m + ' ' + minutes;
    });
  }
  setInterval(tickWaits, 30000);

  // The pairing page: the QR rotates until the phone scans it, then the page shows the session connected.
  if (page === 'whatsapp') {
    var wa = document.getElementById('wa');
    var stamp = function (iso) { return iso ? String(iso).slice(0, 16).replace('T', ' ') + ' UTC' : ''; };
    var showWhatsapp = function (v) {
      wa.setAttribute('data-state', v.state);
      document.getElementById('wa-state').textContent = wa.getAttribute('data-label-' + v.state) || v.state;
      document.getElementById('wa-since').textContent = stamp(v.since);
      document.getElementById('wa-reason').textContent = v.reason || '';
      document.getElementById('wa-last').textContent = v.lastConnectedAt ? stamp(v.lastConnectedAt) : wa.getAttribute('data-never');
      var pair = document.getElementById('wa-pair');
      var img = document.getElementById('wa-qr');
      if (typeof v.qr === 'string' && /^data:image\/png;base64,/.test(v.qr)) {
        if (img.getAttribute('src') !== v.qr) img.setAttribute('src', v.qr);
        pair.hidden = false;
      } else {
        pair.hidden = true;
        img.removeAttribute('src');
      }
    };
    var pollWhatsapp = function () {
      if (document.hidden) return;
      api('GET', '/api/channels/whatsapp').then(showWhatsapp).catch(function (err) { showError(err.message); });
    };
    setInterval(pollWhatsapp, 3000);
  }
})();

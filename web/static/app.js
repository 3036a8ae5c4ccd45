/* Concord pages: the API client and the outbox, which keeps every save until
   the server has it (in memory and in localStorage), retries with back-off,
   and asks the person when their labels changed elsewhere. */
(function () {
  'use strict';
  var body = document.body;
  var C = window.Concord = window.Concord || {};
  C.uid = body.dataset.user || '';
  C.csrf = body.dataset.csrf || '';

  function $(id) { return document.getElementById(id); }
  C.$ = $;

  // api sends a JSON request and resolves to {status, body}; it rejects only
  // when no answer came (network down, timeout).
  function api(method, url, data) {
    var headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = C.csrf;
    var opt = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store' };
    if (data !== undefined) {
      headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(data);
    }
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, 20000);
    opt.signal = ctl.signal;
    return fetch(url, opt).then(function (r) {
      return r.text().then(function (t) {
        clearTimeout(timer);
        var b = null;
        if (t) { try { b = JSON.parse(t); } catch (e) { b = null; } }
        return { status: r.status, body: b };
      });
    }, function (e) { clearTimeout(timer); throw e; });
  }
  C.api = api;
  C.errorOf = function (r) {
    return (r && r.body && r.body.error) || { message: 'the server answered ' + (r ? r.status : 'nothing') };
  };

  // Labels compare in canonical form: dimension → sorted array of values.
  function canon(labels) {
    var out = {};
    Object.keys(labels || {}).sort().forEach(function (k) {
      var v = labels[k];
      var a = (Array.isArray(v) ? v : [v]).filter(function (x) { return x != null && x !== ''; });
      if (a.length) out[k] = a.slice().sort();
    });
    return out;
  }
  function lkey(labels) { return JSON.stringify(canon(labels)); }
  C.canon = canon;
  C.sameLabels = function (a, b) { return lkey(a) === lkey(b); };

  // ---- Outbox ----
  var PREFIX = 'concord.outbox.' + C.uid + '.';
  var ops = new Map();       // key → operation, in the order they were made
  var versions = new Map();  // paragraph id → the stored version we know of
  var listeners = {};
  var busy = false, timer = 0, fails = 0, retryAt = 0, offline = false, authProblem = false, storageOK = true;

  function on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); }
  function emit(name, a, b) {
    (listeners[name] || []).forEach(function (fn) {
      try { fn(a, b); } catch (e) { console.error(e); }
    });
  }

  function persist(op) {
    var copy = {};
    Object.keys(op).forEach(function (k) { if (k !== 'inflight' && k !== 'dirty') copy[k] = op[k]; });
    try { localStorage.setItem(PREFIX + op.key, JSON.stringify(copy)); storageOK = true; } catch (e) { storageOK = false; }
  }
  function drop(op) {
    if (ops.get(op.key) === op) ops.delete(op.key);
    try { localStorage.removeItem(PREFIX + op.key); } catch (e) { /* nothing to do */ }
  }
  function load() {
    var found = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf(PREFIX) === 0) found.push(k);
      }
      found.forEach(function (k) {
        var op = JSON.parse(localStorage.getItem(k) || 'null');
        if (!op || !op.key || ops.has(op.key)) return;
        if (op.state !== 'conflict' && op.state !== 'failed') op.state = 'queued';
        ops.set(op.key, op);
      });
    } catch (e) { storageOK = false; }
    var list = Array.from(ops.values()).sort(function (a, b) { return a.t - b.t; });
    ops.clear();
    list.forEach(function (op) {
      ops.set(op.key, op);
      if ((op.kind === 'label' || op.kind === 'unlabel') && !versions.has(op.pid)) versions.set(op.pid, op.base);
    });
  }

  var seq = 0;
  function put(key, fields) {
    var op = ops.get(key);
    if (op && op.inflight) op.dirty = true;
    if (!op) {
      op = { key: key, sent: [], t: Date.now() + (seq++) / 1000 };
      ops.set(key, op);
    }
    Object.keys(fields).forEach(function (f) { op[f] = fields[f]; });
    op.state = 'queued';
    op.error = '';
    op.fixes = 0;
    op.current = null;
    persist(op);
    changed();
    kick();
    return op;
  }

  function baseFor(key, pid, version) {
    var op = ops.get(key);
    if (op && op.current) return op.current.version;
    if (op && (op.kind === 'label' || op.kind === 'unlabel')) return op.base;
    if (versions.has(pid)) return versions.get(pid);
    return version || 0;
  }

  // saveLabels keeps pid's labels until the server has them. version is the
  // stored version the page knows of (0 for a new annotation).
  function saveLabels(pid, labels, version, text) {
    var key = 'l' + pid;
    return put(key, { kind: 'label', pid: pid, labels: canon(labels), base: baseFor(key, pid, version), text: text || '' });
  }
  // deleteLabels removes pid's annotation (undo of a first save).
  function deleteLabels(pid, version, text) {
    var key = 'l' + pid;
    return put(key, { kind: 'unlabel', pid: pid, labels: null, base: baseFor(key, pid, version), text: text || '' });
  }
  function skip(pid, reason, text) { return put('s' + pid, { kind: 'skip', pid: pid, reason: reason, text: text || '' }); }
  function unskip(pid, text) { return put('s' + pid, { kind: 'unskip', pid: pid, text: text || '' }); }
  function note(pid, bodyText, text) { return put('n' + pid + '.' + Date.now(), { kind: 'note', pid: pid, body: bodyText, text: text || '' }); }
  function flag(pid, kind, reason, text) { return put('f' + pid + '.' + kind, { kind: 'flag', pid: pid, flag: kind, reason: reason, text: text || '' }); }

  function request(op) {
    var p = '/api/v1/paragraphs/' + op.pid;
    switch (op.kind) {
      case 'label': return ['PUT', p + '/annotation', { version: op.base, labels: op.labels }];
      case 'unlabel': return ['DELETE', p + '/annotation?version=' + op.base];
      case 'skip': return ['POST', p + '/skip', { reason: op.reason }];
      case 'unskip': return ['DELETE', p + '/skip'];
      case 'note': return ['POST', p + '/notes', { body: op.body }];
      case 'flag': return ['POST', p + '/flags', { kind: op.flag, reason: op.reason || '' }];
    }
    return null;
  }

  function kick() {
    if (!timer && !busy) timer = setTimeout(pump, 0);
  }
  function retryNow() {
    clearTimeout(timer);
    timer = 0;
    fails = 0;
    kick();
  }

  function pump() {
    timer = 0;
    if (busy) return;
    var op = null;
    ops.forEach(function (o) { if (!op && o.state === 'queued') op = o; });
    if (!op) { changed(); return; }
    var req = request(op);
    if (!req) { drop(op); kick(); return; }
    var kind = op.kind;
    if (kind === 'label') {
      op.sent.push(lkey(op.labels));
      if (op.sent.length > 30) op.sent.shift();
      persist(op);
    }
    busy = true;
    op.inflight = true;
    api(req[0], req[1], req[2]).then(function (r) {
      busy = false;
      op.inflight = false;
      handle(op, kind, r);
    }, function () {
      busy = false;
      op.inflight = false;
      op.dirty = false;
      backOff();
    });
  }

  function backOff() {
    fails++;
    offline = true;
    var d = Math.min(30000, 1000 * Math.pow(2, fails - 1));
    d = Math.min(30000, Math.round(d * (0.8 + Math.random() * 0.4)));
    retryAt = Date.now() + d;
    clearTimeout(timer);
    timer = setTimeout(pump, d);
    changed();
  }

  function reauth() {
    var old = C.csrf;
    api('GET', '/api/v1/me').then(function (r) {
      if (r.status === 200 && r.body && r.body.csrf_token && r.body.csrf_token !== old) {
        C.csrf = r.body.csrf_token;
        authProblem = false;
        kick();
        return;
      }
      authProblem = true;
      backOff();
    }, backOff);
  }

  function handle(op, kind, r) {
    var s = r.status, dirty = op.dirty, err = C.errorOf(r);
    op.dirty = false;
    if (s >= 500 || s === 408 || s === 429 || s === 0) { backOff(); return; }
    offline = false;
    fails = 0;
    retryAt = 0;
    if (s === 401 || (s === 403 && /csrf/i.test(err.message || ''))) { reauth(); return; }
    authProblem = false;
    if (ops.get(op.key) !== op) { changed(); kick(); return; } // discarded meanwhile
    if (s < 300 || (s === 404 && kind === 'unlabel') || (s === 404 && kind === 'unskip')) {
      if (kind === 'label') versions.set(op.pid, r.body ? r.body.version : versions.get(op.pid));
      if (kind === 'unlabel') versions.set(op.pid, 0);
      if (dirty) {
        if (op.kind === 'label' || op.kind === 'unlabel') op.base = versions.get(op.pid) || 0;
        persist(op);
      } else {
        drop(op);
      }
      emit('sent', op, r.body);
      changed();
      kick();
      return;
    }
    if (s === 409 && (op.kind === 'label' || op.kind === 'unlabel') && err.field === 'version') {
      var cur = err.current;
      if (!cur) {
        // Nothing is stored any more: create it, or the delete is done.
        versions.set(op.pid, 0);
        if (op.kind === 'unlabel') { drop(op); emit('sent', op, null); changed(); kick(); return; }
        if (op.fixes++ < 3) { op.base = 0; persist(op); kick(); return; }
      } else if (op.kind === 'label' && lkey(cur.labels) === lkey(op.labels)) {
        versions.set(op.pid, cur.version);
        drop(op);
        emit('sent', op, cur);
        changed();
        kick();
        return;
      } else if (op.sent.indexOf(lkey(cur.labels)) >= 0 && op.fixes++ < 3) {
        // The stored version is one of our own saves whose answer was lost.
        op.base = cur.version;
        versions.set(op.pid, cur.version);
        persist(op);
        kick();
        return;
      }
      op.state = 'conflict';
      op.current = cur;
      persist(op);
      emit('conflict', op);
      changed();
      showConflict();
      kick();
      return;
    }
    if (dirty) { persist(op); kick(); return; } // changed meanwhile: try the new value
    op.state = 'failed';
    op.error = err.message || ('the server answered ' + s);
    op.field = err.field || '';
    persist(op);
    emit('failed', op);
    changed();
    kick();
  }

  function counts() {
    var n = 0, bad = 0;
    ops.forEach(function (o) { if (o.state === 'queued') n++; else bad++; });
    return { queued: n, attention: bad };
  }

  function describe(op) {
    var what = {
      label: 'Labels', unlabel: 'Undo of labels', skip: 'Skip', unskip: 'Undo of a skip', note: 'Note', flag: 'Flag'
    }[op.kind] || op.kind;
    return what + ' for paragraph ' + op.pid + (op.text ? ': “' + op.text.slice(0, 80) + (op.text.length > 80 ? '…' : '') + '”' : '');
  }

  function changed() {
    var c = counts();
    var el = $('pending');
    if (el) {
      if (!c.queued && !c.attention) {
        el.hidden = true;
      } else {
        var t = [];
        if (c.queued) t.push('Pending (' + c.queued + ')');
        if (c.attention) t.push(c.attention + (c.attention === 1 ? ' needs' : ' need') + ' you');
        if (authProblem) t.push('log in again');
        else if (offline && c.queued) t.push('offline, retrying');
        el.textContent = t.join(' · ');
        el.classList.toggle('bad', c.attention > 0 || authProblem);
        el.title = 'Saves not yet on the server are kept in this browser and sent automatically. Click for details.';
        el.hidden = false;
      }
    }
    var dlg = $('outbox-dialog');
    if (dlg && dlg.open) renderOutbox();
    emit('change', c);
  }

  function renderOutbox() {
    var list = $('outbox-list'), st = $('outbox-status');
    list.textContent = '';
    var c = counts();
    var msg;
    if (authProblem) msg = 'Your session has ended. Log in again (in this tab or another); nothing is lost.';
    else if (offline && c.queued) msg = 'The server cannot be reached. Retrying ' + (retryAt > Date.now() ? 'in ' + Math.ceil((retryAt - Date.now()) / 1000) + ' s' : 'now') + '; your work is kept in this browser meanwhile.';
    else if (c.queued) msg = 'Sending…';
    else if (c.attention) msg = 'These could not be saved as they are. Decide what to do with each.';
    else msg = 'Everything is saved.';
    st.textContent = msg;
    ops.forEach(function (op) {
      var li = document.createElement('li');
      var span = document.createElement('span');
      span.textContent = describe(op);
      li.appendChild(span);
      var tag = document.createElement('span');
      tag.className = 'tag ' + (op.state === 'queued' ? 'warn' : 'bad');
      tag.textContent = op.state === 'queued' ? 'waiting' : op.state === 'conflict' ? 'conflict' : 'refused';
      li.appendChild(tag);
      if (op.state === 'failed') {
        var e = document.createElement('span');
        e.className = 'small';
        e.textContent = op.error;
        li.appendChild(e);
        li.appendChild(button('Retry', function () { op.state = 'queued'; persist(op); changed(); retryNow(); }));
        li.appendChild(button('Discard', function () {
          if (window.confirm('Discard this change for good? ' + describe(op))) { drop(op); emit('discarded', op); changed(); }
        }));
      }
      if (op.state === 'conflict') {
        li.appendChild(button('Resolve', function () { $('outbox-dialog').close(); showConflict(op); }));
      }
      list.appendChild(li);
    });
  }

  function button(label, fn) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn small';
    b.textContent = label;
    b.addEventListener('click', fn);
    return b;
  }

  // ---- Conflicts ----
  var conflictOp = null;

  // C.dimensions may be set by a page that knows the schema, for names.
  function labelRows(labels, other) {
    var dims = C.dimensions || Object.keys(Object.assign({}, canon(labels), canon(other))).sort().map(function (n) { return { name: n, title: n, options: [] }; });
    return dims.map(function (d) {
      var vs = canon(labels || {})[d.name] || [];
      var names = vs.map(function (v) {
        var o = (d.options || []).filter(function (x) { return x.key === v; })[0];
        return o ? o.name : v;
      });
      return { title: d.title || d.name, value: names.length ? names.join(', ') : '—', key: JSON.stringify(vs) };
    });
  }
  function fillLabels(dl, labels, other) {
    dl.textContent = '';
    var rows = labelRows(labels, other), others = labelRows(other, labels);
    rows.forEach(function (r, i) {
      var dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = r.title;
      dd.textContent = labels ? r.value : '(no labels)';
      if (!others[i] || others[i].key !== r.key) dd.className = 'diff';
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    if (!rows.length) {
      var p = document.createElement('dd');
      p.textContent = '(no labels)';
      dl.appendChild(p);
    }
  }

  function showConflict(which) {
    var dlg = $('conflict-dialog');
    if (!dlg || dlg.open) return;
    if (document.querySelector('dialog[open]')) return; // after the open one closes
    var op = which && which.state === 'conflict' ? which : null;
    if (!op) ops.forEach(function (o) { if (!op && o.state === 'conflict') op = o; });
    if (!op) return;
    conflictOp = op;
    var cur = op.current || {};
    $('conflict-para').textContent = '#' + op.pid;
    var q = $('conflict-text');
    q.textContent = op.text || '';
    q.hidden = !op.text;
    var mine = op.kind === 'unlabel' ? null : op.labels;
    fillLabels($('conflict-mine'), mine, cur.labels);
    fillLabels($('conflict-stored'), cur.labels, mine);
    var when = cur.updated_at ? new Date(cur.updated_at).toLocaleString() : '';
    $('conflict-stored-meta').textContent = '(version ' + cur.version + (when ? ', ' + when : '') + ')';
    dlg.showModal();
    $('conflict-keep-mine').focus();
  }

  function keepMine() {
    var op = conflictOp;
    if (!op) return;
    op.base = op.current.version;
    versions.set(op.pid, op.current.version);
    op.current = null;
    op.state = 'queued';
    op.fixes = 0;
    persist(op);
    $('conflict-dialog').close();
    changed();
    retryNow();
  }
  function keepStored() {
    var op = conflictOp;
    if (!op) return;
    var cur = op.current;
    versions.set(op.pid, cur.version);
    drop(op);
    $('conflict-dialog').close();
    emit('resolved', op, cur);
    changed();
  }

  // ---- Wiring ----
  C.outbox = {
    saveLabels: saveLabels, deleteLabels: deleteLabels, skip: skip, unskip: unskip, note: note, flag: flag,
    on: on, counts: counts, retryNow: retryNow,
    version: function (pid) { return versions.has(pid) ? versions.get(pid) : null; },
    setVersion: function (pid, v) { if (!ops.has('l' + pid)) versions.set(pid, v); },
    pending: function () { return Array.from(ops.values()); },
    held: function () {
      var ids = [];
      ops.forEach(function (o) { if (o.kind === 'label' || o.kind === 'skip') ids.push(o.pid); });
      return ids;
    }
  };

  document.addEventListener('click', function (e) {
    var c = e.target.closest && e.target.closest('[data-close]');
    if (c) {
      var d = c.closest('dialog');
      if (d) d.close();
    }
  });
  document.addEventListener('close', function (e) {
    if (e.target.tagName === 'DIALOG') setTimeout(function () { showConflict(); }, 0);
  }, true);

  if (C.uid) {
    load();
    var pendingBtn = $('pending');
    if (pendingBtn) pendingBtn.addEventListener('click', function () {
      renderOutbox();
      $('outbox-dialog').showModal();
    });
    var retry = $('outbox-retry');
    if (retry) retry.addEventListener('click', function () { retryNow(); renderOutbox(); });
    $('conflict-keep-mine').addEventListener('click', keepMine);
    $('conflict-keep-stored').addEventListener('click', keepStored);
    window.addEventListener('online', retryNow);
    window.addEventListener('storage', function (e) {
      // Another tab sent (and removed) an operation we also hold: forget it.
      if (e.key && e.key.indexOf(PREFIX) === 0 && e.newValue === null) {
        var op = ops.get(e.key.slice(PREFIX.length));
        if (op && !op.inflight && op.state === 'queued') { ops.delete(op.key); changed(); }
      }
    });
    window.addEventListener('beforeunload', function (e) {
      if (!storageOK && counts().queued) { e.preventDefault(); e.returnValue = ''; }
    });
    var logout = $('logout-form');
    if (logout) logout.addEventListener('submit', function (e) {
      var c = counts();
      if ((c.queued || c.attention) && !window.confirm((c.queued + c.attention) + ' change(s) are not on the server yet. They stay in this browser and are sent when you log in here again. Log out anyway?')) e.preventDefault();
    });
    changed();
    kick();
    setTimeout(showConflict, 0);
  }
})();

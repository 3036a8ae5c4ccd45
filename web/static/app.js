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
  // Every tab keeps its own pending saves under its own keys
  // (ROOT + 't.' + tab id + '.' + key), so two tabs saving the same paragraph
  // never overwrite each other. A tab holds a Web Lock named after its id for
  // as long as it lives; another tab that can take that lock knows the first
  // one is gone and takes its entries over under the lock, so no two tabs
  // replay the same entry. Without Web Locks (pages served over plain HTTP
  // to another machine) a heartbeat and a claim key stand in for the lock.
  var ROOT = 'concord.outbox.' + C.uid + '.';
  var TAB = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  var MINE = ROOT + 't.' + TAB + '.';
  var locks = navigator.locks && typeof navigator.locks.request === 'function' ? navigator.locks : null;
  var owned = !locks;        // entries are written only once this tab holds its lock
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
    if (!owned) return; // written when the lock is granted
    var copy = {};
    Object.keys(op).forEach(function (k) { if (k !== 'inflight' && k !== 'dirty' && k !== 'stored') copy[k] = op[k]; });
    try { localStorage.setItem(MINE + op.key, JSON.stringify(copy)); storageOK = true; op.stored = true; } catch (e) { storageOK = false; }
  }
  function drop(op) {
    if (ops.get(op.key) === op) ops.delete(op.key);
    try { localStorage.removeItem(MINE + op.key); } catch (e) { /* nothing to do */ }
  }

  // storedKeys lists the localStorage keys that start with prefix.
  function storedKeys(prefix) {
    var out = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf(prefix) === 0) out.push(k);
      }
    } catch (e) { storageOK = false; }
    return out;
  }
  // otherTabs lists the tabs (by id) that have entries in localStorage, and
  // '' for entries written before entries were kept per tab.
  function otherTabs() {
    var seen = {}, out = [];
    storedKeys(ROOT).forEach(function (k) {
      var rest = k.slice(ROOT.length), tab;
      if (rest.indexOf('t.') === 0) tab = rest.slice(2).split('.')[0];
      else if (rest.indexOf('alive.') === 0 || rest.indexOf('claim.') === 0) return;
      else tab = '';
      if (tab !== TAB && !seen[tab]) { seen[tab] = true; out.push(tab); }
    });
    return out;
  }
  function tabPrefix(tab) { return tab ? ROOT + 't.' + tab + '.' : ROOT; }
  function isLegacyKey(k) {
    var rest = k.slice(ROOT.length);
    return !/^(t|alive|claim)\./.test(rest);
  }

  function sortOps() {
    var list = Array.from(ops.values()).sort(function (a, b) { return a.t - b.t; });
    ops.clear();
    list.forEach(function (op) { ops.set(op.key, op); });
  }

  // adopt takes over the entries of a tab that is gone; the caller holds
  // that tab's lock (or claim). Each entry is written under this tab's keys
  // before the old one is removed, so a crash in between can repeat a save
  // (the server answers a repeated labelled save with its version) but
  // never lose one.
  function adopt(tab) {
    var prefix = tabPrefix(tab), n = 0;
    storedKeys(prefix).forEach(function (k) {
      if (!tab && !isLegacyKey(k)) return;
      var op = null;
      try { op = JSON.parse(localStorage.getItem(k) || 'null'); } catch (e) { op = null; }
      if (op && op.key && op.kind) {
        if (op.state !== 'conflict' && op.state !== 'failed') op.state = 'queued';
        var key = op.key, i = 2;
        while (ops.has(key)) key = op.key + '~' + (i++);
        op.key = key;
        op.sent = op.sent || [];
        ops.set(key, op);
        if ((op.kind === 'label' || op.kind === 'unlabel') && !versions.has(op.pid)) versions.set(op.pid, op.base);
        persist(op);
        n++;
      }
      try { localStorage.removeItem(k); } catch (e) { /* written again by nobody: it is ours now */ }
    });
    if (!n) return;
    sortOps();
    emit('adopted', n);
    changed();
    kick();
    setTimeout(showConflict, 0);
  }

  var watching = {};
  // takeOver adopts the entries of tab if it is gone. wait makes it wait
  // for the tab's lock (for the tab this one replaced on a reload, whose
  // lock is released a moment after the new page starts).
  function takeOver(tab, wait) {
    if (watching[tab]) return Promise.resolve();
    watching[tab] = true;
    var done = function () { delete watching[tab]; };
    if (locks) {
      var name = tab ? ROOT + tab : ROOT + 'legacy';
      var p = wait || !tab
        ? locks.request(name, function () { adopt(tab); })
        : locks.request(name, { ifAvailable: true }, function (lock) { if (lock) adopt(tab); });
      return p.then(done, done);
    }
    // No Web Locks: a tab is gone when its heartbeat is removed (it does so
    // as its page goes) or old (a crash; hidden tabs beat seldom, so the
    // limit is long); the claim key keeps two tabs from taking the same
    // entries.
    var beat = Number(localStorage.getItem(ROOT + 'alive.' + tab) || 0);
    if (tab && Date.now() - beat < 120000) { done(); return Promise.resolve(); }
    var claimKey = ROOT + 'claim.' + (tab || 'legacy');
    var claim = (localStorage.getItem(claimKey) || '').split(' ');
    if (claim[0] && claim[0] !== TAB && Date.now() - Number(claim[1]) < 5000) { done(); return Promise.resolve(); }
    try { localStorage.setItem(claimKey, TAB + ' ' + Date.now()); } catch (e) { done(); return Promise.resolve(); }
    return new Promise(function (resolve) {
      setTimeout(function () {
        if ((localStorage.getItem(claimKey) || '').split(' ')[0] === TAB) {
          adopt(tab);
          localStorage.removeItem(claimKey);
        }
        done();
        resolve();
      }, 150);
    });
  }

  function takeOverAll(predecessor) {
    return Promise.all(otherTabs().map(function (tab) { return takeOver(tab, tab === predecessor); }));
  }

  var readyFns = [], isReady = false;
  function ready(fn) { if (isReady) fn(); else readyFns.push(fn); }
  function setReady() {
    if (isReady) return;
    isReady = true;
    readyFns.splice(0).forEach(function (fn) { try { fn(); } catch (e) { console.error(e); } });
    kick();
  }

  // start claims this tab's lock, writes what was saved meanwhile, and takes
  // over the entries of tabs that are gone: the one this tab replaced first,
  // then every other (again every 15 s, for tabs closed meanwhile).
  function start() {
    var predecessor = '';
    try {
      predecessor = sessionStorage.getItem('concord.outbox.tab') || '';
      sessionStorage.setItem('concord.outbox.tab', TAB);
    } catch (e) { /* no session storage: every old tab is an orphan */ }
    var begin = function () {
      owned = true;
      ops.forEach(persist);
      takeOverAll(predecessor).then(setReady, setReady);
      setInterval(function () { takeOverAll(''); }, 15000);
    };
    setTimeout(setReady, 1500); // a page never waits longer for the takeover
    if (locks) {
      locks.request(ROOT + TAB, function () {
        begin();
        return new Promise(function () { /* held until the tab goes */ });
      }).catch(function () { owned = true; ops.forEach(persist); setReady(); });
      return;
    }
    var leaving = false;
    var beat = function () {
      if (leaving) return;
      try { localStorage.setItem(ROOT + 'alive.' + TAB, String(Date.now())); } catch (e) { /* full */ }
    };
    beat();
    setInterval(beat, 3000);
    document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'visible') beat(); });
    window.addEventListener('pagehide', function () {
      leaving = true;
      try { localStorage.removeItem(ROOT + 'alive.' + TAB); } catch (e) { /* gone */ }
    });
    window.addEventListener('pageshow', function (e) { if (e.persisted) { leaving = false; beat(); } });
    begin();
  }

  var seq = 0;
  // about names the paragraph for people: its text, its position and its
  // document's title (a bare string is the text alone).
  function put(key, fields, about) {
    var op = ops.get(key);
    if (op && op.inflight) op.dirty = true;
    if (!op) {
      op = { key: key, sent: [], t: Date.now() + (seq++) / 1000 };
      ops.set(key, op);
    }
    Object.keys(fields).forEach(function (f) { op[f] = fields[f]; });
    if (typeof about === 'string') about = { text: about };
    about = about || {};
    op.text = about.text || op.text || '';
    if (about.position != null) op.position = about.position;
    if (about.document) op.doc = about.document;
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
  // shown: the model suggestions the page showed, or null.
  function saveLabels(pid, labels, version, about, shown) {
    var key = 'l' + pid;
    return put(key, { kind: 'label', pid: pid, labels: canon(labels), base: baseFor(key, pid, version), shown: shown || null }, about);
  }
  // deleteLabels removes pid's annotation (undo of a first save). A save of
  // a new annotation that has not left yet is cancelled instead; one on its
  // way is waited for, and its answer gives the version to remove.
  function deleteLabels(pid, version, about) {
    var key = 'l' + pid, op = ops.get(key);
    if (op && !op.inflight && op.kind === 'label' && !op.base && !op.sent.length) {
      drop(op);
      emit('cancelled', op);
      changed();
      return null;
    }
    return put(key, { kind: 'unlabel', pid: pid, labels: null, base: baseFor(key, pid, version) }, about);
  }
  function skip(pid, reason, about) { return put('s' + pid, { kind: 'skip', pid: pid, reason: reason }, about); }
  function unskip(pid, about) { return put('s' + pid, { kind: 'unskip', pid: pid }, about); }
  function note(pid, bodyText, about) { return put('n' + pid + '.' + Date.now() + '.' + (seq++), { kind: 'note', pid: pid, body: bodyText }, about); }
  function flag(pid, kind, reason, about) { return put('f' + pid + '.' + kind, { kind: 'flag', pid: pid, flag: kind, reason: reason }, about); }

  function request(op) {
    var p = '/api/v1/paragraphs/' + op.pid;
    switch (op.kind) {
      case 'label': return ['PUT', p + '/annotation', { version: op.base, labels: op.labels, suggestion_shown: op.shown }];
      case 'unlabel':
        // Never a DELETE of version 0: with no version known, nothing of
        // ours is stored unless a save's answer was lost, which a read tells.
        if (!op.base) return op.sent.length ? ['GET', p + '/annotation'] : null;
        return ['DELETE', p + '/annotation?version=' + op.base];
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
    // Nothing leaves before the takeover at the start is done, so the
    // saves of every tab go in the order they were made.
    if (busy || !isReady) return;
    var op = null;
    ops.forEach(function (o) { if (!op && o.state === 'queued') op = o; });
    if (!op) { changed(); return; }
    if (op.stored && storageOK && localStorage.getItem(MINE + op.key) === null) {
      // Another tab took this entry over (it thought this tab gone): it
      // sends it, this tab must not.
      ops.delete(op.key);
      changed();
      kick();
      return;
    }
    var req = request(op);
    if (!req) {
      drop(op);
      if (op.kind === 'unlabel') { versions.set(op.pid, 0); emit('sent', op, null); }
      changed();
      kick();
      return;
    }
    var kind = req[0] === 'GET' ? 'probe' : op.kind;
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
    if (kind === 'probe') {
      if (dirty) { kick(); return; } // changed meanwhile: send the new value
      if (s === 404) { versions.set(op.pid, 0); drop(op); emit('sent', op, null); changed(); kick(); return; }
      if (s === 200 && r.body && op.sent.indexOf(lkey(r.body.labels)) >= 0) {
        // Our save landed and its answer was lost: remove that version.
        op.base = r.body.version;
        versions.set(op.pid, r.body.version);
        persist(op);
        kick();
        return;
      }
      if (s === 200 && r.body) {
        op.state = 'conflict';
        op.current = r.body;
        persist(op);
        emit('conflict', op);
        changed();
        showConflict();
        kick();
        return;
      }
    }
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

  // where names an operation's paragraph as people know it: by its
  // position in its document, not by its database id.
  function where(op) {
    if (op.position == null) return 'a paragraph';
    return 'paragraph ' + (op.position + 1) + (op.doc ? ' of “' + op.doc + '”' : '');
  }
  C.where = where;

  function describe(op) {
    var what = {
      label: 'Labels', unlabel: 'Undo of labels', skip: 'Skip', unskip: 'Undo of a skip', note: 'Note', flag: 'Flag'
    }[op.kind] || op.kind;
    return what + ' for ' + where(op) + (op.text ? ': “' + op.text.slice(0, 80) + (op.text.length > 80 ? '…' : '') + '”' : '');
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
    var w = where(op);
    $('conflict-para').textContent = w.charAt(0).toUpperCase() + w.slice(1);
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
    on: on, counts: counts, retryNow: retryNow, ready: ready, tab: TAB,
    version: function (pid) { return versions.has(pid) ? versions.get(pid) : null; },
    setVersion: function (pid, v) { if (!ops.has('l' + pid)) versions.set(pid, v); },
    pending: function () { return Array.from(ops.values()); },
    held: function () {
      var ids = [];
      ops.forEach(function (o) { if (o.kind === 'label' || o.kind === 'skip') ids.push(o.pid); });
      return ids;
    }
  };

  // ---- The menu of a narrow screen ----
  var navToggle = $('nav-toggle'), topBar = document.querySelector('header.top');
  if (navToggle && topBar) {
    var setMenu = function (open) {
      topBar.classList.toggle('menu-open', open);
      navToggle.setAttribute('aria-expanded', String(open));
    };
    topBar.classList.add('has-menu');
    navToggle.hidden = false;
    navToggle.addEventListener('click', function () {
      var open = !topBar.classList.contains('menu-open');
      setMenu(open);
      if (open) { var first = topBar.querySelector('.nav a'); if (first) first.focus(); }
    });
    topBar.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && topBar.classList.contains('menu-open')) { e.stopPropagation(); setMenu(false); navToggle.focus(); }
    });
    document.addEventListener('click', function (e) {
      if (topBar.classList.contains('menu-open') && !e.target.closest('.nav') && !e.target.closest('#nav-toggle')) setMenu(false);
    });
    topBar.addEventListener('focusout', function (e) {
      if (e.relatedTarget && !topBar.contains(e.relatedTarget)) setMenu(false);
    });
  }

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
    start();
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
      // Only this tab removes its own entries, unless another tab took them
      // over; then that tab sends them and this one forgets them.
      if (e.key && e.key.indexOf(MINE) === 0 && e.newValue === null) {
        var op = ops.get(e.key.slice(MINE.length));
        if (op && !op.inflight) { ops.delete(op.key); changed(); }
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

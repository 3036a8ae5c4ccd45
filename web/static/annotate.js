/* The annotation page: keyboard-first labelling. Paragraphs come from memory
   (prefetched), saves go to the outbox in app.js and never block the page. */
(function () {
  'use strict';
  var C = window.Concord, $ = C.$, ob = C.outbox;
  var boot = JSON.parse($('boot').textContent);
  var dims = boot.schema.dimensions;
  C.dimensions = dims;

  var form = $('labels'), textEl = $('para-text'), prevEl = $('para-prev'), nextEl = $('para-next');
  var titleEl = $('doc-title'), sourceEl = $('doc-source'), posEl = $('para-pos'), stateEl = $('para-state');
  var saveState = $('save-state'), helpEl = $('help'), doneEl = $('done'), loadingEl = $('loading'), boxEl = $('para-box');

  var hot = {};      // hotkey → {dim, key}
  var inputs = {};   // dimension → {option key → input}
  var combos = {};   // open dimension → combo box
  dims.forEach(function (d) {
    inputs[d.name] = {};
    d.options.forEach(function (o) { if (o.hotkey) hot[o.hotkey] = { dim: d, key: o.key }; });
  });
  form.querySelectorAll('.dim input[name]').forEach(function (inp) { inputs[inp.name][inp.value] = inp; });

  var queue = [];     // contexts still to label, the first one on screen
  var session = [];   // {ctx, labels, version, skipped} labelled or skipped, oldest first
  var pos = -1;       // index into session when going back; -1 is the queue's head
  var labels = {};    // the form: dimension → array of values
  var formUndo = [];  // snapshots of the form before each change
  var actions = [];   // saves and skips, for undo after a save
  var remaining = boot.remaining, remainingMore = !!boot.remaining_more, fetching = false, exhausted = false;
  var timings = C.timings = [];
  // suggest.js: suggestions by paragraph; prefilled: what is still the model's
  var suggMode = boot.suggestions_mode, sugg = boot.suggestions || {}, prefilled = {};

  function copy(l) { return JSON.parse(JSON.stringify(l || {})); }
  function dimByName(n) { return dims.filter(function (d) { return d.name === n; })[0]; }
  function optionName(d, v) {
    var o = d.options.filter(function (x) { return x.key === v; })[0];
    return o ? o.name : v;
  }

  (boot.recent || []).forEach(function (r) {
    session.push({ ctx: r.context, labels: r.labels ? C.canon(r.labels) : null, version: r.version, skipped: r.skipped ? (r.skip_reason || 'skipped') : null });
    if (r.version) ob.setVersion(r.context.paragraph.id, r.version);
  });
  (boot.items || []).forEach(function (it) { queue.push(it); });
  // dropHeld takes out of the queue the paragraphs whose save or skip waits
  // in the outbox (this tab's, or one taken over from a tab that is gone).
  function dropHeld() {
    var held = {};
    ob.held().forEach(function (id) { held[id] = true; });
    var head = queue[0];
    queue = queue.filter(function (c) { return !held[c.paragraph.id]; });
    return queue[0] !== head;
  }
  // about names a paragraph for the outbox: its text, position and document.
  function about(ctx) {
    return { text: ctx.paragraph.text, position: ctx.paragraph.position, document: ctx.document.title || ctx.document.key };
  }

  // ---- Rendering ----
  var shown = null; // {ctx, entry}

  function current() {
    if (pos >= 0 && session[pos]) return { ctx: session[pos].ctx, entry: session[pos] };
    pos = -1;
    return queue[0] ? { ctx: queue[0], entry: null } : null;
  }

  function show() {
    shown = current();
    var empty = !shown;
    boxEl.hidden = empty;
    form.hidden = empty;
    prevEl.hidden = nextEl.hidden = empty;
    doneEl.hidden = !empty || fetching;
    loadingEl.hidden = !empty || !fetching;
    if (empty) {
      titleEl.textContent = '';
      sourceEl.textContent = '';
      posEl.textContent = session.length ? session.length + ' done in this session · ← to go back' : '';
      if (!fetching && !exhausted) topUp();
      return;
    }
    var ctx = shown.ctx, p = ctx.paragraph, d = ctx.document;
    boxEl.dataset.paragraph = p.id;
    textEl.textContent = p.text;
    prevEl.textContent = ctx.previous ? ctx.previous.text : '';
    nextEl.textContent = ctx.next ? ctx.next.text : '';
    titleEl.textContent = d.title || d.key;
    if (d.url && /^https?:\/\//i.test(d.url)) titleEl.href = d.url; else titleEl.removeAttribute('href');
    sourceEl.textContent = d.source && d.source !== d.key ? d.source : '';
    var e = shown.entry;
    labels = e ? copy(e.labels || {}) : copy(ctx._draft || {});
    prefilled = !e && ctx._prefilled ? copy(ctx._prefilled) : {};
    if (suggMode === 'prefill' && !e && !ctx._draft && C.suggest) C.suggest.prefill(suggOf(p.id), labels, prefilled);
    formUndo = [];
    clearErrors();
    syncForm();
    drawSugg(p.id);
    updateStatus();
  }

  function suggOf(pid) { return suggMode === 'off' ? [] : sugg[pid] || []; }
  function loadSugg() {
    var a = boot.suggest_assets, l, sc;
    if (C.suggest || !a || loadSugg.on) return;
    loadSugg.on = l = document.createElement('link');
    sc = document.createElement('script');
    l.rel = 'stylesheet'; l.href = a[1]; sc.src = a[0];
    sc.onload = function () { if (shown) drawSugg(shown.ctx.paragraph.id); };
    document.head.append(l, sc);
  }
  function drawSugg(pid) { if (C.suggest) C.suggest.draw(form, inputs, combos, suggOf(pid), prefilled); }
  function unmark(n) { if (prefilled[n]) { delete prefilled[n]; drawSugg(shown.ctx.paragraph.id); } }
  function shownOf(pid) { return C.suggest && C.suggest.shown(suggOf(pid)); }

  function updateStatus() {
    if (!shown) return;
    var p = shown.ctx.paragraph, e = shown.entry;
    var where = 'Paragraph ' + (p.position + 1);
    if (e) where += ' · going back (' + (pos + 1) + ' of ' + session.length + '), → returns';
    else where += ' · ' + Math.max(remaining, queue.length) + (remainingMore ? ' or more' : '') + ' left in your queue';
    posEl.textContent = where;
    var st = '';
    if (e) {
      var op = ob.pending().filter(function (o) { return o.pid === p.id && /^(un)?(label|skip)$/.test(o.kind); }).pop();
      if (op) st = op.state === 'queued' ? 'Saving…' : op.state === 'conflict' ? 'Conflict: choose a version' : 'Not saved: ' + op.error;
      else if (e.skipped && !e.labels) st = 'Skipped: ' + e.skipped;
      else st = 'Saved · version ' + (ob.version(p.id) || e.version || 1);
    }
    stateEl.textContent = st;
    stateEl.hidden = !st;
    stateEl.className = 'state' + (e && e.skipped && !e.labels ? ' skipped' : '');
  }

  function syncForm() {
    dims.forEach(syncDim);
  }
  function syncDim(d) {
    if (typeof d === 'string') d = dimByName(d);
    var vs = labels[d.name] || [];
    if (combos[d.name]) { combos[d.name].sync(vs[0] || ''); return; }
    var m = inputs[d.name];
    for (var k in m) m[k].checked = vs.indexOf(k) >= 0;
  }

  function say(msg) {
    saveState.textContent = msg;
  }

  function clearErrors() {
    form.querySelectorAll('.dim.missing').forEach(function (f) { f.classList.remove('missing'); });
    form.querySelectorAll('.dim-error').forEach(function (p) { p.hidden = true; });
  }
  function clearError(name) {
    var fs = form.querySelector('.dim[data-dim="' + name + '"]');
    if (!fs) return;
    fs.classList.remove('missing');
    fs.querySelector('.dim-error').hidden = true;
  }

  function snapshot() { formUndo.push(copy(labels)); if (formUndo.length > 100) formUndo.shift(); }

  function setValue(d, key, toggle) {
    snapshot();
    var cur = labels[d.name] || [];
    if (d.kind === 'multi') {
      labels[d.name] = cur.indexOf(key) >= 0 ? cur.filter(function (x) { return x !== key; }) : cur.concat([key]).sort();
    } else if (toggle && cur[0] === key && !d.required) {
      labels[d.name] = [];
    } else {
      labels[d.name] = key ? [key] : [];
    }
    syncDim(d);
    clearError(d.name);
    unmark(d.name);
    var inp = inputs[d.name][key];
    if (inp) {
      var l = inp.closest('.opt');
      l.classList.remove('flash');
      void l.offsetWidth;
      l.classList.add('flash');
    }
  }

  form.addEventListener('change', function (e) {
    var inp = e.target, d = dimByName(inp.name);
    if (!d || !inputs[d.name][inp.value]) return;
    snapshot();
    var m = inputs[d.name], vs = [];
    for (var k in m) if (m[k].checked) vs.push(k);
    labels[d.name] = vs.sort();
    clearError(d.name);
    unmark(d.name);
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); saveAndNext(e); });

  // ---- Saving and moving ----
  function measure(ev) {
    var t0 = ev && ev.timeStamp > 0 ? ev.timeStamp : performance.now();
    requestAnimationFrame(function () {
      timings.push(performance.now() - t0);
      if (timings.length > 2000) timings.shift();
    });
  }

  function saveAndNext(ev) {
    if (!shown) return;
    var miss = dims.filter(function (d) { return d.required && !(labels[d.name] || []).length; });
    if (miss.length) {
      miss.forEach(function (d) {
        var fs = form.querySelector('.dim[data-dim="' + d.name + '"]');
        fs.classList.add('missing');
        var keys = d.options.map(function (o) { return o.hotkey; }).filter(Boolean);
        var err = fs.querySelector('.dim-error');
        err.textContent = 'Choose ' + (d.kind === 'multi' ? 'at least one ' : 'a ') + d.title.toLowerCase().replace(/s$/, '') + (keys.length ? ' (keys ' + keys[0] + '–' + keys[keys.length - 1] + ')' : '') + ' before saving.';
        err.hidden = false;
      });
      say('Not saved: ' + miss.map(function (d) { return d.title; }).join(' and ') + (miss.length > 1 ? ' are' : ' is') + ' required.');
      return;
    }
    var ctx = shown.ctx, pid = ctx.paragraph.id, lab = C.canon(labels), e = shown.entry;
    if (e) {
      if (!e.labels || !C.sameLabels(e.labels, lab)) {
        actions.push({ entry: e, prev: e.labels, prevSkipped: e.skipped });
        e.labels = lab;
        e.skipped = null;
        ob.saveLabels(pid, lab, e.version, about(ctx), shownOf(pid));
      }
      pos = pos + 1 < session.length ? pos + 1 : -1;
    } else {
      e = { ctx: ctx, labels: lab, version: 0, skipped: null };
      session.push(e);
      queue.shift();
      actions.push({ entry: e, prev: null, prevSkipped: null });
      ob.saveLabels(pid, lab, 0, about(ctx), shownOf(pid));
      remaining = Math.max(0, remaining - 1);
    }
    say('');
    show();
    measure(ev);
    topUp();
  }

  function stashDraft() {
    if (pos === -1 && queue[0]) { queue[0]._draft = copy(labels); queue[0]._prefilled = prefilled; }
  }

  function back(ev) {
    if (pos === -1) {
      if (!session.length) { say('Nothing to go back to yet.'); return; }
      stashDraft();
      pos = session.length - 1;
    } else if (pos > 0) {
      pos--;
    } else {
      say('This is the first paragraph you can go back to.');
      return;
    }
    say('');
    show();
    measure(ev);
  }
  function forward(ev) {
    if (pos === -1) return;
    pos = pos + 1 < session.length ? pos + 1 : -1;
    say('');
    show();
    measure(ev);
  }

  function undo() {
    if (formUndo.length) {
      labels = formUndo.pop();
      syncForm();
      say('Undone.');
      return;
    }
    var a = actions.pop();
    if (!a) { say('Nothing to undo.'); return; }
    var e = a.entry, ctx = e.ctx, pid = ctx.paragraph.id, text = about(ctx), idx = session.indexOf(e);
    if (a.skip) {
      if (a.prevSkipped) { e.skipped = a.prevSkipped; ob.skip(pid, a.prevSkipped, text); pos = idx; }
      else { ob.unskip(pid, text); reopen(e, idx); }
    } else if (a.prev) {
      e.labels = a.prev;
      ob.saveLabels(pid, a.prev, e.version, text);
      pos = idx;
    } else {
      ob.deleteLabels(pid, e.version, text);
      e.labels = null;
      if (a.prevSkipped) { e.skipped = a.prevSkipped; ob.skip(pid, a.prevSkipped, text); pos = idx; }
      else reopen(e, idx);
    }
    show();
    say('Undid your last save of paragraph ' + (ctx.paragraph.position + 1) + '.');
  }
  function reopen(e, idx) {
    stashDraft();
    if (idx >= 0) session.splice(idx, 1);
    delete e.ctx._draft;
    queue.unshift(e.ctx);
    remaining++;
    pos = -1;
  }

  function doSkip(reason) {
    var ctx = shown.ctx, pid = ctx.paragraph.id, e = shown.entry;
    if (e) {
      actions.push({ entry: e, skip: true, prevSkipped: e.skipped });
      e.skipped = reason;
      ob.skip(pid, reason, about(ctx));
      pos = pos + 1 < session.length ? pos + 1 : -1;
    } else {
      e = { ctx: ctx, labels: null, version: 0, skipped: reason };
      session.push(e);
      queue.shift();
      actions.push({ entry: e, skip: true, prevSkipped: null });
      ob.skip(pid, reason, about(ctx));
      remaining = Math.max(0, remaining - 1);
    }
    show();
    say('Skipped.');
    topUp();
  }

  // ---- Prefetch ----
  function topUp() {
    if (fetching || exhausted || queue.length >= 2 * (boot.prefetch || 5)) return;
    fetching = true;
    var ids = {}, list = [];
    queue.forEach(function (c) { ids[c.paragraph.id] = 1; });
    session.forEach(function (e) { ids[e.ctx.paragraph.id] = 1; });
    ob.held().forEach(function (id) { ids[id] = 1; });
    for (var id in ids) list.push(id);
    list = list.slice(-500);
    var url = '/api/v1/queue/next?limit=' + (boot.prefetch || 5) + (boot.document ? '&document=' + boot.document : '') + (list.length ? '&exclude=' + list.join(',') : '');
    C.api('GET', url).then(function (r) {
      fetching = false;
      if (r.status !== 200 || !r.body) { setTimeout(topUp, 5000); if (!shown) show(); return; }
      var added = 0;
      suggMode = r.body.suggestions_mode;
      for (var sid in r.body.suggestions) { sugg[sid] = r.body.suggestions[sid]; loadSugg(); }
      (r.body.items || []).forEach(function (it) {
        if (!ids[it.paragraph.id]) { queue.push(it); ids[it.paragraph.id] = 1; added++; }
      });
      if (!added) exhausted = true;
      remaining = Math.max(queue.length, (r.body.remaining || 0) - ob.held().length);
      remainingMore = !!r.body.remaining_more;
      if (!shown) show(); else updateStatus();
      if (added) topUp();
    }, function () {
      fetching = false;
      setTimeout(topUp, 5000);
      if (!shown) show();
    });
  }

  ob.on('sent', function (op) {
    session.forEach(function (e) {
      if (e.ctx.paragraph.id === op.pid && op.kind === 'label') e.version = ob.version(op.pid);
      if (e.ctx.paragraph.id === op.pid && op.kind === 'unlabel') e.version = 0;
    });
    if (shown && shown.ctx.paragraph.id === op.pid) updateStatus();
  });
  ob.on('resolved', function (op, cur) {
    session.forEach(function (e) {
      if (e.ctx.paragraph.id === op.pid) { e.labels = C.canon(cur.labels); e.version = cur.version; }
    });
    if (shown && shown.ctx.paragraph.id === op.pid) show();
  });
  ob.on('failed', function (op) {
    say('Not saved (' + C.where(op) + '): ' + op.error);
    if (shown && shown.ctx.paragraph.id === op.pid) updateStatus();
  });
  ob.on('change', function () { if (shown) updateStatus(); });
  ob.on('adopted', function () { if (dropHeld() && pos === -1) show(); });

  // ---- Event type-ahead ----
  function Combo(fs, d) {
    var input = fs.querySelector('.combo-input'), list = fs.querySelector('.combo-list');
    var valueEl = fs.querySelector('.combo-value'), clearBtn = fs.querySelector('.combo-clear');
    var known = d.options.map(function (o) { return { key: o.key, name: o.name, guide: o.guideline || '' }; });
    (boot.open_values[d.name] || []).forEach(function (v) { if (!known.some(function (k) { return k.key === v; })) known.push({ key: v, name: v, guide: '' }); });
    var items = [], active = -1;

    function norm(s) { return s.replace(/\s+/g, ' ').trim(); }
    function render() {
      var q = norm(input.value).toLowerCase();
      items = known.filter(function (k) {
        return !q || k.name.toLowerCase().indexOf(q) >= 0 || k.key.toLowerCase().indexOf(q) >= 0 || k.guide.toLowerCase().indexOf(q) >= 0;
      }).slice(0, 50);
      var exact = q && known.some(function (k) { return k.name.toLowerCase() === q || k.key.toLowerCase() === q; });
      if (q && !exact) items.push({ key: norm(input.value), name: norm(input.value), isNew: true });
      list.textContent = '';
      items.forEach(function (it, i) {
        var li = document.createElement('li');
        li.id = 'combo-' + d.name + '-' + i;
        li.setAttribute('role', 'option');
        if (it.isNew) {
          li.className = 'new';
          li.textContent = '+ Add a new ' + d.title.toLowerCase() + ': “' + it.name + '”';
        } else {
          li.textContent = it.name;
          if (it.guide) {
            var s = document.createElement('small');
            s.textContent = it.guide;
            li.appendChild(s);
            li.title = it.guide;
          }
        }
        li.addEventListener('mousedown', function (e) { e.preventDefault(); pick(it); });
        list.appendChild(li);
      });
      active = q && items.length ? 0 : -1;
      mark();
      list.hidden = !items.length;
      input.setAttribute('aria-expanded', String(!list.hidden));
    }
    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) { li.setAttribute('aria-selected', String(i === active)); });
      if (active >= 0 && list.children[active]) {
        input.setAttribute('aria-activedescendant', list.children[active].id);
        list.children[active].scrollIntoView({ block: 'nearest' });
      } else input.removeAttribute('aria-activedescendant');
    }
    function close() { list.hidden = true; input.setAttribute('aria-expanded', 'false'); }
    function pick(it) {
      if (it.isNew) known.push({ key: it.key, name: it.name, guide: '' });
      setValue(d, it.key);
      input.value = '';
      close();
      form.focus();
      say((it.isNew ? 'New ' : '') + d.title + ': ' + it.name);
    }
    input.addEventListener('input', render);
    input.addEventListener('focus', render);
    input.addEventListener('blur', function () { setTimeout(close, 100); });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') { e.preventDefault(); if (list.hidden) render(); active = Math.min(items.length - 1, active + 1); mark(); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); active = Math.max(0, active - 1); mark(); }
      else if (e.key === 'Enter') {
        e.preventDefault();
        e.stopPropagation();
        if (active >= 0 && items[active]) pick(items[active]);
        else if (!norm(input.value)) { close(); form.focus(); }
      } else if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        if (!list.hidden && input.value) { input.value = ''; close(); } else { close(); form.focus(); }
      } else if (e.key === 'Tab') close();
    });
    clearBtn.addEventListener('click', function () { setValue(d, ''); form.focus(); });
    var m = boot.open_values_more; // openvalues.js, on the page when set
    if (m && m[d.name]) C.openCombo(d.name, input, known, render);
    return {
      focus: function () { input.focus(); input.select(); },
      sync: function (v) {
        clearBtn.hidden = !v;
        valueEl.hidden = !v;
        valueEl.textContent = '';
        if (v) {
          valueEl.appendChild(document.createTextNode(d.title + ': '));
          var s = document.createElement('strong');
          s.textContent = optionName(d, v);
          valueEl.appendChild(s);
        }
        input.placeholder = v ? 'Change… ( / )' : 'Type to search or add… ( / )';
      }
    };
  }
  dims.forEach(function (d) {
    var fs = form.querySelector('.combo[data-combo="' + d.name + '"]');
    if (fs) combos[d.name] = Combo(fs, d);
  });
  form.tabIndex = -1;

  // ---- Dialogs ----
  function openSkip() {
    if (!shown) return;
    if (shown.entry && shown.entry.labels) { say('You labelled this paragraph; change its labels instead, or undo them with Ctrl+Z.'); return; }
    var inp = $('skip-reason');
    inp.value = shown.entry && shown.entry.skipped || '';
    $('skip-error').hidden = true;
    $('skip-dialog').showModal();
    inp.focus();
  }
  $('skip-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var r = $('skip-reason').value.trim();
    if (!r) { $('skip-error').textContent = 'Say why you skip it (pick one of the reasons or type your own).'; $('skip-error').hidden = false; return; }
    $('skip-dialog').close();
    doSkip(r);
  });
  $('skip-chips').addEventListener('click', function (e) {
    var b = e.target.closest('[data-reason]');
    if (b) { $('skip-reason').value = b.dataset.reason; $('skip-reason').focus(); }
  });

  function openFlag() {
    if (!shown) return;
    var f = $('flag-form');
    f.reset();
    $('flag-error').hidden = true;
    renderFlags();
    $('flag-dialog').showModal();
    f.querySelector('input[name=kind]').focus();
  }
  function renderFlags() {
    var flags = shown.ctx.flags || [], ul = $('flag-list');
    ul.textContent = '';
    $('flag-existing').hidden = !flags.length;
    flags.forEach(function (fl) {
      var li = document.createElement('li'), s = document.createElement('span');
      s.textContent = ({ duplicate: 'Duplicate', boilerplate: 'Boilerplate', not_relevant: 'Not relevant' }[fl.kind] || fl.kind) + (fl.reason ? ': ' + fl.reason : '');
      li.appendChild(s);
      var tag = document.createElement('span');
      tag.className = 'tag ' + (fl.status === 'confirmed' ? 'ok' : fl.status === 'dismissed' ? 'soft' : 'warn');
      tag.textContent = fl.status;
      li.appendChild(tag);
      if (fl.id && fl.status !== 'confirmed') li.appendChild(decideBtn(fl, 'confirmed', 'Confirm'));
      if (fl.id && fl.status !== 'dismissed') li.appendChild(decideBtn(fl, 'dismissed', 'Dismiss'));
      ul.appendChild(li);
    });
  }
  function decideBtn(fl, status, label) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn small';
    b.textContent = label;
    b.addEventListener('click', function () {
      b.disabled = true;
      C.api('POST', '/api/v1/curations/decide', { ids: [fl.id], status: status }).then(function (r) {
        if (r.status === 200) { fl.status = status; renderFlags(); return; }
        $('flag-error').textContent = C.errorOf(r).message;
        $('flag-error').hidden = false;
        b.disabled = false;
      }, function () {
        $('flag-error').textContent = 'The server cannot be reached; try again in a moment.';
        $('flag-error').hidden = false;
        b.disabled = false;
      });
    });
    return b;
  }
  $('flag-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var k = this.querySelector('input[name=kind]:checked');
    if (!k) { $('flag-error').textContent = 'Choose what the paragraph is (1, 2 or 3).'; $('flag-error').hidden = false; return; }
    var reason = $('flag-reason').value.trim(), ctx = shown.ctx;
    ob.flag(ctx.paragraph.id, k.value, reason, about(ctx));
    ctx.flags = (ctx.flags || []).concat([{ kind: k.value, status: 'suggested', reason: reason }]);
    $('flag-dialog').close();
    say('Flagged as ' + k.value.replace('_', ' ') + '. Label or skip it as you see fit.');
  });
  $('flag-dialog').addEventListener('keydown', function (e) {
    if (/^(INPUT|TEXTAREA)$/.test(e.target.tagName) && e.target.type === 'text' || e.target.tagName === 'TEXTAREA') return;
    var i = '123'.indexOf(e.key);
    if (i >= 0 && e.key.length === 1) {
      var r = this.querySelectorAll('input[name=kind]')[i];
      r.checked = true;
      r.focus();
      e.preventDefault();
    } else if (e.key === 'Enter' && e.target.tagName !== 'BUTTON') {
      e.preventDefault();
      $('flag-form').requestSubmit();
    }
  });

  function openNote() {
    if (!shown) return;
    var pid = shown.ctx.paragraph.id, ul = $('note-list');
    ul.textContent = '';
    $('note-body').value = '';
    $('note-error').hidden = true;
    $('note-dialog').showModal();
    $('note-body').focus();
    C.api('GET', '/api/v1/paragraphs/' + pid + '/notes').then(function (r) {
      if (r.status !== 200 || !shown || shown.ctx.paragraph.id !== pid) return;
      (r.body.notes || []).forEach(function (n) { addNote(n.body, n.created_at); });
    }, function () { /* offline: the list stays empty, writing still works */ });
  }
  function addNote(text, when) {
    var li = document.createElement('li'), p = document.createElement('div'), m = document.createElement('div');
    p.textContent = text;
    m.className = 'muted';
    m.textContent = when ? new Date(when).toLocaleString() : 'just now';
    li.appendChild(p);
    li.appendChild(m);
    $('note-list').appendChild(li);
  }
  $('note-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var b = $('note-body').value.trim();
    if (!b) { $('note-error').textContent = 'Write something first, or press Esc.'; $('note-error').hidden = false; return; }
    ob.note(shown.ctx.paragraph.id, b, about(shown.ctx));
    $('note-dialog').close();
    say('Note saved.');
  });
  $('note-body').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('note-form').requestSubmit(); }
  });

  // The guidelines of the help panel are drawn from the schema on first use.
  function drawGuides() {
    var box = $('help-guides');
    if (box.firstChild) return;
    dims.forEach(function (d) {
      var h = document.createElement('h3'), dl = document.createElement('dl');
      h.textContent = d.title;
      box.appendChild(h);
      if (d.description) {
        var p = document.createElement('p');
        p.className = 'muted small';
        p.textContent = d.description;
        box.appendChild(p);
      }
      dl.className = 'guide';
      d.options.forEach(function (o) {
        var dt = document.createElement('dt'), dd = document.createElement('dd');
        if (o.hotkey) {
          var k = document.createElement('kbd');
          k.textContent = o.hotkey;
          dt.appendChild(k);
          dt.appendChild(document.createTextNode(' '));
        }
        dt.appendChild(document.createTextNode(o.name));
        dd.textContent = o.guideline || '';
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      box.appendChild(dl);
    });
  }

  function toggleHelp(force) {
    var open = typeof force === 'boolean' ? force : helpEl.hidden;
    if (open) drawGuides();
    helpEl.hidden = !open;
    $('btn-help').setAttribute('aria-expanded', String(open));
  }

  function focusCombo() {
    var first = Object.keys(combos)[0];
    if (first) combos[first].focus();
  }

  $('btn-back').addEventListener('click', back);
  $('btn-skip').addEventListener('click', openSkip);
  $('btn-flag').addEventListener('click', openFlag);
  $('btn-note').addEventListener('click', openNote);
  $('btn-undo').addEventListener('click', undo);
  $('btn-help').addEventListener('click', function () { toggleHelp(); });
  $('help-close').addEventListener('click', function () { toggleHelp(false); });

  // ---- Keys ----
  // A key the page handled must not also type its character into the field
  // it moved the focus to (the event box, a dialog's input).
  var swallow = null;
  document.addEventListener('keypress', function (e) {
    if (swallow !== null && e.key === swallow) e.preventDefault();
    swallow = null;
  }, true);
  document.addEventListener('keyup', function () { swallow = null; }, true);
  document.addEventListener('keydown', function (e) {
    swallow = null;
    handleKey(e);
    if (e.defaultPrevented && e.key.length === 1) swallow = e.key;
  });
  function handleKey(e) {
    if (e.defaultPrevented || e.isComposing) return;
    if (document.querySelector('dialog[open]')) return;
    var t = e.target, tag = t.tagName;
    var typing = t.isContentEditable || tag === 'TEXTAREA' || tag === 'SELECT' || (tag === 'INPUT' && !/^(radio|checkbox|button|submit|reset)$/.test(t.type));
    if (typing) return;
    var k = e.key;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (k === 'z' || k === 'Z')) { e.preventDefault(); undo(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if ((k === 'Enter' || k === ' ') && (tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY')) return;
    switch (k) {
      case 'Enter': e.preventDefault(); saveAndNext(e); return;
      case 'Backspace': case 'ArrowLeft': e.preventDefault(); back(e); return;
      case 'ArrowRight': e.preventDefault(); forward(e); return;
      case 'Escape': toggleHelp(false); return;
      case '?': e.preventDefault(); toggleHelp(); return;
      case '/': case 'E': e.preventDefault(); focusCombo(); return;
    }
    if (k.length !== 1) return;
    var lk = k.toLowerCase();
    if (lk === 's') { e.preventDefault(); openSkip(); return; }
    if (lk === 'f') { e.preventDefault(); openFlag(); return; }
    if (lk === 'n') { e.preventDefault(); openNote(); return; }
    if (lk === 'z') { e.preventDefault(); undo(); return; }
    var h = hot[lk];
    if (h && shown) { e.preventDefault(); setValue(h.dim, h.key, true); }
  }

  // The first paragraph is drawn once the outbox has taken over what a tab
  // this one replaced left, so a paragraph whose save waits is not offered.
  ob.ready(function () {
    dropHeld();
    show();
    topUp();
  });
})();

/* Concord adjudication page: one disputed paragraph at a time, everyone's
   labels side by side, decided with one key. 1–9 accept an annotator's
   labels, M the majority, C the consensus (Dawid–Skene, which weighs each
   annotator by how reliable their labels show them to be), O lets the
   reviewer set their own; Enter stores the gold label and moves on, ← goes
   back, → skips. */
(function () {
  'use strict';
  var C = window.Concord || {};
  function $(id) { return document.getElementById(id); }
  var boot = JSON.parse($('boot').textContent);
  var dims = boot.dimensions || [];
  var items = boot.items || [];
  var total = boot.total || 0;
  // next is the cursor of the page after the last one loaded: the queue
  // continues right after it, whatever was decided meanwhile.
  var next = boot.next || '';
  var idx = 0, choice = null, saving = false, loading = false, exhausted = !next;
  var form = $('adj-form');

  // openvalues.js, on the page when a list holds only the most typed values
  dims.forEach(function (d) {
    if ((boot.open_values_more || {})[d.name]) C.openList(d.name, $('adj-open-' + d.name), $('adj-list-' + d.name));
  });

  var optionInfo = {};
  dims.forEach(function (d) {
    optionInfo[d.name] = {};
    d.options.forEach(function (o) { optionInfo[d.name][o.key] = o; });
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function values(v) {
    if (v == null || v === '') return [];
    return Array.isArray(v) ? v : [v];
  }
  function chips(dim, v) {
    var span = el('span');
    var vs = values(v);
    if (!vs.length) { span.appendChild(el('span', 'lbl none', '—')); return span; }
    vs.forEach(function (x) {
      var o = optionInfo[dim] && optionInfo[dim][x];
      var c = el('span', 'lbl ' + (o ? o.class : 'c6'), o ? o.name : x);
      if (o) c.title = x;
      span.appendChild(c);
    });
    return span;
  }
  function when(t) {
    if (!t) return '';
    var d = new Date(t);
    return isNaN(d) ? t : d.toLocaleString();
  }
  function say(msg, kind) {
    var m = $('adj-msg');
    m.textContent = msg || '';
    m.className = 'adj-msg' + (kind ? ' ' + kind : '');
  }

  // ---- The form holds the decision ----
  function setForm(labels) {
    dims.forEach(function (d) {
      var vs = values(labels[d.name]);
      if (d.kind === 'open') {
        $('adj-open-' + d.name).value = vs[0] || '';
        return;
      }
      form.querySelectorAll('input[name="' + d.name + '"]').forEach(function (i) {
        i.checked = i.value === '' ? vs.length === 0 : vs.indexOf(i.value) >= 0;
      });
    });
  }
  function readForm() {
    var out = {};
    dims.forEach(function (d) {
      if (d.kind === 'open') {
        var v = $('adj-open-' + d.name).value.trim();
        out[d.name] = v || null;
      } else if (d.kind === 'multi') {
        out[d.name] = Array.from(form.querySelectorAll('input[name="' + d.name + '"]:checked')).map(function (i) { return i.value; });
      } else {
        var c = form.querySelector('input[name="' + d.name + '"]:checked');
        out[d.name] = c && c.value ? c.value : null;
      }
    });
    return out;
  }
  function majorityLabels(it) {
    var out = {}, ties = [];
    it.majority.forEach(function (m) {
      if (m.tie) ties.push(m.dimension);
      else out[m.dimension] = m.value;
    });
    return { labels: out, ties: ties };
  }
  // noMajority says why a paragraph has no majority to accept, or '' when
  // it has one: a dimension where no answer has more than half of the
  // annotators (two who differ) leaves the decision to the reviewer.
  function noMajority(it) {
    var ties = majorityLabels(it).ties;
    if (!ties.length) return '';
    var c = consensusLabels(it);
    return 'No majority to accept: no answer on ' + ties.map(titleOf).join(', ') + ' has more than half of the ' + it.annotations.length + ' annotators. Press 1–' + Math.min(9, it.annotations.length) + " to accept one annotator's labels" + (c.why ? '' : ', C to accept the consensus (' + (consensusReason(it) ? 'the vote: ' + consensusReason(it) : 'lowest confidence ' + percent(it.consensus_confidence)) + ')') + ', or O to set your own.';
  }
  // consensusReason is why the paragraph's consensus is the vote on some
  // dimension (the data is too small, say), or ''.
  function consensusReason(it) {
    var cs = it.consensus || [];
    for (var i = 0; i < cs.length; i++) if (cs[i].reason) return cs[i].reason;
    return '';
  }

  function consensusOf(it) {
    var out = {};
    (it.consensus || []).forEach(function (c) { out[c.dimension] = c; });
    return out;
  }
  // consensusLabels is the consensus of each single and multi dimension,
  // and the majority of the others (open dimensions have no consensus);
  // why says what stops it from being accepted, or ''.
  function consensusLabels(it) {
    var cons = consensusOf(it), out = {}, ties = [], missing = [];
    it.majority.forEach(function (m) {
      var c = cons[m.dimension];
      if (c) {
        if (c.tie) ties.push(m.dimension); else out[m.dimension] = c.value;
      } else if (!m.tie) {
        out[m.dimension] = m.value;
      } else {
        missing.push(m.dimension);
      }
    });
    var why = '';
    if (!(it.consensus || []).length) why = 'No consensus for this paragraph yet.';
    else if (ties.length) why = 'No consensus to accept: ' + ties.map(titleOf).join(', ') + ' is a tie even weighing the annotators. Press 1–9 or O.';
    else if (missing.length) why = 'No consensus or majority on ' + missing.map(titleOf).join(', ') + ': press 1–9 or O.';
    return { labels: out, why: why };
  }
  function percent(x) { return Math.round(x * 100) + '%'; }
  function titleOf(name) {
    for (var i = 0; i < dims.length; i++) if (dims[i].name === name) return dims[i].title;
    return name;
  }

  // choose fills the form with a candidate's labels: an annotator's column
  // (0-based), 'm' for the majority, 'c' for the consensus, 'gold' for the
  // stored gold label.
  function choose(cand, quiet) {
    var it = items[idx];
    if (!it) return;
    if (cand === 'm') {
      var why = noMajority(it);
      if (why) { say(why, 'bad'); return; }
      setForm(majorityLabels(it).labels);
      choice = { method: 'majority', text: 'Accept the majority' };
    } else if (cand === 'c') {
      var cl = consensusLabels(it);
      if (cl.why) { say(cl.why, 'bad'); return; }
      setForm(cl.labels);
      choice = { method: boot.consensus_method, text: 'Accept the consensus' };
    } else if (cand === 'gold') {
      setForm(it.gold.labels);
      choice = { method: it.gold.method, text: 'Keep the current gold label (version ' + it.gold.version + ')' };
    } else if (typeof cand === 'number') {
      var a = it.annotations[cand];
      if (!a) { if (!quiet) say('There is no annotator ' + (cand + 1) + ' on this paragraph.', 'bad'); return; }
      setForm(a.labels);
      choice = { method: 'accept:' + a.user_name, text: 'Accept ' + a.user_name + "'s labels", col: cand };
    } else {
      setForm({});
      choice = { method: 'own', text: 'Set your own labels' };
    }
    choice.cand = cand;
    choice.labels = JSON.stringify(C.canon(readForm()));
    showChoice();
    markColumn(cand);
    if (!quiet) say('');
  }
  function showChoice() {
    var c = $('adj-choice');
    var own = !choice || choice.method === 'own' || JSON.stringify(C.canon(readForm())) !== choice.labels;
    c.textContent = own ? 'Your own labels' : choice.text;
    c.classList.toggle('own', own);
  }
  function currentMethod() {
    if (!choice || JSON.stringify(C.canon(readForm())) !== choice.labels) return 'own';
    return choice.method;
  }
  function markColumn(cand) {
    var key = typeof cand === 'number' ? String(cand) : cand;
    document.querySelectorAll('#adj-cols [data-cand]').forEach(function (c) {
      c.classList.toggle('chosen', c.dataset.cand === key);
    });
  }
  form.addEventListener('change', showChoice);
  form.addEventListener('input', showChoice);

  // ---- Drawing one paragraph ----
  function render() {
    var it = items[idx];
    $('adj-item').hidden = !it;
    $('adj-done').hidden = !!it;
    form.querySelectorAll('input, button[type=submit]').forEach(function (i) { i.disabled = !it; });
    $('adj-prev').disabled = idx === 0;
    if (!it) {
      $('adj-progress').textContent = items.length ? items.length + ' paragraphs seen' : '';
      $('adj-gold-body').textContent = '';
      $('adj-history').textContent = '';
      $('adj-choice').textContent = '';
      return;
    }
    $('adj-progress').textContent = 'Paragraph ' + (idx + 1) + ' of ' + Math.max(total, items.length) + ' · disputed ' + it.disputed.toFixed(2) + (it.gold ? ' · decided' : '');
    var doc = it.document.title || it.document.key;
    $('adj-doc').textContent = doc + ' · ¶ ' + (it.paragraph.position + 1);
    $('adj-text').textContent = it.paragraph.text;

    var thead = $('adj-cols').tHead, tbody = $('adj-cols').tBodies[0];
    thead.textContent = '';
    tbody.textContent = '';
    var hr = el('tr');
    var corner = el('th');
    corner.scope = 'col';
    corner.appendChild(el('span', 'sr-only', 'Dimension'));
    hr.appendChild(corner);
    it.annotations.forEach(function (a, i) {
      var th = el('th', 'cand');
      th.scope = 'col';
      th.dataset.cand = String(i);
      if (i < 9) th.appendChild(el('kbd', '', String(i + 1)));
      th.appendChild(document.createTextNode(a.user_name));
      th.title = 'Accept ' + a.user_name + "'s labels" + (i < 9 ? ' (' + (i + 1) + ')' : '');
      hr.appendChild(th);
    });
    var none = noMajority(it);
    var mh = el('th', 'cand majority' + (none ? ' none' : ''));
    mh.scope = 'col';
    mh.dataset.cand = 'm';
    mh.appendChild(el('kbd', '', 'M'));
    mh.appendChild(document.createTextNode(none ? 'No majority' : 'Majority'));
    mh.title = none || 'Accept the majority (M)';
    hr.appendChild(mh);
    // The consensus shares the majority's column, below it, so that three
    // annotators and both still fit side by side on a phone.
    var cons = consensusOf(it), cwhy = consensusLabels(it).why;
    var ch = el('span', 'consensus support' + (cwhy ? ' none' : ''));
    ch.dataset.cand = 'c';
    // Its key is in the list below the form, and the word is set small, as
    // the support is: header cells do not wrap, and a second key or a bold
    // word would widen the column past a phone's width.
    ch.appendChild(document.createTextNode('Consensus'));
    ch.title = cwhy || 'Accept the consensus (C): each annotator weighed by how reliable their labels show them to be';
    mh.appendChild(ch);
    thead.appendChild(hr);

    it.majority.forEach(function (m) {
      var tr = el('tr');
      if (!m.unanimous) tr.className = 'differs';
      var th = el('th', '', titleOf(m.dimension));
      th.scope = 'row';
      if (!m.unanimous) th.appendChild(el('span', 'sr-only', ' (annotators differ)'));
      tr.appendChild(th);
      it.annotations.forEach(function (a, i) {
        var td = el('td', 'cand');
        td.dataset.cand = String(i);
        td.appendChild(chips(m.dimension, a.labels[m.dimension]));
        tr.appendChild(td);
      });
      var td = el('td', 'cand majority');
      td.dataset.cand = 'm';
      if (m.tie) td.appendChild(el('span', 'tie', 'tie'));
      else td.appendChild(chips(m.dimension, m.value));
      td.appendChild(el('span', 'support', m.support + '/' + m.of + (m.tie ? ' each' : '') + ' agree'));
      var c = cons[m.dimension];
      if (c) {
        var ctd = el('span', 'consensus');
        ctd.dataset.cand = 'c';
        ctd.appendChild(el('br'));
        if (c.tie) ctd.appendChild(el('span', 'tie', 'tie'));
        else ctd.appendChild(chips(m.dimension, c.value));
        // A consensus that fell back to the vote says why, rather than a
        // confidence that would read as learnt.
        var conf = c.reason ? el('span', 'support consensus-reason', 'the vote: ' + c.reason)
          : el('span', 'support', percent(c.confidence) + ' sure');
        conf.title = c.reason ? 'Dawid–Skene did not run on this dimension' : 'Confidence of the ' + c.method + ' consensus';
        ctd.appendChild(conf);
        ctd.title = c.reason ? 'Consensus (C): the majority vote, because ' + c.reason : 'Consensus (C), ' + percent(c.confidence) + ' sure';
        td.appendChild(ctd);
      }
      tr.appendChild(td);
      tbody.appendChild(tr);
    });

    var notes = $('adj-notes');
    notes.textContent = '';
    it.notes.forEach(function (n) {
      var li = el('li');
      li.appendChild(el('strong', '', n.user_name));
      li.appendChild(document.createTextNode(': ' + n.body));
      notes.appendChild(li);
    });

    renderGold(it);
    if (it.gold) choose('gold', true);
    else if (!none) choose('m', true);
    else {
      // A tie offers no majority: nothing is chosen until the reviewer
      // picks an annotator's labels or sets their own.
      choice = null;
      setForm({});
      markColumn(null);
      $('adj-choice').textContent = 'Nothing chosen yet';
      $('adj-choice').classList.add('own');
    }
    say(!it.gold && none ? none : '');
  }

  function renderGold(it) {
    var body = $('adj-gold-body');
    body.textContent = '';
    if (!it.gold) {
      body.appendChild(el('p', 'muted small', 'None yet: this paragraph has not been decided.'));
    } else {
      var dl = el('dl');
      dims.forEach(function (d) {
        dl.appendChild(el('dt', '', d.title));
        var dd = el('dd');
        dd.appendChild(chips(d.name, it.gold.labels[d.name]));
        dl.appendChild(dd);
      });
      dl.appendChild(el('dt', '', 'Decided'));
      dl.appendChild(el('dd', '', (it.gold.decided_by_name || 'user ' + it.gold.decided_by) + ', ' + when(it.gold.decided_at)));
      dl.appendChild(el('dt', '', 'How'));
      dl.appendChild(el('dd', '', it.gold.method + ' · version ' + it.gold.version));
      body.appendChild(dl);
    }
    var h = $('adj-history');
    h.textContent = '';
    if (!it.gold_history.length) h.appendChild(el('li', 'muted', 'No decision yet.'));
    it.gold_history.forEach(function (r) {
      var li = el('li');
      li.appendChild(el('strong', '', r.by || '?'));
      li.appendChild(document.createTextNode(' ' + (r.action === 'create' ? 'decided' : r.action === 'update' ? 'revised' : r.action) + (r.method ? ' (' + r.method + ')' : '') + ', ' + when(r.at) + ': '));
      dims.forEach(function (d) { li.appendChild(chips(d.name, r.labels[d.name])); });
      h.appendChild(li);
    });
  }

  // ---- Moving and loading ----
  function more() {
    if (loading || exhausted) return Promise.resolve();
    loading = true;
    return C.api('GET', '/api/v1/adjudication?limit=' + boot.page_size + '&next=' + encodeURIComponent(next) + '&' + boot.filter).then(function (r) {
      loading = false;
      if (r.status !== 200) { say('Could not load more paragraphs: ' + C.errorOf(r).message, 'bad'); return; }
      total = r.body.total + items.filter(function (x) { return x.gold; }).length;
      next = r.body.next || '';
      if (!next) exhausted = true;
      var have = {};
      items.forEach(function (x) { have[x.paragraph.id] = true; });
      var added = 0;
      r.body.items.forEach(function (x) { if (!have[x.paragraph.id]) { items.push(x); added++; } });
      if (!added) exhausted = true;
    }, function () { loading = false; say('Could not load more paragraphs: the server cannot be reached.', 'bad'); });
  }
  function go(to) {
    if (to < 0) return;
    var step = function () {
      idx = Math.min(to, items.length);
      render();
      if (items[idx]) $('adj-text').focus({ preventScroll: true });
      if (items.length - idx < 3) more().then(function () { if (!items[idx] || idx >= items.length - 1) render(); });
    };
    if (to >= items.length && !exhausted) more().then(step); else step();
  }

  function confirm() {
    var it = items[idx];
    if (!it || saving) return;
    var labels = readForm();
    var method = currentMethod();
    var picked = Object.keys(labels).some(function (k) { var v = labels[k]; return v !== null && !(Array.isArray(v) && !v.length); });
    if (!choice && !picked) { say(noMajority(it) || 'Nothing chosen yet: press 1–9, C or O.', 'bad'); return; }
    saving = true;
    say('Saving…');
    C.api('PUT', '/api/v1/paragraphs/' + it.paragraph.id + '/gold', { version: it.gold ? it.gold.version : 0, labels: labels, method: method }).then(function (r) {
      saving = false;
      if (r.status === 200) {
        var changed = !it.gold || it.gold.version !== r.body.version;
        it.gold = r.body;
        it.gold.decided_by_name = boot.user;
        if (changed) it.gold_history.push({ at: r.body.decided_at, by: boot.user, action: it.gold_history.length ? 'update' : 'create', labels: r.body.labels, method: r.body.method });
        say('Saved as gold (' + r.body.method + ').', 'ok');
        go(idx + 1);
        return;
      }
      var e = C.errorOf(r);
      if (r.status === 409 && e.current) {
        it.gold = e.current;
        renderGold(it);
        say('Someone else decided this paragraph meanwhile (now version ' + e.current.version + '). Check their decision; Enter saves yours over it.', 'bad');
        return;
      }
      if (r.status === 401) { say('Your session ended: log in again in another tab, then press Enter.', 'bad'); return; }
      var where = e.field ? ' (' + e.field.replace(/^labels\./, '') + ')' : '';
      say('Not saved' + where + ': ' + e.message, 'bad');
      var fs = e.field && form.querySelector('[data-dim="' + e.field.replace(/^labels\./, '') + '"] input');
      if (fs) fs.focus();
    }, function () {
      saving = false;
      say('Not saved: the server cannot be reached. Press Enter to try again.', 'bad');
    });
  }

  form.addEventListener('submit', function (ev) { ev.preventDefault(); confirm(); });
  $('adj-prev').addEventListener('click', function () { go(idx - 1); });
  $('adj-next').addEventListener('click', function () { go(idx + 1); });
  $('adj-cols').addEventListener('click', function (ev) {
    var c = ev.target.closest('[data-cand]');
    if (!c) return;
    var cand = c.dataset.cand;
    choose(cand === 'm' || cand === 'c' ? cand : Number(cand));
  });

  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    if (document.querySelector('dialog[open]')) return;
    var t = ev.target;
    var typing = t && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || (t.tagName === 'INPUT' && t.type !== 'radio' && t.type !== 'checkbox'));
    if (ev.key === 'Escape') {
      if (t && form.contains(t)) { t.blur(); $('adj-text').focus({ preventScroll: true }); }
      return;
    }
    if (typing) return;
    if (ev.key === 'Enter') {
      if (t && t.tagName === 'BUTTON' && t.type !== 'submit') return;
      ev.preventDefault();
      confirm();
      return;
    }
    if (ev.key === 'ArrowLeft') { ev.preventDefault(); go(idx - 1); return; }
    if (ev.key === 'ArrowRight') { ev.preventDefault(); go(idx + 1); return; }
    if (/^[1-9]$/.test(ev.key)) { ev.preventDefault(); choose(Number(ev.key) - 1); return; }
    var k = ev.key.toLowerCase();
    if (k === 'm') { ev.preventDefault(); choose('m'); return; }
    if (k === 'c') { ev.preventDefault(); choose('c'); return; }
    if (k === 'o') {
      ev.preventDefault();
      if (choice) { choice.text = 'Set your own labels'; choice.method = 'own'; }
      showChoice();
      markColumn(null);
      var first = form.querySelector('input:checked') || form.querySelector('input');
      if (first) first.focus();
      say('Edit the labels, then Enter to confirm; Esc leaves the form.');
    }
  });

  render();
  if (items[idx]) $('adj-text').focus({ preventScroll: true });
})();

// The agreement page's document filter: a search box over the documents
// API (?q=, one page of matches), never a list of every document. A picked
// match becomes a chip with a hidden "document" input; without this script
// the box is sent as ?find= and the server resolves it.
(function () {
  'use strict';
  var C = window.Concord;
  var box = document.getElementById('ag-find');
  var list = document.getElementById('ag-find-list');
  var chips = document.getElementById('ag-docs');
  if (!C || !box || !list || !chips) return;
  var timer = null, seq = 0, active = -1, matches = [];
  // picked is set while the Enter that picked a match is down: that Enter
  // must not also submit the form, which some browsers do from the key's
  // character even when its keydown was handled.
  var picked = false;

  function chosen() {
    var ids = {};
    chips.querySelectorAll('input[name="document"]').forEach(function (i) { ids[i.value] = true; });
    return ids;
  }
  function name(d) { return d.title || d.key; }
  function close() {
    list.hidden = true; list.textContent = ''; active = -1; matches = [];
    box.setAttribute('aria-expanded', 'false'); box.removeAttribute('aria-activedescendant');
  }
  function mark(i) {
    active = i;
    list.querySelectorAll('li[role="option"]').forEach(function (li, j) { li.setAttribute('aria-selected', j === i ? 'true' : 'false'); });
    if (i >= 0) box.setAttribute('aria-activedescendant', 'ag-find-' + i); else box.removeAttribute('aria-activedescendant');
  }
  function add(d) {
    if (!chosen()[d.id]) {
      var li = document.createElement('li');
      li.className = 'ag-doc';
      var input = document.createElement('input');
      input.type = 'hidden'; input.name = 'document'; input.value = d.id;
      var span = document.createElement('span');
      span.textContent = name(d);
      var rm = document.createElement('button');
      rm.type = 'button'; rm.className = 'btn small ghost ag-doc-remove'; rm.textContent = '×';
      rm.setAttribute('data-remove', ''); rm.setAttribute('aria-label', 'Remove ' + name(d) + ' from the filter');
      li.appendChild(input); li.appendChild(span); li.appendChild(document.createTextNode(' ')); li.appendChild(rm);
      chips.appendChild(li);
    }
    box.value = '';
    close();
    box.focus();
  }
  function show(docs, more) {
    list.textContent = '';
    var have = chosen();
    matches = docs.filter(function (d) { return !have[d.id]; });
    if (!matches.length) {
      var none = document.createElement('li');
      none.className = 'muted small';
      none.textContent = docs.length ? 'Every match is chosen already.' : 'No document matches.';
      list.appendChild(none);
    }
    matches.forEach(function (d, i) {
      var li = document.createElement('li');
      li.id = 'ag-find-' + i; li.setAttribute('role', 'option'); li.setAttribute('aria-selected', 'false');
      li.textContent = name(d);
      if (d.title && d.key) {
        var k = document.createElement('span');
        k.className = 'muted small'; k.textContent = d.key;
        li.appendChild(k);
      }
      li.addEventListener('mousedown', function (e) { e.preventDefault(); add(d); });
      list.appendChild(li);
    });
    if (more) {
      var m = document.createElement('li');
      m.className = 'muted small';
      m.textContent = 'More documents match: type more of the title.';
      list.appendChild(m);
    }
    list.hidden = false;
    box.setAttribute('aria-expanded', 'true');
    mark(matches.length ? 0 : -1);
  }
  function search() {
    var q = box.value.trim();
    if (!q) { close(); return; }
    var mine = ++seq;
    C.api('GET', '/api/v1/documents?limit=10&q=' + encodeURIComponent(q)).then(function (r) {
      if (mine !== seq) return;
      if (r.status !== 200) { close(); return; }
      show(r.body.documents || [], !!r.body.next);
    }, function () { if (mine === seq) close(); });
  }

  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  box.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown' && matches.length) { e.preventDefault(); mark((active + 1) % matches.length); }
    else if (e.key === 'ArrowUp' && matches.length) { e.preventDefault(); mark((active - 1 + matches.length) % matches.length); }
    else if (e.key === 'Enter' && !list.hidden && active >= 0) { e.preventDefault(); picked = true; add(matches[active]); }
    else if (e.key === 'Escape' && !list.hidden) { e.preventDefault(); close(); }
  });
  box.addEventListener('keyup', function (e) { if (e.key === 'Enter') picked = false; });
  if (box.form) {
    box.form.addEventListener('submit', function (e) {
      if (picked) { e.preventDefault(); picked = false; }
    });
  }
  box.addEventListener('blur', function () { setTimeout(close, 100); });
  chips.addEventListener('click', function (e) {
    var b = e.target.closest('[data-remove]');
    if (!b) return;
    b.closest('li').remove();
    box.focus();
  });
})();

// The agreement page shows the coefficients at once and their bootstrap
// intervals when they are ready: it fetches the page again with the
// intervals and puts its coefficient tables and readings in place of the
// first ones. Leaving the page cancels the computation on the server.
(function () {
  'use strict';
  var status = document.getElementById('ag-intervals');
  if (!status || !window.fetch || !window.DOMParser) return;
  fetch(status.getAttribute('data-url'), {credentials: 'same-origin', headers: {'Accept': 'text/html'}})
    .then(function (r) {
      if (!r.ok) throw new Error('the server answered ' + r.status);
      return r.text();
    })
    .then(function (html) {
      var page = new DOMParser().parseFromString(html, 'text/html');
      ['table.ag-metrics[data-dim]', 'p.ag-reading[data-reading]'].forEach(function (sel) {
        document.querySelectorAll(sel).forEach(function (el) {
          var key = el.getAttribute('data-dim') || el.getAttribute('data-reading');
          var attr = el.hasAttribute('data-dim') ? 'data-dim' : 'data-reading';
          var fresh = page.querySelector(sel.split('[')[0] + '[' + attr + '="' + CSS.escape(key) + '"]');
          if (fresh) el.replaceWith(document.importNode(fresh, true));
        });
      });
      status.textContent = 'Confidence intervals added.';
    })
    .catch(function (e) {
      status.textContent = 'The confidence intervals could not be computed (' + e.message + '); reload the page to try again.';
      document.querySelectorAll('[data-pending]').forEach(function (el) { el.textContent = '—'; });
    });
})();

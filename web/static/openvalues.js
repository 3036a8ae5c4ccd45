/* The type-ahead of an open dimension that has more typed values than the
   page carries (the page's open_values_more): as typing pauses, the values
   that begin with what is typed are fetched and join the list. Pages load
   this only when some dimension has more, so that the annotation page of a
   project with few values pays nothing for it. */
(function () {
  'use strict';
  var C = window.Concord = window.Concord || {};

  function fold(s) { return s.replace(/\s+/g, ' ').trim().toLowerCase(); }

  // openValues returns ask(q): once calls pause for 150 ms it fetches the
  // values of the dimension that begin with the folded search q and hands
  // them to found(values, q). Each call aborts the request before it. A
  // search whose answer held every match is not sent again, nor any that
  // extends it: the page has all their values. A failure (offline, a
  // timeout) leaves the page with the values it has.
  C.openValues = function (dimension, found) {
    var timer = null, ctl = null, complete = [];
    return function ask(q) {
      clearTimeout(timer);
      if (ctl) ctl.abort();
      ctl = null;
      if (complete.some(function (p) { return q.indexOf(p) === 0; })) return;
      timer = setTimeout(function () {
        var mine = ctl = new AbortController(), late = setTimeout(function () { mine.abort(); }, 10000);
        var url = '/api/v1/schema/open-values/suggest?dimension=' + encodeURIComponent(dimension) + '&q=' + encodeURIComponent(q) + '&limit=20';
        fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store', signal: mine.signal }).then(function (r) {
          return r.ok ? r.json() : null;
        }).then(function (b) {
          clearTimeout(late);
          if (ctl !== mine || !b) return;
          ctl = null;
          if (!b.more) complete.push(q);
          found(b.values || [], q);
        }).catch(function () { clearTimeout(late); });
      }, 150);
    };
  };

  // openCombo feeds the annotation page's combo box of a dimension: the
  // values fetched for what is typed into input join known (the box's
  // list, most typed first: they come after the page's, which are typed
  // more often) and the list is drawn again, unless the user has moved
  // through it with the arrows since they last typed, so that the item
  // Enter picks never changes under their hands.
  C.openCombo = function (dimension, input, known, redraw) {
    var moved = false;
    var ask = C.openValues(dimension, function (vs, q) {
      var added = false;
      vs.forEach(function (v) {
        if (known.some(function (k) { return k.key === v; })) return;
        known.push({ key: v, name: v, guide: '' });
        added = true;
      });
      if (added && !moved && document.activeElement === input && fold(input.value).indexOf(q) === 0) redraw();
    });
    input.addEventListener('input', function () { moved = false; ask(fold(input.value)); });
    input.addEventListener('keydown', function (e) { if (e.key === 'ArrowDown' || e.key === 'ArrowUp') moved = true; });
  };

  // openList does the same for a text box with a datalist (adjudication).
  C.openList = function (dimension, input, list) {
    var have = {};
    Array.prototype.forEach.call(list.options, function (o) { have[o.value] = true; });
    var ask = C.openValues(dimension, function (vs) {
      vs.forEach(function (v) {
        if (have[v]) return;
        have[v] = true;
        var o = document.createElement('option');
        o.value = v;
        list.appendChild(o);
      });
    });
    input.addEventListener('input', function () { ask(fold(input.value)); });
  };
})();

/* Model suggestions on the annotation page. annotate.js loads this only
   when the queue brings suggestions, so a project without any pays nothing
   for them. A suggestion is a model's, never the annotator's: hint marks
   the suggested option with a chip and the score; prefill also selects it,
   striped and announced, until the annotator saves or changes it. */
(function () {
  'use strict';
  var C = window.Concord;
  function dim(n) { return C.dimensions.filter(function (d) { return d.name === n; })[0]; }
  function vals(x) { return x.values || (x.value != null ? [x.value] : []); }
  function name(d, v) {
    var o = d.options.filter(function (x) { return x.key === v; })[0];
    return o ? o.name : v;
  }
  function chip(x) {
    var c = document.createElement('span');
    c.className = 'sugg-chip';
    c.textContent = 'model ' + x.score.toFixed(2);
    c.title = 'Suggested by ' + x.agent + ' (score ' + x.score + '): a model, not a person';
    return c;
  }
  var banner;
  C.suggest = {
    // prefill puts each suggestion in labels where the dimension is empty,
    // and marks it in prefilled.
    prefill: function (list, labels, prefilled) {
      list.forEach(function (x) {
        var d = dim(x.dimension);
        if (!d || (labels[d.name] || []).length) return;
        labels[d.name] = vals(x).slice().sort();
        prefilled[d.name] = true;
      });
    },
    // draw marks the suggested options and the dimensions still pre-filled.
    draw: function (form, inputs, combos, list, prefilled) {
      form.querySelectorAll('.sugg-chip, .sugg-line').forEach(function (n) { n.remove(); });
      form.querySelectorAll('.opt.suggested').forEach(function (n) { n.classList.remove('suggested'); });
      list.forEach(function (x) {
        var d = dim(x.dimension), fs = form.querySelector('.dim[data-dim="' + x.dimension + '"]');
        if (!d || !fs) return;
        if (combos[d.name]) {
          var line = document.createElement('p');
          line.className = 'sugg-line';
          line.textContent = 'Suggested: ' + vals(x).map(function (v) { return name(d, v); }).join(', ') + ' ';
          line.appendChild(chip(x));
          fs.querySelector('.combo').appendChild(line);
          return;
        }
        vals(x).forEach(function (v) {
          var inp = inputs[d.name][v];
          if (!inp) return;
          var l = inp.closest('.opt');
          l.classList.add('suggested');
          l.appendChild(chip(x));
        });
      });
      var any = false;
      C.dimensions.forEach(function (d) {
        var fs = form.querySelector('.dim[data-dim="' + d.name + '"]');
        if (fs) fs.classList.toggle('prefilled', !!prefilled[d.name]);
        any = any || !!prefilled[d.name];
      });
      if (!banner) {
        banner = document.createElement('p');
        banner.id = 'sugg-banner';
        banner.className = 'sugg-banner';
        banner.setAttribute('role', 'status');
        banner.innerHTML = '<strong>Model suggestion pre-filled.</strong> The marked answers are a model\u2019s, not yours yet: check them, change what is wrong, and press <kbd>Enter</kbd> to save them as your labels.';
        form.insertBefore(banner, form.querySelector('.actions'));
      }
      banner.hidden = !any;
    },
    // shown is what a save sends as suggestion_shown: the suggestion shown
    // for each dimension, or null.
    shown: function (list) {
      var out = null;
      list.forEach(function (x) {
        out = out || {};
        out[x.dimension] = { agent: x.agent, values: vals(x), score: x.score };
      });
      return out;
    }
  };
})();

/* Admin pages: select many curation flags at once, and confirm risky posts. */
(function () {
  'use strict';
  var all = document.getElementById('select-all');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name=ids]'));
  var count = document.getElementById('curation-count');
  var last = null;
  function update() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    if (count) count.textContent = n ? n + ' of the ' + boxes.length + ' on this page selected' : boxes.length + (boxes.length === 1 ? ' flag' : ' flags') + ' on this page';
    if (all) { all.checked = n === boxes.length && n > 0; all.indeterminate = n > 0 && n < boxes.length; }
  }
  if (all) all.addEventListener('change', function () { boxes.forEach(function (b) { b.checked = all.checked; }); update(); });
  boxes.forEach(function (b) {
    b.addEventListener('click', function (e) {
      // Shift-click ticks the range since the last box clicked.
      if (e.shiftKey && last && last !== b) {
        var i = boxes.indexOf(last), j = boxes.indexOf(b);
        boxes.slice(Math.min(i, j), Math.max(i, j) + 1).forEach(function (x) { x.checked = b.checked; });
      }
      last = b;
      update();
    });
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (e) { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); });
  });
})();

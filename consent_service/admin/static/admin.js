/* Progressive enhancement for the admin: copy buttons, confirmations, live banner preview.
   Every page works without this file. */
(function () {
  'use strict';

  function copyText(button) {
    var target = document.querySelector(button.getAttribute('data-copy'));
    if (!target) return;
    var text = target.textContent;
    var done = function () {
      var old = button.textContent;
      button.textContent = 'Copied';
      button.setAttribute('aria-live', 'polite');
      setTimeout(function () { button.textContent = old; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectNode(target); });
    } else {
      selectNode(target);
      try { if (document.execCommand('copy')) done(); } catch (e) { /* selection stays */ }
    }
  }

  function selectNode(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('button[data-copy]');
    if (button) copyText(button);
  });

  document.addEventListener('submit', function (e) {
    var form = e.target;
    var message = form.getAttribute('data-confirm');
    if (message && !window.confirm(message)) e.preventDefault();
  });

  // Live preview: re-render the iframe with the unsaved form a moment after each edit.
  var form = document.getElementById('policy-form');
  if (form) {
    var previewButton = form.querySelector('[formtarget="preview-frame"]');
    var timer = null;
    var refresh = function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (form.requestSubmit) form.requestSubmit(previewButton);
      }, 600);
    };
    form.addEventListener('input', refresh);
    form.addEventListener('change', refresh);
  }
})();

// After a submit with errors: move the focus to the error summary (GOV.UK pattern), so screen
// readers announce it and keyboard users start there. A form marked data-focus-first-invalid (the
// agent screen, used many times an hour) focuses its first invalid field instead.
(function () {
  "use strict";
  function focusErrors() {
    var direct = document.querySelector("form[data-focus-first-invalid] [aria-invalid='true']");
    if (direct) { direct.focus(); return; }
    var summary = document.querySelector(".form-errors[tabindex='-1']");
    if (summary) { summary.focus(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrors);
  } else {
    focusErrors();
  }
})();

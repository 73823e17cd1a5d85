/* Ticket printing: print once when the ticket page opens (receipt printer at reception or kiosk). */
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
  var receipt = document.querySelector("[data-autoprint]");
  var key = receipt && "printed:" + receipt.dataset.autoprint;
  if (receipt && !sessionStorage.getItem(key)) {
    sessionStorage.setItem(key, "1");
    window.addEventListener("load", function () { window.print(); });
  }

  // Kiosk: the ticket screen goes back to the start after a visible countdown the citizen can
  // extend ("Mehr Zeit"), announced to screen readers 20 seconds before (WCAG 2.2.1).
  var timer = document.querySelector("[data-kiosk-return]");
  if (timer) {
    var total = parseInt(timer.dataset.seconds, 10), left = total;
    var shown = timer.querySelector("[data-remaining]"), announce = timer.querySelector("[data-announce]");
    timer.hidden = false;
    timer.querySelector("[data-more]").addEventListener("click", function () { left = total; announce.textContent = ""; });
    setInterval(function () {
      left -= 1;
      shown.textContent = String(Math.max(left, 0));
      if (left === 20) { announce.textContent = announce.dataset.text; }
      if (left <= 0) { window.location.href = timer.dataset.kioskReturn; }
    }, 1000);
  }
})();

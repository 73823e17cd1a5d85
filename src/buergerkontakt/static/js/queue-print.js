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
})();

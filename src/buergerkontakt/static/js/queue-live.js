/* The citizen's live ticket page: the server pushes the rendered status on every change of the
   queue; when the ticket is called the phone vibrates. Without JavaScript the page refreshes. */
(function () {
  "use strict";
  var page = document.querySelector(".ticket-page[data-ws]");
  if (!page) { return; }
  var target = document.getElementById("ticket-status");
  var note = page.querySelector("[data-connection]");
  var lastStatus = null;
  window.bkLiveSocket(page.dataset.ws, {
    online: function (up) { note.hidden = up; page.dataset.connected = String(up); },
    message: function (data) {
      if (!data.html) { return; }
      target.innerHTML = data.html; // rendered and escaped by the server's template
      if (data.status === "called" && lastStatus !== "called" && navigator.vibrate) {
        navigator.vibrate([300, 150, 300, 150, 600]);
      }
      lastStatus = data.status;
    },
    gone: function () { note.hidden = true; }
  });
})();

/* The waiting-room call display: shows the calls in a fixed grid (the newest first, big, with a
   gong), repeats a call once, and reconnects by itself (queue-socket.js). Text is set with
   textContent only. */
(function () {
  "use strict";
  var root = document.querySelector(".display");
  if (!root) { return; }
  var repeatSeconds = parseInt(root.dataset.repeat || "0", 10);
  var current = root.querySelector("[data-current]");
  var cells = Array.prototype.slice.call(root.querySelectorAll("[data-cell]"));
  var offline = root.querySelector("[data-offline]");
  var soundButton = root.querySelector("[data-sound]");
  var clock = root.querySelector("[data-clock]");
  var audio = null, repeatTimer = null;

  function tick() {
    var now = new Date();
    // The office's time zone, whatever the device is set to.
    var options = { hour: "2-digit", minute: "2-digit" };
    if (root.dataset.tz) { options.timeZone = root.dataset.tz; }
    clock.textContent = now.toLocaleTimeString(document.documentElement.lang || "de", options);
  }
  tick();
  setInterval(tick, 10000);

  function context() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) { audio = new Ctx(); }
    return audio;
  }
  function tone(ctx, frequency, start, length) {
    var osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.6, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + length + 0.05);
  }
  function gong() {
    root.dataset.gongCount = String(parseInt(root.dataset.gongCount, 10) + 1);
    var ctx = context();
    if (!ctx) { return; }
    if (ctx.state === "suspended") { ctx.resume(); soundButton.hidden = ctx.state !== "suspended"; }
    var t = ctx.currentTime + 0.05;
    tone(ctx, 880, t, 1.2);
    tone(ctx, 698.5, t + 0.45, 1.5);
  }
  soundButton.addEventListener("click", function () {
    var ctx = context();
    if (ctx) { ctx.resume().then(function () { soundButton.hidden = true; }); }
  });
  var ctx = context();
  if (ctx && ctx.state === "suspended") { soundButton.hidden = false; }

  function highlight() {
    current.classList.remove("is-new");
    void current.offsetWidth; // restart the animation
    current.classList.add("is-new");
    gong();
  }
  // A fixed grid: the cells never move or change size; the newest call fills the first one.
  function render(state) {
    var calls = state.calls || [];
    cells.forEach(function (cell, index) {
      var call = calls[index];
      cell.querySelector("[data-ticket]").textContent = call ? call.ticket : "";
      cell.querySelector("[data-room]").textContent = call ? call.room : "";
      cell.querySelector(".display-room").hidden = !call;
      cell.classList.toggle("is-waiting", Boolean(call && call.waiting));
      var idle = cell.querySelector("[data-idle]");
      if (idle) { idle.hidden = Boolean(call); }
    });
  }
  var latest = { calls: [] };
  window.bkLiveSocket(root.dataset.ws, {
    online: function (up) { root.dataset.connected = String(up); offline.hidden = up; },
    message: function (data) {
      latest = data.state;
      render(data.state);
      if (data.event === "call" || data.event === "recall") {
        highlight();
        clearTimeout(repeatTimer);
        if (repeatSeconds > 0) {
          var shown = data.state.calls.length ? data.state.calls[0].id : null;
          // Repeat once, only if this call is still the newest and nobody has answered it.
          repeatTimer = setTimeout(function () {
            var calls = latest.calls || [];
            if (calls.length && calls[0].id === shown && calls[0].waiting) { highlight(); }
          }, repeatSeconds * 1000);
        }
      }
    },
    gone: function () { offline.hidden = false; }
  });
})();

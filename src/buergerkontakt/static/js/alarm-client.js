/* The silent alarm on every staff page: raise (button, levels, keyboard shortcut), receive (confirm
   receipt at once, full-screen banner, siren), answer ("Ich komme", "Vor Ort"), and the trigger's
   discreet view of who received it and who is coming. The connection's pings are the heartbeat. */
(function () {
  "use strict";
  var root = document.querySelector("[data-alarm-client]");
  if (!root || !window.bkLiveSocket) { return; }
  var texts = {};
  root.querySelectorAll("template[data-texts]").forEach(function (t) {
    t.content.querySelectorAll("[data-k]").forEach(function (el) { texts[el.dataset.k] = el.textContent; });
  });
  var status = root.querySelector("[data-status]");
  var overlay = root.querySelector("[data-overlay]");
  var own = root.querySelector("[data-own]");
  var current = null, ownAlarm = null, audio = null, siren = null, graceTimer = null;
  // A raise sent just before the worker went away (restart) is sent again after reconnecting,
  // unless the server's greeting shows it was stored (docs/adr/0012).
  var pendingRaise = null;

  function setStatus(text, state) { status.textContent = text; root.dataset.state = state; }

  function startSiren() {
    overlay.dataset.sounding = "true";
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    audio = audio || new Ctx();
    if (audio.state === "suspended") { audio.resume(); }
    stopSiren(true);
    var osc = audio.createOscillator(), gain = audio.createGain(), lfo = audio.createOscillator(), depth = audio.createGain();
    osc.type = "square"; osc.frequency.value = 880; gain.gain.value = 0.25;
    lfo.frequency.value = 2; depth.gain.value = 300;
    lfo.connect(depth).connect(osc.frequency); osc.connect(gain).connect(audio.destination);
    osc.start(); lfo.start();
    siren = [osc, lfo];
  }
  function stopSiren(keepFlag) {
    if (siren) { siren.forEach(function (node) { try { node.stop(); } catch (e) { /* already stopped */ } }); siren = null; }
    if (!keepFlag) { overlay.dataset.sounding = "false"; }
  }

  function showAlarm(item) {
    var a = item.alarm;
    current = a.id;
    overlay.dataset.alarm = String(a.id);
    overlay.dataset.level = String(a.level);
    overlay.querySelector("[data-drill]").hidden = !a.drill;
    overlay.querySelector("[data-title]").textContent = a.level_label;
    overlay.querySelector("[data-where]").textContent = a.place || (texts.room + " " + a.room + (a.room_name ? " (" + a.room_name + ")" : "") + " · " + a.floor + " · " + a.location);
    overlay.querySelector("[data-who]").textContent = a.person + " · " + a.time;
    overlay.querySelector("[data-instruction]").textContent = item.instruction || "";
    var answered = overlay.querySelector("[data-answered]");
    answered.hidden = !item.response;
    // Level 3 sends nobody but security towards the room: colleagues only acknowledge the lockdown.
    var lockdown = a.level >= 3 && item.role !== "security";
    overlay.querySelectorAll("[data-respond]").forEach(function (b) { b.hidden = lockdown; });
    overlay.querySelector("[data-understood]").hidden = !lockdown;
    overlay.hidden = false;
    document.body.classList.add("alarm-open");
    overlay.querySelector(lockdown ? "[data-understood]" : "[data-respond='coming']").focus();
    if (!item.response) { startSiren(); }
  }
  function hideAlarm() { overlay.hidden = true; current = null; stopSiren(); document.body.classList.remove("alarm-open"); }

  function showOwn(item, grace) {
    ownAlarm = item.alarm.id;
    own.hidden = false;
    own.dataset.alarm = String(ownAlarm);
    var withdraw = own.querySelector("[data-withdraw]");
    withdraw.hidden = !grace;
    clearTimeout(graceTimer);
    if (grace) { graceTimer = setTimeout(function () { withdraw.hidden = true; }, grace * 1000); }
    renderResponders(item.responders || []);
  }
  function renderResponders(list) {
    var coming = list.map(function (r) { return r.name + " (" + r.label + ")"; });
    own.querySelector("[data-own-responders]").textContent = coming.length ? texts.coming + " " + coming.join(", ") : "";
  }

  var socket = window.bkLiveSocket(root.dataset.ws, {
    pingSeconds: parseInt(root.dataset.heartbeat || "10", 10),
    online: function (up) { if (!up) { setStatus(texts.offline, "offline"); } },
    gone: function () { setStatus(texts.offline, "forbidden"); },
    message: function (data) {
      if (data.event === "alarm") {
        socket.send({ type: "received", alarm: data.alarm.id }); // first: the receipt is the measurement
        showAlarm(data);
      } else if (data.event === "hello") {
        root.querySelector("[data-register]").hidden = data.registered;
        if (!data.registered) { setStatus(texts.unregistered, "unregistered"); }
        else if (!data.reach) { setStatus(texts.nobody, "nobody"); }
        else { setStatus(texts.ready, "ready"); }
        data.alarms.forEach(function (item) { socket.send({ type: "received", alarm: item.alarm.id }); });
        if (data.alarms.length) { showAlarm(data.alarms[data.alarms.length - 1]); }
        if (data.own.length) { showOwn(data.own[data.own.length - 1], 0); pendingRaise = null; }
        if (pendingRaise !== null) { socket.send({ type: "raise", level: pendingRaise }); }
      } else if (data.event === "reach") {
        if (root.dataset.state === "ready" || root.dataset.state === "nobody") {
          if (data.reach) { setStatus(texts.ready, "ready"); } else { setStatus(texts.nobody, "nobody"); }
        }
      } else if (data.event === "raised") {
        pendingRaise = null;
        showOwn({ alarm: data.alarm, responders: [] }, data.grace);
      } else if (data.event === "responses" && data.alarm === ownAlarm) {
        renderResponders(data.responders);
      } else if (data.event === "nobody" && data.alarm === ownAlarm) {
        own.querySelector("[data-own-received]").textContent = texts.nobody_got;
      } else if (data.event === "ended") {
        if (data.alarm === current) { hideAlarm(); }
        if (data.alarm === ownAlarm) { own.hidden = true; ownAlarm = null; }
      } else if (data.event === "error") {
        setStatus(data.message, "error");
      }
    }
  });

  function raise(level) {
    if (!socket.send({ type: "raise", level: level })) { return false; }
    pendingRaise = level;
    root.querySelector("details.alarm-trigger").open = false;
    return true;
  }
  root.querySelectorAll("button[data-level]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (raise(parseInt(button.dataset.level, 10))) { event.preventDefault(); }
    });
  });
  var keys = (root.dataset.shortcut || "").toLowerCase().split("+");
  document.addEventListener("keydown", function (event) {
    var key = keys[keys.length - 1];
    if (!key || event.key.toLowerCase() !== key) { return; }
    if ((keys.indexOf("control") >= 0) !== event.ctrlKey || (keys.indexOf("alt") >= 0) !== event.altKey
        || (keys.indexOf("shift") >= 0) !== event.shiftKey) { return; }
    event.preventDefault();
    raise(2);
  });
  overlay.querySelectorAll("[data-respond]").forEach(function (button) {
    button.addEventListener("click", function () {
      socket.send({ type: "respond", alarm: current, response: button.dataset.respond });
      stopSiren();
      var answered = overlay.querySelector("[data-answered]");
      answered.textContent = button.textContent;
      answered.hidden = false;
    });
  });
  overlay.querySelector("[data-mute]").addEventListener("click", function () { stopSiren(); });
  overlay.querySelector("[data-understood]").addEventListener("click", function () { stopSiren(); });
  // Whether anybody would receive an alarm from here changes as colleagues come and go.
  setInterval(function () { socket.send({ type: "reach" }); }, 60000);
  own.querySelector("[data-withdraw]").addEventListener("click", function () { socket.send({ type: "withdraw", alarm: ownAlarm }); });
  own.querySelector("[data-resolve]").addEventListener("click", function () { socket.send({ type: "resolve", alarm: ownAlarm }); });
})();

/* The silent alarm on every staff page: raise (button, levels, keyboard shortcut), receive (confirm
   delivery at once with whether the page is visible, full-screen banner, siren, report "seen" once
   the page is visible and focused), answer ("Ich komme", "Vor Ort", "Kann nicht"), and the trigger's
   discreet live view: delivered to whom, seen by how many, who is coming, who has not got it yet.
   The connection's pings are the heartbeat. */
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
  var current = null, ownAlarm = null, audio = null, siren = null, graceTimer = null, seenSent = {}, known = {};
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
    if (!keepFlag && window.speechSynthesis) { window.speechSynthesis.cancel(); }
    if (siren) { siren.forEach(function (node) { try { node.stop(); } catch (e) { /* already stopped */ } }); siren = null; }
    if (!keepFlag) { overlay.dataset.sounding = "false"; }
  }

  function showAlarm(item) {
    var a = item.alarm;
    // The banner in this page's language (a push carries the words in every language).
    var words = (item.texts || {})[document.documentElement.lang] || {};
    current = a.id;
    overlay.dataset.alarm = String(a.id);
    overlay.dataset.level = String(a.level);
    overlay.querySelector("[data-drill]").hidden = !a.drill;
    overlay.querySelector("[data-title]").textContent = words.level_label || a.level_label;
    overlay.querySelector("[data-where]").textContent = a.place || (texts.room + " " + a.room + (a.room_name ? " (" + a.room_name + ")" : "") + " · " + a.floor + " · " + a.location);
    overlay.querySelector("[data-who]").textContent = a.person + " · " + a.time;
    overlay.querySelector("[data-instruction]").textContent = words.instruction || item.instruction || "";
    var answered = overlay.querySelector("[data-answered]");
    answered.hidden = !item.response;
    // Level 3 sends nobody but security towards the room: colleagues only acknowledge the lockdown.
    var lockdown = a.level >= 3 && item.role !== "security";
    overlay.querySelectorAll("[data-respond]").forEach(function (b) { b.hidden = lockdown; });
    overlay.querySelector("[data-understood]").hidden = !lockdown;
    overlay.hidden = false;
    document.body.classList.add("alarm-open");
    overlay.querySelector(lockdown ? "[data-understood]" : "[data-respond='coming']").focus();
    if (!item.response) { startSiren(); announce(); }
  }
  // With the siren, the alarm spoken in the page's language (where the browser can).
  function announce() {
    if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) { return; }
    var line = new window.SpeechSynthesisUtterance(overlay.querySelector("[data-title]").textContent + ". "
      + overlay.querySelector("[data-where]").textContent);
    line.lang = document.documentElement.lang || "de";
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(line);
  }
  function pageVisible() { return document.visibilityState === "visible" && document.hasFocus(); }
  function receipt(id) { known[id] = true; socket.send({ type: "received", alarm: id, visible: pageVisible() }); }
  // Seen: the banner is on a visible, focused page (delivered alone is not seen).
  function maybeSeen() {
    if (current === null || overlay.hidden || !pageVisible() || seenSent[current]) { return; }
    if (socket.send({ type: "seen", alarm: current })) { seenSent[current] = true; }
  }
  document.addEventListener("visibilitychange", maybeSeen);
  window.addEventListener("focus", maybeSeen);
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
    renderStatus(item.status);
  }
  function renderResponders(list) {
    var coming = list.filter(function (r) { return r.response !== "cannot"; })
      .map(function (r) { return r.name + " (" + r.label + ")"; });
    own.querySelector("[data-own-responders]").textContent = coming.length ? texts.coming + " " + coming.join(", ") : "";
  }
  function names(part) {
    var more = part.count - part.names.length;
    return part.names.join(", ") + (more > 0 ? " + " + more + " " + texts.more : "");
  }
  function renderStatus(st) {
    if (!st) { return; }
    var lines = [texts.delivered + " " + st.delivered.count + "/" + st.recipients
                 + (st.first_circle.count ? " (" + names(st.first_circle) + ")" : ""),
                 texts.seen + " " + st.seen.count];
    if (st.cannot.count) { lines.push(texts.cannot + " " + names(st.cannot)); }
    if (st.undelivered.count) { lines.push(texts.undelivered + ": " + names(st.undelivered)); }
    var line = own.querySelector("[data-own-status]");
    line.textContent = lines.join(" · ");
    line.dataset.delivered = String(st.delivered.count);
    line.dataset.seen = String(st.seen.count);
    line.dataset.undelivered = String(st.undelivered.count);
  }

  var socket = window.bkLiveSocket(root.dataset.ws, {
    pingSeconds: parseInt(root.dataset.heartbeat || "10", 10),
    online: function (up) { if (!up) { setStatus(texts.offline, "offline"); } },
    gone: function () { setStatus(texts.offline, "forbidden"); },
    message: function (data) {
      if (data.event === "alarm") {
        receipt(data.alarm.id); // first: the receipt is the measurement
        showAlarm(data);
        maybeSeen();
      } else if (data.event === "hello") {
        root.querySelector("[data-register]").hidden = data.registered;
        if (!data.registered) { setStatus(texts.unregistered, "unregistered"); }
        else if (!data.reach) { setStatus(texts.nobody, "nobody"); }
        else { setStatus(texts.ready, "ready"); }
        data.alarms.forEach(function (item) { receipt(item.alarm.id); });
        if (data.alarms.length) { showAlarm(data.alarms[data.alarms.length - 1]); maybeSeen(); }
        if (data.own.length) { showOwn(data.own[data.own.length - 1], 0); pendingRaise = null; }
        if (pendingRaise !== null) { socket.send({ type: "raise", level: pendingRaise }); }
      } else if (data.event === "sync") {
        // The periodic re-read: an alarm whose push was lost (the layer was away) shows now; an
        // alarm that ended meanwhile goes away; the trigger's status is refreshed.
        var active = {};
        data.alarms.forEach(function (item) {
          active[item.alarm.id] = true;
          if (!known[item.alarm.id]) { receipt(item.alarm.id); if (!item.response) { showAlarm(item); maybeSeen(); } }
        });
        if (current !== null && !active[current]) { hideAlarm(); }
        if (data.own.length) { pendingRaise = null; }
        var mine = data.own.filter(function (item) { return item.alarm.id === ownAlarm; })[0];
        if (mine) { renderResponders(mine.responders || []); renderStatus(mine.status); }
        else if (ownAlarm !== null) { own.hidden = true; ownAlarm = null; }
        else if (data.own.length) { showOwn(data.own[data.own.length - 1], 0); }
      } else if (data.event === "reach") {
        if (root.dataset.state === "ready" || root.dataset.state === "nobody") {
          if (data.reach) { setStatus(texts.ready, "ready"); } else { setStatus(texts.nobody, "nobody"); }
        }
      } else if (data.event === "raised") {
        pendingRaise = null;
        showOwn({ alarm: data.alarm, responders: [], status: data.status }, data.grace);
      } else if (data.event === "responses" && data.alarm === ownAlarm) {
        renderResponders(data.responders);
      } else if (data.event === "status" && data.alarm === ownAlarm) {
        renderResponders(data.responders);
        renderStatus(data.status);
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
  // Re-read the active alarms every few seconds: nothing pushed while the layer was away stays lost.
  setInterval(function () {
    socket.send({ type: "sync", showing: [current, ownAlarm].filter(function (id) { return id !== null; }) });
  }, 1000 * parseInt(root.dataset.resync || "3", 10));
  // Whether anybody would receive an alarm from here changes as colleagues come and go.
  setInterval(function () { socket.send({ type: "reach" }); }, 60000);
  own.querySelector("[data-withdraw]").addEventListener("click", function () { socket.send({ type: "withdraw", alarm: ownAlarm }); });
  own.querySelector("[data-resolve]").addEventListener("click", function () { socket.send({ type: "resolve", alarm: ownAlarm }); });
})();

/* Screen pop of the telephone system: connects to ws/telefonie/ on every staff page of the phone
   centre and shows each ringing call with what is known about the caller (rendered by the server).
   A call answered by somebody else or hung up before anybody answered disappears again. */
(function () {
  "use strict";
  if (!window.bkLiveSocket) { return; }
  var area = null;
  function ensureArea() {
    if (area) { return area; }
    area = document.createElement("div");
    area.id = "phone-pop-area";
    area.className = "phone-pop-area";
    area.setAttribute("role", "region");
    area.setAttribute("aria-live", "assertive");
    area.setAttribute("aria-label", document.documentElement.lang === "en" ? "Calls" : "Anrufe");
    document.body.appendChild(area);
    area.addEventListener("click", function (event) {
      if (event.target.classList.contains("phone-pop-close")) {
        var pop = event.target.closest(".phone-pop");
        if (pop) { pop.remove(); }
      }
    });
    return area;
  }
  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function show(data) {
    var existing = document.querySelector('.phone-pop[data-call="' + data.call + '"]');
    if (data.close) { if (existing) { existing.remove(); } return; }
    var holder = document.createElement("div");
    holder.innerHTML = data.html;
    var pop = holder.firstElementChild;
    if (!pop) { return; }
    pop.querySelectorAll("form").forEach(function (form) {
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = csrf();
      form.appendChild(token);
    });
    if (existing) { existing.replaceWith(pop); } else { ensureArea().prepend(pop); }
    if (data.event === "ringing") { document.title = "☎ " + document.title.replace(/^☎ /, ""); }
    else { document.title = document.title.replace(/^☎ /, ""); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && area && area.firstElementChild && area.contains(document.activeElement)) {
      area.firstElementChild.remove();
    }
  });
  window.bkPhoneSocket = window.bkLiveSocket("/ws/telefonie/", {
    online: function (state) { document.body.setAttribute("data-phone-socket", state ? "online" : "offline"); },
    message: show,
    gone: function () { document.body.setAttribute("data-phone-socket", "refused"); }
  });
})();

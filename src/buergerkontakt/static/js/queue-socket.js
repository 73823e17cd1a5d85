/* A WebSocket that stays connected: reconnects with backoff after a drop or a server restart,
   and notices a silently dead connection by a ping that gets no pong. Used by the call display,
   the live ticket page and the alarm client (whose pings are the workstation's heartbeat). */
(function () {
  "use strict";
  window.bkLiveSocket = function (path, handlers) {
    var socket = null, retry = 0, pingTimer = null, pongTimer = null, stopped = false;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    function clearTimers() { clearInterval(pingTimer); clearTimeout(pongTimer); }
    function connect() {
      socket = new WebSocket(scheme + window.location.host + path);
      socket.onopen = function () {
        retry = 0;
        handlers.online(true);
        pingTimer = setInterval(function () {
          if (socket.readyState !== WebSocket.OPEN) { return; }
          socket.send(JSON.stringify({ type: "ping" }));
          clearTimeout(pongTimer);
          pongTimer = setTimeout(function () { socket.close(); }, 8000);
        }, (handlers.pingSeconds || 15) * 1000);
      };
      socket.onmessage = function (event) {
        var data = JSON.parse(event.data);
        if (data.event === "pong") { clearTimeout(pongTimer); return; }
        handlers.message(data);
      };
      socket.onclose = function (event) {
        clearTimers();
        handlers.online(false);
        if (stopped || event.code === 4403 || event.code === 4404) { handlers.gone && handlers.gone(event.code); return; }
        // Back-off capped at 2 s, so every client is back within 5 s of the workers being healthy
        // after a restart (SPEC R2, docs/adr/0012); the jitter (50–100 % of the step) spreads a
        // whole building's reconnects. On reconnect the server sends the full state again.
        var delay = Math.min(2000, 200 * Math.pow(2, retry)) * (0.5 + Math.random() / 2);
        retry = Math.min(retry + 1, 10);
        setTimeout(connect, delay);
      };
    }
    connect();
    return {
      stop: function () { stopped = true; if (socket) { socket.close(); } },
      send: function (data) {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(data)); return true; }
        return false;
      }
    };
  };
})();

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
        // At most ~3.5 s between attempts, so every client is back within 5 s of a server restart
        // (SPEC R2); the jitter spreads a whole building's reconnects.
        var delay = Math.min(3000, 250 * Math.pow(2, retry)) + Math.random() * 500;
        retry += 1;
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

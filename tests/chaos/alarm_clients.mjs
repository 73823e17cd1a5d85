// Many alarm clients (staff pages) in one Node process, each signed in as its own person and running
// the project's reconnecting socket (static/js/queue-socket.js) in its own context. Each does what
// the page's alarm client (static/js/alarm-client.js) does on the wire: confirm delivery of every
// alarm it is shown (push, greeting or periodic re-read) and re-read the active alarms every
// RESYNC seconds. Usage (Node ≥ 20):
//   node --experimental-websocket alarm_clients.mjs BASE_URL COOKIES_JSON RESYNC_SECONDS
// Prints one JSON line per event: {"c": client, "e": "online"|"offline"|"alarm", "alarm": id, "via": …}.
// Ends when its standard input is closed.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const [base, cookiesFile, resync] = process.argv.slice(2);
const url = new URL(base);
const cookies = JSON.parse(readFileSync(cookiesFile, "utf8"));
const Native = globalThis.WebSocket;
const source = fileURLToPath(new URL("../../src/buergerkontakt/static/js/queue-socket.js", import.meta.url));
const code = readFileSync(source, "utf8");

function emit(c, e, extra) { process.stdout.write(JSON.stringify({ c, e, ...extra }) + "\n"); }

cookies.forEach((cookie, c) => {
  // A browser sends its page's Origin and the session cookie.
  class PageWebSocket extends Native {
    constructor(address) { super(address, { headers: { Origin: url.origin, Cookie: cookie } }); }
  }
  const context = vm.createContext({
    WebSocket: PageWebSocket, JSON, Math, setTimeout, clearTimeout, setInterval, clearInterval,
    window: { location: { protocol: url.protocol, host: url.host } },
  });
  vm.runInContext(code, context, { filename: source });
  const known = new Set();
  let socket = null;
  function seen(item, via) {
    const id = item.alarm.id;
    if (known.has(id)) { return; }
    known.add(id);
    socket.send({ type: "received", alarm: id, visible: false });
    emit(c, "alarm", { alarm: id, via });
  }
  socket = context.window.bkLiveSocket("/ws/alarm/", {
    pingSeconds: 5,
    online: (up) => emit(c, up ? "online" : "offline"),
    message: (data) => {
      if (data.event === "alarm") { seen(data, "push"); }
      else if (data.event === "hello") { data.alarms.forEach((item) => seen(item, "hello")); emit(c, "hello"); }
      else if (data.event === "sync") { data.alarms.forEach((item) => seen(item, "sync")); }
    },
  });
  setInterval(() => socket.send({ type: "sync" }), Number(resync) * 1000);
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));

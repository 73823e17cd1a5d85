// Many live-page clients in one Node process, running the project's own reconnect code
// (static/js/queue-socket.js) against a real server. Usage (Node ≥ 20):
//   node --experimental-websocket ws_clients.mjs BASE_URL PATH COUNT
// Prints one JSON line per event: {"c": client, "e": "online"|"offline"|"message", "event": …}.
// Ends when its standard input is closed.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const [base, path, count] = process.argv.slice(2);
const url = new URL(base);
const Native = globalThis.WebSocket;
// A browser sends its page's Origin; the server only accepts its own (AllowedHostsOriginValidator).
class PageWebSocket extends Native {
  constructor(address) { super(address, { headers: { Origin: url.origin } }); }
}
globalThis.WebSocket = PageWebSocket;
globalThis.window = { location: { protocol: url.protocol, host: url.host } };
const source = fileURLToPath(new URL("../../src/buergerkontakt/static/js/queue-socket.js", import.meta.url));
vm.runInThisContext(readFileSync(source, "utf8"), { filename: source });

function emit(c, e, extra) { process.stdout.write(JSON.stringify({ c, e, ...extra }) + "\n"); }
for (let c = 0; c < Number(count); c += 1) {
  window.bkLiveSocket(path, {
    pingSeconds: 5,
    online: (up) => emit(c, up ? "online" : "offline"),
    message: (data) => emit(c, "message", { event: data.event }),
  });
}
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));

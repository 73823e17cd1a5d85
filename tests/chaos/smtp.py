"""A minimal SMTP server for fault tests (standard library): records every message it accepts and,
while ``stall`` is set, keeps new connections waiting before its greeting – a task that sends mail
then hangs mid-send, where a test can kill its worker."""

from __future__ import annotations

import contextlib
import socketserver
import threading
import time


class SmtpSink:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self.stall = threading.Event()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                sink.connections += 1
                while sink.stall.is_set():
                    time.sleep(0.1)
                with contextlib.suppress(OSError):  # the client was killed meanwhile
                    self._session()

            def _reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

            def _session(self):
                self._reply("220 sink ESMTP")
                rcpts: list[str] = []
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self._reply("250 sink")
                    elif verb == "MAIL":
                        rcpts = []
                        self._reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(command.split(":", 1)[1].strip(" <>"))
                        self._reply("250 OK")
                    elif verb == "DATA":
                        self._reply("354 go ahead")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        sink.messages.append((rcpts, data))
                        self._reply("250 queued")
                    elif verb == "QUIT":
                        self._reply("221 bye")
                        return
                    else:
                        self._reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stall.clear()
        self.server.shutdown()
        self.server.server_close()

"""The raw floor of benchmark P6: the same path without Bürgerkontakt – a bare pynput listener on
PC A sends one WebSocket message to a bare ``websockets`` broadcast server, a bare Tk client on PC B
maps a window and notes the moment (monotonic clock) in a file.

    p6_floor.py server PORT | sender URL | receiver URL OUTFILE
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time


async def serve(port: int) -> None:
    import websockets

    clients: set = set()

    async def handler(ws):
        clients.add(ws)
        try:
            async for message in ws:
                for other in list(clients):
                    if other is not ws:
                        await other.send(message)
        finally:
            clients.discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port):
        await asyncio.Future()


def sender(url: str) -> None:
    from pynput import keyboard
    from websockets.sync.client import connect

    with connect(url) as ws:
        combo = keyboard.HotKey(keyboard.HotKey.parse("<ctrl>+<alt>+a"), lambda: ws.send("alarm"))
        with keyboard.Listener(on_press=lambda k: combo.press(listener.canonical(k)),
                               on_release=lambda k: combo.release(listener.canonical(k))) as listener:
            print("ready", flush=True)
            listener.join()


def receiver(url: str, outfile: str) -> None:
    import queue
    import threading
    import tkinter as tk

    from websockets.sync.client import connect

    inbox: queue.Queue = queue.Queue()

    def network():
        with contextlib.suppress(Exception), connect(url) as ws:  # ends when the benchmark stops it
            for message in ws:
                inbox.put(message)

    threading.Thread(target=network, daemon=True).start()
    root = tk.Tk()
    root.withdraw()
    count = [0]

    def pump():
        while not inbox.empty():
            inbox.get()
            count[0] += 1
            top = tk.Toplevel(root, background="red")
            top.title(f"FLOOR {count[0]}")
            top.attributes("-topmost", True)
            top.geometry("900x600+40+40")

            def mapped(_e, top=top, n=count[0]):
                if top.winfo_viewable() and not getattr(top, "noted", False):
                    top.noted = True
                    with open(outfile, "a") as out:
                        out.write(f"{n} {time.monotonic()}\n")
                    root.after(300, top.destroy)

            top.bind("<Map>", mapped)
        root.after(10, pump)

    print("ready", flush=True)
    root.after(10, pump)
    root.mainloop()


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "server":
        asyncio.run(serve(int(sys.argv[2])))
    elif role == "sender":
        sender(sys.argv[2])
    else:
        receiver(sys.argv[2], sys.argv[3])

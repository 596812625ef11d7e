"""The floor: a plain ``websockets`` broadcaster, the least a websocket fan-out can cost here.

Every client that connects is told ``{"type": "ready"}`` once registered; any message a client
sends is broadcast, as is, to every other client (``websockets.broadcast``). No database, no
channel layer, one process: what is left is the cost of the sockets themselves.

    python -m bench.baselines.floor --port 8765
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection, broadcast, serve

CLIENTS: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    CLIENTS.add(ws)
    try:
        await ws.send('{"type": "ready"}')
        async for message in ws:
            broadcast([c for c in CLIENTS if c is not ws], message)
    finally:
        CLIENTS.discard(ws)


async def main(port: int) -> None:
    async with serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=None, max_size=2**20
    ):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))

"""The Redis pub/sub channel layer, made to survive a Redis outage.

channels_redis subscribes a socket's channel and its groups when the socket opens; with Redis
unreachable that raises, and the socket is dropped at once. Here a subscription that fails is
kept locally and retried in the background until Redis answers, so a socket opened during an
outage is accepted and served: its events resume when Redis is back, and meanwhile it catches up
from the event log in the database at its heartbeats (studio/consumers.py, ``check_lag``).
Subscriptions made before the outage are restored by redis-py when it reconnects.
"""

from __future__ import annotations

import asyncio
import logging

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import _wrap_close
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an unreachable, restarting or hung Redis raises.
UNREACHABLE = (RedisError, OSError, asyncio.TimeoutError)
RETRY_SECONDS = 1.0


class ResilientLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._unsubscribed: set[str] = set()
        self._retry_task: asyncio.Task | None = None

    def _wanted(self, name: str) -> bool:
        return name in self.channels or name in self.groups

    async def _subscribe(self, name: str) -> None:
        try:
            await self._get_shard(name).subscribe(name)
        except UNREACHABLE:
            logger.warning("Redis unreachable: subscription to %s deferred", name)
            self._unsubscribed.add(name)
            if self._retry_task is None or self._retry_task.done():
                self._retry_task = asyncio.ensure_future(self._retry())

    async def _retry(self) -> None:
        while self._unsubscribed:
            await asyncio.sleep(RETRY_SECONDS)
            for name in list(self._unsubscribed):
                if not self._wanted(name):
                    self._unsubscribed.discard(name)
                    continue
                try:
                    await self._get_shard(name).subscribe(name)
                except UNREACHABLE:
                    break  # still down: try again later
                self._unsubscribed.discard(name)
        logger.info("Redis subscriptions restored")

    async def _subscribe_to_channel(self, channel: str) -> None:
        # A socket's own channel (new_channel, receive): its queue exists whatever Redis says.
        self.channels[channel] = asyncio.Queue()
        await self._subscribe(channel)

    async def group_add(self, group: str, channel: str) -> None:
        if channel not in self.channels:
            return await super().group_add(group, channel)  # the library's own error
        group_channel = self._get_group_channel_name(group)
        self.groups.setdefault(group_channel, set()).add(channel)
        await self._subscribe(group_channel)

    async def group_discard(self, group: str, channel: str) -> None:
        try:
            await super().group_discard(group, channel)
        except UNREACHABLE:
            # Redis forgets the subscription with the connection; nothing is left to undo.
            logger.warning("Redis unreachable: could not leave group %s", group)


class ResilientPubSubChannelLayer(RedisPubSubChannelLayer):
    """``channels_redis.pubsub.RedisPubSubChannelLayer`` whose subscriptions outlive an outage."""

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = ResilientLoopLayer(
                *self._args, **self._kwargs, channel_layer=self
            )
            _wrap_close(self, loop)
        return layer

"""One small in-process cache for values that are pure functions of their key (rendered macro
HTML, trend facts of a recorded version): bounded, the least recently used dropped first. Every
cache is listed, so an erasure can drop them all at once (`forget`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        _EVERY.append(self)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> V | None:
        value = self._items.get(key)
        if value is not None:
            try:
                self._items.move_to_end(key)
            except KeyError:  # dropped by another thread of the worker in between: still a hit
                pass
        return value

    def keep(self, key: Hashable, value: V) -> V:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            try:
                self._items.popitem(last=False)
            except KeyError:  # another thread emptied it first
                break
        return value

    def clear(self) -> None:
        self._items.clear()


_EVERY: list[Recent] = []


def forget() -> None:
    """Drop everything derived in this process: after an erasure nothing of the child may be
    served from memory. (Other processes can no longer reach what they derived: an erased
    visit is never a recorded one, and a rendered fragment is keyed by what it shows; their
    entries age out as the caches fill.)"""
    for cache in _EVERY:
        cache.clear()

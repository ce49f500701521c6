"""Rally's bus channel names on a Redis Cluster, as a backend computes them (README "Redis Cluster"): a reference
implementation of the partition tags (evenly spaced cluster slots) and of FNV-1a 64."""

from __future__ import annotations

import itertools

SLOTS = 16384
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
INGRESS = "rally:{in}:in"
CONTROL = "rally:{ctl}:ctl"


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM), Redis Cluster's key hash."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def key_slot(key: bytes) -> int:
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key) % SLOTS


def partition_tags(count: int = 128) -> list[str]:
    """Partition p's tag: the first string (shortest first, then in ALPHABET order) whose slot is p*16384//count."""
    wanted = {p * SLOTS // count: p for p in range(count)}
    table = [""] * count
    length = 1
    while wanted:
        for chars in itertools.product(ALPHABET, repeat=length):
            partition = wanted.pop(key_slot("".join(chars).encode()), None)
            if partition is not None:
                table[partition] = "".join(chars)
                if not wanted:
                    break
        length += 1
    return table


def fnv1a64(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def topic_channel(topic: str, tags: list[str]) -> str:
    """The channel of a topic as the hub names it (`realtime:<name>`)."""
    return f"rally:{{{tags[fnv1a64(topic.encode()) % len(tags)]}}}:t:{topic}"

"""The payload codec: AES-256-GCM encryption of everything that passes through Temporal.

DESIGN.md: personal data stays out of histories in clear text. Every payload a client, worker or
test environment sends (workflow and activity inputs and results, update arguments, query results,
memo, failure details) is serialised by the pydantic converter and then encrypted here; the Temporal
server stores only ciphertext. Search attributes never pass through a codec: they carry ids and
stages only.

An encrypted payload is the serialised original payload (metadata and data), encrypted with a fresh
random 12-byte nonce per payload; ``data`` is ``nonce || ciphertext+tag`` and the metadata is
``encoding: binary/encrypted`` and ``encryption-key-id: <id>``. The key id is also the associated
data, so a payload cannot be relabelled to another key.

Key rotation: a key ring maps ids to 32-byte keys; the current id encrypts, every id decrypts. To
rotate, put the new key first and keep the old ones until no history that uses them is retained.

Payloads that are not ``binary/encrypted`` pass through ``decode`` unchanged, so histories recorded
before encryption (tests/histories/order_v1.json) still replay.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
ENCODING_KEY = "encoding"
KEY_ID_KEY = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32


class PayloadKeyError(ValueError):
    """A key ring that cannot be used, or a payload whose key is not in the ring."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload that does not decrypt (wrong key, tampered or truncated)."""


def parse_key_ring(text: str) -> tuple[str, dict[str, bytes]]:
    """``"k2:<base64 32 bytes>,k1:<base64 32 bytes>"`` → (current id ``k2``, {id: key}).

    The first entry is the current key (it encrypts); all entries decrypt.
    """
    keys: dict[str, bytes] = {}
    current: str | None = None
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise PayloadKeyError(f"payload key entry {key_id or entry[:8]!r} is not '<id>:<base64 key>'")
        if key_id in keys:
            raise PayloadKeyError(f"payload key id {key_id!r} appears twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as err:
            raise PayloadKeyError(f"payload key {key_id!r} is not valid base64") from err
        keys[key_id] = _checked(key_id, key)
        current = current or key_id
    if current is None:
        raise PayloadKeyError("no payload key given")
    return current, keys


def _checked(key_id: str, key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise PayloadKeyError(f"payload key {key_id!r} has {len(key)} bytes, AES-256 needs {KEY_BYTES}")
    return key


def new_key() -> str:
    """A fresh random key, base64, for ``HEMTJANST_PAYLOAD_KEYS`` (``python -m runtime.codec``)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with key rotation; see the module docstring for the format."""

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str) -> None:
        if current_key_id not in keys:
            raise PayloadKeyError(f"the current payload key id {current_key_id!r} is not in the key ring")
        self._ciphers = {key_id: AESGCM(_checked(key_id, key)) for key_id, key in keys.items()}
        self._current = current_key_id

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._current.encode()
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={ENCODING_KEY: ENCODING, KEY_ID_KEY: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """The original payload; a payload that is not ``binary/encrypted`` is returned unchanged."""
        if payload.metadata.get(ENCODING_KEY) != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID_KEY)
        if raw_id is None:
            raise PayloadKeyError(f"encrypted payload without the metadata {KEY_ID_KEY!r}")
        key_id = raw_id.decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(
                f"payload encrypted with unknown key id {key_id!r}; this process knows "
                f"{', '.join(sorted(self._ciphers))} (add the key to HEMTJANST_PAYLOAD_KEYS)"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, raw_id)
        except InvalidTag as err:
            raise PayloadDecryptionError(
                f"payload with key id {key_id!r} does not decrypt (wrong key or tampered data)"
            ) from err
        return Payload.FromString(plain)


if __name__ == "__main__":
    print(new_key())

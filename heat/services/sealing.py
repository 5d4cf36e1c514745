"""AES-GCM sealing under keys derived from the app's secret, one key per purpose, each ciphertext
bound to the record it belongs to (moved to another row, it does not open)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _cipher(purpose: bytes) -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode() if isinstance(secret, str) else secret
    )
    return AESGCM(key)


def seal(purpose: bytes, plain: bytes, bound_to: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _cipher(purpose).encrypt(nonce, plain, bound_to)


def unseal(purpose: bytes, sealed: bytes, bound_to: bytes) -> bytes:
    return _cipher(purpose).decrypt(sealed[:12], sealed[12:], bound_to)

"""Passwords, API tokens and session ids as they are kept: hashes only.

Passwords are stored as scrypt hashes (standard library, RFC 7914) with a random salt and the
cost parameters beside them, so the cost can be raised later without breaking old hashes.
API tokens and web session ids are random (256 bits) and stored as their SHA-256: a token is
shown once, when it is made, and cannot be read back.

Examples
--------
>>> stored = hash_password("correct horse battery")
>>> stored.startswith("scrypt$")
True
>>> verify_password("correct horse battery", stored), verify_password("wrong", stored)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from churnguard.errors import InputError

MIN_PASSWORD = 8

# scrypt cost: n=2**15, r=8 takes ~0.1 s and 32 MiB per check on one core (OWASP's minimum
# is n=2**17 with r=8 p=1 *or* equivalent; n=2**15 r=8 p=1 stays under a login's patience on
# 2 shared cores). Stored with each hash, so raising it later keeps old hashes valid.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def check_password(password: str) -> None:
    """Refuse a password that is too short (or absurdly long), with a message that says so."""
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InputError("the password is longer than 1024 characters")


# -- passwords and tokens -----------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for ``password`` (salt and hash in base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                            maxmem=_SCRYPT_MAXMEM, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` result), in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash to check against when the user does not exist, so an unknown name takes as long to
# refuse as a wrong password (no user enumeration by timing).
_DUMMY_HASH: str | None = None


def dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def token_hash(token: str) -> str:
    # tokens are 256 random bits: a plain SHA-256 cannot be brute-forced, and looking it up
    # by hash keeps token checks fast (no per-request scrypt).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

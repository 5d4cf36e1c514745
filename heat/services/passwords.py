"""Password hashing (argon2id, argon2-cffi defaults, upgraded at sign-in when they change) and the
password policy (ASVS level 2): length, a list of common passwords and zxcvbn's estimate of how
guessable it is; no composition rules."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's score runs 0 (too guessable) to 4; 3 is "safely unguessable" against an online attack
# that throttling slows and a fast offline one against a leaked argon2 hash.
MIN_STRENGTH = 3
ESTIMATED_LENGTH = 72  # zxcvbn estimates from at most this many characters (longer is stronger still)

_hasher = PasswordHasher()


def configure(hasher: PasswordHasher) -> None:
    """Tests swap in cheap parameters; production keeps the library defaults."""
    global _hasher
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with other parameters than today's: make it again at the next sign-in."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common-passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password may not be used, or None. No composition rules, by design."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 3:
        return "This password is too common. Choose a longer phrase that is hard to guess"
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return "Password must not contain your email address"
    about_you = [local_part, *local_part.replace("-", ".").replace("_", ".").split("."), "heat"]
    estimate = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[w for w in about_you if w])
    if estimate["score"] < MIN_STRENGTH:
        return "This password is too easy to guess. Use three or four words that are not about you or your work"
    return None

"""The portal's password rules (reference §10, §15.6), temporary passwords, and password hashing.

Rule, for web and API passwords alike: 8–16 characters, at least one capital letter, one small letter, one digit
and one special character from ``#&%$``. ``(``, ``)`` and ``.`` are rejected; ``@`` is allowed but does not count
as special; spaces are rejected. Passwords are kept only as salted PBKDF2 hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

from agent.sandbox.portal.catalogue import Msg

SPECIALS = "#&%$"
FORBIDDEN = "()."
MIN_LENGTH = 8
MAX_LENGTH = 16
_ITERATIONS = 5_000  # a sandbox: enough to keep plaintext out of the state, cheap enough for fast tests


def password_problem(password: str) -> str | None:
    """The message for the first rule the password breaks, or None when it is acceptable."""
    if any(c in FORBIDDEN for c in password):
        return Msg.PW_FORBIDDEN
    if any(c.isspace() for c in password):
        return Msg.PW_SPACE
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return Msg.PW_LENGTH
    classes = (
        any(c in string.ascii_uppercase for c in password),
        any(c in string.ascii_lowercase for c in password),
        any(c in string.digits for c in password),
        any(c in SPECIALS for c in password),
    )
    if not all(classes):
        return Msg.PW_COMPLEXITY
    return None


def generate_temporary_password(length: int = 12) -> str:
    """A random password that satisfies the rules, with no run of 6 digits (so an OTP regex never matches it).

    Specials are drawn from ``#$%`` (no ``&``, which travels badly through HTML and some REST paths).
    """
    rng = secrets.SystemRandom()
    chars = [
        rng.choice(string.ascii_uppercase),
        rng.choice(string.ascii_lowercase),
        rng.choice(string.digits),
        rng.choice("#$%"),
    ]
    pool = string.ascii_letters + "#$%" + "23456789"
    chars += [rng.choice(pool) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    candidate = "".join(chars)
    if password_problem(candidate) is not None or _digit_runs(candidate):
        return generate_temporary_password(length)
    return candidate


def _digit_runs(text: str) -> bool:
    """True when the text holds six digits in a row."""
    return re.search(r"\d{6}", text) is not None


def hash_secret(value: str) -> str:
    """A salted PBKDF2-SHA256 hash, ``salt$hex``."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", value.encode(), salt.encode(), _ITERATIONS).hex()
    return f"{salt}${digest}"


def verify_secret(value: str, hashed: str | None) -> bool:
    if not hashed or "$" not in hashed:
        return False
    salt, digest = hashed.split("$", 1)
    candidate = hashlib.pbkdf2_hmac("sha256", value.encode(), salt.encode(), _ITERATIONS).hex()
    return hmac.compare_digest(candidate, digest)

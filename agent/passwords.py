"""Password policy and generator for M-PESA Org Portal operators (and answers to their security questions).

What belongs here: the rules a password the agent *sets* on the portal must meet, and generating values that meet
them. The rules are the intersection of:

* what the portal accepts (``mpesa-org-portal.md`` §10 and §15.6): 8–16 characters with at least one capital
  letter, one small letter, one digit and one special character; only ``#``, ``&``, ``%`` and ``$`` count as
  special characters for API passwords; ``(``, ``)`` and ``.`` are refused; ``@`` is accepted but does not count
  and Safaricom advises against it;
* what travels unchanged through WordPress's REST API to the WooCommerce M-PESA plugin (``wp_bridge.kses``):
  ``&`` becomes ``&amp;`` there, so a password pushed to a shop must not contain it.

So a generated password uses ASCII letters, digits and ``#``, ``%``, ``$`` only. Passwords someone else chose (the
Business Administrator's) are never checked here: the portal is the judge of those.
"""

from __future__ import annotations

import secrets
import string
from typing import Final

from agent.errors import ValidationError
from agent.secret import Secret
from wp_bridge.kses import mangled_characters

MIN_LENGTH: Final = 8
MAX_LENGTH: Final = 16
DEFAULT_LENGTH: Final = 14
PORTAL_SPECIALS: Final = "#&%$"  # the special characters the portal counts
SAFE_SPECIALS: Final = "#%$"  # ... of which these also survive the WooCommerce REST path
_UPPER: Final = string.ascii_uppercase
_LOWER: Final = string.ascii_lowercase
_DIGITS: Final = string.digits
# Generated values leave out characters that are easy to misread when a person has to type them (I l 1 O o 0).
_GEN_UPPER: Final = "".join(c for c in _UPPER if c not in "IO")
_GEN_LOWER: Final = "".join(c for c in _LOWER if c not in "lo")
_GEN_DIGITS: Final = "".join(c for c in _DIGITS if c not in "10")
_ANSWER_ALPHABET: Final = _GEN_LOWER + _GEN_DIGITS
ANSWER_LENGTH: Final = 12

_REFUSED: Final = {
    "(": "is refused by the portal",
    ")": "is refused by the portal",
    ".": "is refused by the portal (Safaricom: avoid the full stop)",
    "@": "does not count as a special character on the portal and Safaricom advises against it",
}
_EXAMPLE: Final = "e.g. Tz4#mKq9$wR2"


def _describe(ch: str) -> str:
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return", "\0": "a NUL character"}
    return names.get(ch, repr(ch))


def check_password(value: str | Secret, *, for_rest: bool = True) -> None:
    """Raise ``ValidationError`` unless ``value`` meets the portal's rules (and, with ``for_rest``, survives the
    WooCommerce REST API unchanged). The message names the offending character and why, never the password."""
    password = value.reveal() if isinstance(value, Secret) else value
    if not isinstance(password, str):
        raise TypeError("check_password takes a str or a Secret")
    specials = SAFE_SPECIALS if for_rest else PORTAL_SPECIALS
    problems: list[str] = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.append(f"it has {len(password)} characters; the portal needs {MIN_LENGTH} to {MAX_LENGTH}")
    mangled = mangled_characters(password) if for_rest else []
    for ch, reason in mangled:
        reason = "is changed to '&amp;'" if ch == "&" else reason
        problems.append(
            f"{_describe(ch)} {reason} by WordPress's REST API, so the plugin would store a different password"
        )
    seen = {ch for ch, _ in mangled}
    for ch in password:
        if ch in seen:
            continue
        seen.add(ch)
        if ch in _REFUSED:
            problems.append(f"{_describe(ch)} {_REFUSED[ch]}")
        elif ch not in _UPPER + _LOWER + _DIGITS + PORTAL_SPECIALS:
            problems.append(
                f"{_describe(ch)} is not allowed: use letters A-Z and a-z, digits and the special characters "
                f"{' '.join(specials)} only"
            )
    required = (
        ("a capital letter", _UPPER),
        ("a small letter", _LOWER),
        ("a digit", _DIGITS),
        (f"a special character ({' '.join(specials)})", specials),
    )
    missing = [name for name, chars in required if not any(c in chars for c in password)]
    if missing:
        problems.append("it needs " + ", ".join(missing))
    if problems:
        raise ValidationError(
            "The password does not meet the rules: " + "; ".join(problems) + ".",
            hint=f"Choose {MIN_LENGTH}-{MAX_LENGTH} characters with capital and small letters, a digit and one of "
            f"{' '.join(specials)} ({_EXAMPLE}), or let mpesa-agent generate one.",
        )


def generate_password(length: int = DEFAULT_LENGTH) -> Secret:
    """A random password that passes ``check_password(..., for_rest=True)``; ``length`` is 8 to 16."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValidationError(
            f"A portal password must have {MIN_LENGTH} to {MAX_LENGTH} characters, not {length}.",
            hint=f"Ask for a length between {MIN_LENGTH} and {MAX_LENGTH} (default {DEFAULT_LENGTH}).",
        )
    rng = secrets.SystemRandom()
    alphabet = _GEN_UPPER + _GEN_LOWER + _GEN_DIGITS + SAFE_SPECIALS
    chars = [secrets.choice(group) for group in (_GEN_UPPER, _GEN_LOWER, _GEN_DIGITS, SAFE_SPECIALS)]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    password = Secret("".join(chars))
    check_password(password, for_rest=True)  # by construction; a failure here is a bug, not bad luck
    return password


def generate_security_answer() -> Secret:
    """A random answer for one of the web operator's security questions: 12 small letters and digits.

    Plain letters and digits pass any text field's checks and are easy to read out to Safaricom support.
    """
    return Secret("".join(secrets.choice(_ANSWER_ALPHABET) for _ in range(ANSWER_LENGTH)))

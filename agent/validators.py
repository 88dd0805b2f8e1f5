"""Validators for operator identity and KYC input, and for portal identifiers.

What belongs here: checking one value a person typed (or a config file holds) before it goes near the portal, and
returning it normalised. Each validator returns the clean value or raises ``ValidationError`` whose message says
what was wrong and shows an accepted example. The rules follow ``mpesa-org-portal.md`` §7 (the Create Operator
wizard), §10 and §15.6 (validation rules). Password rules are in ``agent.passwords``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Final

import phonenumbers

from agent.errors import ValidationError

MSISDN_EXAMPLE: Final = "254712345678"
_MSISDN_RE: Final = re.compile(r"254[17]\d{8}")
_PHONE_CHARS_RE: Final = re.compile(r"[0-9+\s().-]+")
_USERNAME_RE: Final = re.compile(r"[A-Za-z0-9_.]{1,15}")
_SHORT_CODE_RE: Final = re.compile(r"\d{5,10}")
# The WHATWG HTML "valid e-mail address" rule, plus: a dot in the domain (a real, routable address).
_EMAIL_RE: Final = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
)
ADULT_AGE: Final = 18
MAX_AGE: Final = 120
NAME_MAX: Final = 50

# ID types on the portal's KYC step (§7.3), with the number rule for each.
ID_TYPES: Final = ("National ID", "Passport", "Alien ID")
_ID_TYPE_ALIASES: Final = {
    "national id": "National ID",
    "national-id": "National ID",
    "nationalid": "National ID",
    "national_id": "National ID",
    "id": "National ID",
    "passport": "Passport",
    "alien id": "Alien ID",
    "alien-id": "Alien ID",
    "alienid": "Alien ID",
    "alien_id": "Alien ID",
}
_ID_RULES: Final = {
    # type: (pattern, what it means, example)
    "National ID": (re.compile(r"\d{7,8}"), "7 or 8 digits", "12345678"),
    "Passport": (re.compile(r"[A-Z0-9]{6,9}"), "6 to 9 letters and digits", "AK1234567"),
    "Alien ID": (re.compile(r"\d{6,9}"), "6 to 9 digits", "1234567"),
}


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The {what} must be text, not {type(value).__name__}.")
    return value.strip()


def normalize_msisdn(text: str) -> str:
    """A Kenyan mobile number as the portal wants it: ``2547XXXXXXXX`` or ``2541XXXXXXXX``.

    Accepts ``0712 345 678``, ``0112-345-678``, ``712345678``, ``+254 712 345 678``, ``254712345678``.
    """
    raw = _text(text, "phone number")
    bad = (
        f"{raw!r} is not a Kenyan mobile number. Give a Safaricom/Airtel/Telkom mobile number, e.g. "
        f"{MSISDN_EXAMPLE} or 0712 345 678."
    )
    if not raw or not _PHONE_CHARS_RE.fullmatch(raw):  # phonenumbers would turn letters into digits
        raise ValidationError(bad, hint="Use digits only (spaces, dashes and a leading + are fine).")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+") and not digits.startswith("254"):
        raise ValidationError(
            f"{raw!r} is not a Kenyan number (it does not start with +254). The portal sends its SMS to Kenyan "
            f"numbers only, e.g. {MSISDN_EXAMPLE}.",
            hint="Give a Kenyan mobile number.",
        )
    try:
        number = phonenumbers.parse(raw, "KE")
    except phonenumbers.NumberParseException:
        raise ValidationError(bad, hint="Check the number of digits: 07XX XXX XXX or 2547XX XXX XXX.") from None
    if number.country_code != 254 or phonenumbers.region_code_for_number(number) != "KE":
        raise ValidationError(
            f"{raw!r} is not a Kenyan number. The portal sends its SMS to Kenyan numbers only, e.g. {MSISDN_EXAMPLE}.",
            hint="Give a Kenyan mobile number.",
        )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(bad, hint="Check the number of digits: 07XX XXX XXX or 2547XX XXX XXX.")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(
            f"{raw!r} is not a mobile number (the portal's SMS needs one), e.g. {MSISDN_EXAMPLE}.",
            hint="Give the mobile number that should receive the portal's SMS.",
        )
    msisdn = f"254{number.national_number}"
    if not _MSISDN_RE.fullmatch(msisdn):
        raise ValidationError(
            f"{raw!r} is not a number the portal accepts (it wants 2547XXXXXXXX or 2541XXXXXXXX), e.g. "
            f"{MSISDN_EXAMPLE}.",
            hint="Give a Kenyan mobile number starting 07 or 01.",
        )
    return msisdn


def validate_username(text: str) -> str:
    """A portal operator user name: 1–15 letters, digits, ``_`` or ``.``; case is kept (it is case-sensitive)."""
    name = _text(text, "user name")
    if not _USERNAME_RE.fullmatch(name):
        if not name:
            problem = "is empty"
        elif len(name) > 15:
            problem = f"has {len(name)} characters (at most 15)"
        else:
            bad = next(c for c in name if not re.fullmatch(r"[A-Za-z0-9_.]", c))
            problem = f"contains {bad!r} (only letters, digits, '_' and '.' are allowed)"
        raise ValidationError(
            f"The user name {name!r} {problem}. The portal accepts 1-15 letters, digits, '_' and '.', e.g. mamaapi.",
            hint="Choose another user name; it must also be unused in your organisation.",
        )
    return name


def validate_email(text: str) -> str:
    """An e-mail address; the domain is lower-cased."""
    email = _text(text, "e-mail address")
    if len(email) > 254 or not _EMAIL_RE.fullmatch(email):
        raise ValidationError(
            f"{email!r} is not a valid e-mail address, e.g. mama.mboga@example.co.ke.",
            hint="Check for a missing '@' or domain, spaces, or a typing mistake.",
        )
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_id_type(text: str) -> str:
    """The portal's spelling of an ID type: ``National ID``, ``Passport`` or ``Alien ID``."""
    raw = _text(text, "ID type")
    canonical = _ID_TYPE_ALIASES.get(" ".join(raw.lower().split()))
    if canonical is None:
        raise ValidationError(
            f"Unknown ID type {raw!r}. Use one of: {', '.join(ID_TYPES)} (e.g. National ID).",
            hint="Most Kenyan operators use their National ID.",
        )
    return canonical


def validate_id_number(id_type: str, text: str) -> str:
    """An ID number for ``id_type`` (any spelling ``normalize_id_type`` accepts), without spaces; passports upper-case.

    National ID: 7–8 digits. Passport: 6–9 letters and digits. Alien ID: 6–9 digits.
    """
    kind = normalize_id_type(id_type)
    raw = _text(text, "ID number")
    number = re.sub(r"[\s-]", "", raw).upper()
    pattern, rule, example = _ID_RULES[kind]
    if not number:
        raise ValidationError(f"The {kind} number is required, e.g. {example}.", hint="The portal requires it.")
    if not pattern.fullmatch(number):
        raise ValidationError(
            f"{raw!r} is not a valid {kind} number: it must be {rule}, e.g. {example}.",
            hint=f"Copy the number from the {kind} document.",
        )
    return number


def validate_short_code(text: str) -> str:
    """An organisation short code (paybill/till/B2C): 5–10 digits."""
    raw = _text(str(text) if isinstance(text, int) and not isinstance(text, bool) else text, "short code")
    code = re.sub(r"\s", "", raw)
    if not _SHORT_CODE_RE.fullmatch(code):
        raise ValidationError(
            f"{raw!r} is not a short code: it must be 5 to 10 digits, e.g. 600000.",
            hint="Use the organisation short code you log in to the M-PESA Org Portal with.",
        )
    return code


def validate_date_of_birth(text: str, *, today: date | None = None) -> date:
    """A date of birth given as ``YYYY-MM-DD`` or ``DD/MM/YYYY``: a real date, in the past, of an adult."""
    raw = _text(text, "date of birth")
    example = "e.g. 1990-05-31 or 31/05/1990"
    parsed: date | None = None
    for fmt, pattern in (("%Y-%m-%d", r"\d{4}-\d{2}-\d{2}"), ("%d/%m/%Y", r"\d{1,2}/\d{1,2}/\d{4}")):
        if re.fullmatch(pattern, raw):
            try:
                parsed = datetime.strptime(raw, fmt).date()
            except ValueError:
                raise ValidationError(
                    f"{raw!r} is not a real date ({example}).", hint="Check the day and the month."
                ) from None
            break
    if parsed is None:
        raise ValidationError(
            f"{raw!r} is not a date in the form YYYY-MM-DD or DD/MM/YYYY ({example}).",
            hint="Write the date of birth with digits, e.g. 31/05/1990.",
        )
    today = today or date.today()
    if parsed >= today:
        raise ValidationError(f"The date of birth {raw!r} is not in the past ({example}).")
    age = today.year - parsed.year - ((today.month, today.day) < (parsed.month, parsed.day))
    if age < ADULT_AGE:
        raise ValidationError(
            f"The date of birth {raw!r} is of someone {age} years old; an operator must be an adult "
            f"({ADULT_AGE} or older), {example}.",
            hint="Give the date of birth of the adult who will be the operator.",
        )
    if age > MAX_AGE:
        raise ValidationError(f"The date of birth {raw!r} is more than {MAX_AGE} years ago ({example}).")
    return parsed


def validate_name(text: str) -> str:
    """A person's name (first, middle or last): letters, spaces, hyphens and apostrophes; spaces tidied."""
    raw = _text(text, "name")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise ValidationError("The name is empty; give a name, e.g. Wanjiku.", hint="The portal requires it.")
    if len(name) > NAME_MAX:
        raise ValidationError(f"The name {name!r} is longer than {NAME_MAX} characters; e.g. Wanjiku.")
    for ch in name:
        if not (ch.isalpha() or ch in " -'" or unicodedata.category(ch) == "Mn"):
            raise ValidationError(
                f"The name {name!r} contains {ch!r}; use letters, spaces, '-' and \"'\" only, e.g. Wanjiku or "
                "Ole-Sapit.",
                hint="Type the name as written on the ID document.",
            )
    if not name[0].isalpha():
        raise ValidationError(f"The name {name!r} must start with a letter, e.g. Wanjiku.")
    return name


# -- WordPress credentials (link-site) ---------------------------------------------------------------------------

WP_USERNAME_MAX: Final = 100  # WordPress: user_login is at most 60, an e-mail (also accepted at login) at most 100


def validate_wp_username(text: str) -> str:
    """A WordPress login name or e-mail for HTTP Basic authentication: printable ASCII without ':' (Basic auth
    carries ``user:password`` in Latin-1, and WordPress's own sanitize_user keeps only ASCII)."""
    name = (text if isinstance(text, str) else "").strip()
    if not name:
        raise ValidationError(
            "A WordPress user name is needed to link a site.", hint="Give --username (login or e-mail)."
        )
    if not name.isascii() or not name.isprintable():
        bad = next(ch for ch in name if not (ch.isascii() and ch.isprintable()))
        raise ValidationError(
            f"The WordPress user name contains {bad!r}, which WordPress does not allow in a login name and HTTP "
            "authentication cannot carry.",
            hint="Give the login name shown under Users in WordPress (ASCII letters, digits, _ . - @), or your e-mail.",
        )
    if ":" in name:
        raise ValidationError(
            "The WordPress user name contains ':', which HTTP authentication cannot carry.",
            hint="Give the login name shown under Users in WordPress.",
        )
    if len(name) > WP_USERNAME_MAX:
        raise ValidationError(f"The WordPress user name is longer than {WP_USERNAME_MAX} characters.")
    return name


def validate_wp_app_password(text: str) -> str:
    """A WordPress application password (24 ASCII letters and digits, shown in groups of four; the spaces are
    dropped): anything not ASCII is refused with the reason. The value itself is never put in the message."""
    compact = "".join((text if isinstance(text, str) else "").split())
    if not compact:
        raise ValidationError("An application password is needed to link a site.")
    if not compact.isascii():
        raise ValidationError(
            "The application password contains a character that is not an ASCII letter or digit; WordPress "
            "application passwords never do (it was probably not copied from WordPress).",
            hint="Create one under Users -> Profile -> Application Passwords and copy it exactly.",
        )
    if not compact.isprintable():
        raise ValidationError(
            "The application password contains a control character; WordPress application passwords never do.",
            hint="Create one under Users -> Profile -> Application Passwords and copy it exactly.",
        )
    return compact

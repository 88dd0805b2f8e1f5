"""Fixed data of the sandbox portal: roles, rule profiles, statuses, pick lists and the portal's message texts.

Everything here is written from the reference (``mpesa-org-portal.md`` §7, §9, §11, §14, §15.6); nothing is taken
from the agent's own label maps. Role names are displayed exactly as listed and compared case-insensitively.
Texts marked (c) in the reference are confirmed wording; the others are the reference's proposals or ours.
"""

from __future__ import annotations

import dataclasses

WEB = "Web"
API = "API"
CHANNELS = (WEB, API)


@dataclasses.dataclass(frozen=True)
class Role:
    """A role of the catalogue: its displayed name, the Select Role description and its access channel."""

    name: str
    description: str
    channel: str
    selectable: bool = True  # Business Administrator is given by Safaricom, never through Select Role


BUSINESS_ADMINISTRATOR = "Business Administrator"
BUSINESS_MANAGER = "Business Manager"
SET_RESTRICTED_API_PASSWORD = "Set Restricted ORG API PASSWORD"  # noqa: S105 - a role name

ROLES: tuple[Role, ...] = (
    Role(BUSINESS_ADMINISTRATOR, "Business Administrator", WEB, selectable=False),
    Role(BUSINESS_MANAGER, "Business Manager", WEB),
    Role("Business Web Operator", "Business Web Operator", WEB),
    Role("Business Auditor", "Business Auditor", WEB),
    Role("Business Operator", "Business Operator", WEB),
    Role(SET_RESTRICTED_API_PASSWORD, "Set Restricted ORG API PASSWORD", WEB),
    Role("Manage Org Initiator Passwords", "Manage Org Initiator Passwords", WEB),
    Role("B2B Web Checker", "B2B Web Checker", WEB),
    Role("B2B Web Maker", "B2B Web Maker", WEB),
    Role("Reversal Approver", "Reversal Approver", WEB),
    Role("ORG B2C API initiator", "B2C API Initiator/Caller", API),
    Role("Transaction Status query ORG API", "Transaction Status query ORG API", API),
    Role("Balance Query ORG API", "Balance Query ORG API", API),
    Role("B2B ORG API Initiator", "B2B ORG API Initiator", API),
    Role("Org Reversals Initiator", "Org Reversals Initiator", API),
    Role("Business Paybill Org API initiator", "Business Paybill Org API initiator", API),
    Role("Business Buy Goods Org API initiator", "Business Buy Goods Org API initiator", API),
    Role("Tax Remittance to KRA API", "Tax Remittance to KRA API", API),
    Role("Org Business Pay to Bulk API initiator", "Org Business Pay to Bulk API initiator", API),
    Role("BusinessPayToBulk ORG API Initiator", "BusinessPayToBulk ORG API Initiator", API),
    Role("Bundle Purchase ORG Initiator", "Bundle Purchase ORG Initiator", API),
    Role("B2C Reversal", "B2C Reversal", API),
    Role("Reversal Initiator", "Reversal Initiator", API),
)

_ROLES_BY_KEY = {r.name.casefold(): r for r in ROLES}


def find_role(name: str) -> Role | None:
    """The catalogue role with this name (case-insensitive), or None."""
    return _ROLES_BY_KEY.get(name.strip().casefold())


RULE_PROFILES = ("Web Operator Rule Profile", "Default Primary Assistant Rules")
DEFAULT_RULE_PROFILE = RULE_PROFILES[0]

LOGIN_LANGUAGES = ("English", "Kiswahili")
OPERATOR_LANGUAGES = ("English (Kenya)", "Kiswahili (Kenya)")
NATIONALITIES = ("Kenyan", "Ugandan", "Tanzanian", "Rwandan", "Other")
ID_TYPES = ("National ID", "Passport", "Alien ID")
GENDERS = ("Male", "Female")
NOTIFICATION_CHANNELS = ("SMS", "Email")
TRUST_LEVEL = "Top Organization Level 2"

SECURITY_QUESTIONS = (
    "What is the name of your first school?",
    "What is your mother's maiden name?",
    "What was the name of your first pet?",
    "In which town were you born?",
    "What is your favourite food?",
)

# Displayed statuses (§11.2 [P]).
PENDING_ACTIVE = "Pending Active"
ACTIVE = "Active"
LOCKED = "Locked"
DORMANT = "Dormant"
SUSPENDED = "Suspended"
CLOSED = "Closed"
STATUSES = (PENDING_ACTIVE, ACTIVE, LOCKED, DORMANT, SUSPENDED, CLOSED)


class Msg:
    """The portal's messages (§15.6; (c) = confirmed wording, the rest proposed)."""

    CAPTCHA = "The verification code is incorrect or has expired."  # (c)
    SHORT_CODE = "The short code does not exist."
    CREDENTIALS = "The user name or password is incorrect."
    LOCKED = "Your account has been locked. Contact your administrator."
    DORMANT = "Your account is dormant. Contact your administrator."
    SUSPENDED = "Your account has been suspended. Contact your administrator."
    NOT_WEB = "This operator cannot log in to the web portal."
    TEMP_EXPIRED = "Your temporary password has expired. Contact your administrator."
    SESSION_EXPIRED = "Your session has expired. Please log in again."
    OTP = "The OTP is incorrect or has expired."
    OTP_TOO_MANY = "You have entered a wrong OTP too many times. Please log in again."
    OTP_RESENT = "A new OTP has been sent."
    REQUIRED_SHORT_CODE = "Please enter the short code."
    REQUIRED_USER = "Please enter the user name."
    REQUIRED_PASSWORD = "Please enter the password."  # noqa: S105 - a message
    REQUIRED_CAPTCHA = "Please enter the verification code."

    PW_COMPLEXITY = "The password must contain a capital letter, small letter, number and special character."
    PW_MISMATCH = "The two passwords are different."
    PW_LENGTH = "The password must be 8 to 16 characters long."
    PW_FORBIDDEN = "The password cannot contain brackets ( ) or a full stop (.)."
    PW_SPACE = "The password cannot contain spaces."
    PW_SAME = "The new password cannot be the same as the old password."
    PW_OLD_WRONG = "The old password is incorrect."
    PW_EXPIRED = "Your password has expired. Please change your password."
    PW_FIRST_LOGIN = "This is your first login. Please change your password and set your security questions."
    PW_CHANGED = "Password changed successfully"
    QUESTION_REQUIRED = "Please select a security question."
    QUESTIONS_DISTINCT = "Please select two different security questions."
    ANSWER_REQUIRED = "Please enter the answer."

    CHANNEL = "Please select the access channel."
    USER_EXISTS = "The User Name is existed"  # (c)
    USER_TOO_LONG = "The username should be less than 16 characters"  # (c), the 2015 hint
    USER_CHARS = "The user name can contain only letters, digits, underscores (_) and full stops (.)."
    RULE_PROFILE = "Please select the rule profile."
    ROLES = "Please add at least one role."
    ROLE_DATES = "Expiration date must be later than effective date."
    INVALID_DATE = "Invalid date."
    FIRST_NAME = "First Name is required."
    EMAIL = "Invalid email address."
    ID_NUMBER = "ID Number is required."
    ID_NUMBER_FORMAT = "Invalid ID number."
    NOTIFICATION_CHANNEL = "Please select the preferred notification channel."
    MSISDN = "Please enter a valid MSISDN, e.g. 254712345678."
    NOTIFICATION_EMAIL = "Please enter the notification e-mail."
    REASON = "Please enter the reason."
    SMS_TEXT = "Please enter the message."

    SUCCEEDED = "Operation succeeded."  # (c)
    NO_PERMISSION = "You do not have the permission to perform this operation."
    SET_PASSWORD_API_ONLY = "Set Password is only available for API operators."  # noqa: S105 - a message
    NOT_LOCKED = "The operator is not locked."
    OPERATOR_CLOSED = "The operator has been closed."
    NO_RECORDS = "No records found."
    NOT_AVAILABLE = "This function is not available in the sandbox."

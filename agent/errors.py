"""Domain errors and the documented exit-status table.

Every failure the agent can explain is one of these classes. Each carries an exit status, a message that says what
happened, and a hint that says what to run next. They are translated to output and an exit code in exactly one
place: the error boundary in ``agent.cli``. No message may contain a secret value.

Exit statuses (also in README.md, "Exit codes"):

====  =================  ===========================================================================
code  name               meaning
====  =================  ===========================================================================
0     OK                 done, or nothing to do
1     ERROR              an error not covered below (a bug: run again with --debug and report it)
2     USAGE              bad command line or bad input (a flag, a value, the config file), or something that
                         exists already (a linked site, the configuration file): nothing was changed
3     NEEDS_HUMAN        a person had to answer (captcha, OTP, confirmation) and did not, or cancelled
4     AUTH               authentication failed, or the keyring is unavailable/locked
5     VERIFY             a check after a change found something different from what was meant
6     PORTAL_CHANGED     the portal did not look as expected (a screen or element is missing/renamed)
7     SITE               the WordPress site or its M-PESA plugin has a problem
8     CONFLICT           another operation is in flight (e.g. a rotation), resume or abandon it first (only that)
9     PORTAL_REFUSED     the portal refused the request (its message says why: e.g. a Closed or Locked
                         operator, a name taken, a validation message); not a bug
10    NETWORK            the portal or Daraja could not be reached, timed out or is unavailable: nothing is
                         wrong with your input; try again later (check the address and the connection)
130   INTERRUPTED        stopped with Ctrl-C; finished steps are kept and not redone
====  =================  ===========================================================================
"""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Process exit statuses; stable, documented, useful in cron."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NEEDS_HUMAN = 3
    AUTH = 4
    VERIFY = 5
    PORTAL_CHANGED = 6
    SITE = 7
    CONFLICT = 8
    PORTAL_REFUSED = 9
    NETWORK = 10
    INTERRUPTED = 130


class AgentError(Exception):
    """Base of every explained failure. ``message`` says what happened, ``hint`` what to do next."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(AgentError):
    """Bad command line, bad input value or bad configuration file."""

    exit_status = ExitStatus.USAGE


class ConfigError(UsageError):
    """The user configuration file cannot be read or has an invalid value."""


class AlreadyExistsError(UsageError):
    """What was asked for exists already (a linked site, the configuration file); nothing was changed."""


class ValidationError(UsageError):
    """An input value (phone number, user name, password, ...) was refused; the message names why."""


class NeedsHumanError(AgentError):
    """A person had to supply something (captcha, OTP, a confirmation) and did not in time, or cancelled."""

    exit_status = ExitStatus.NEEDS_HUMAN


class AuthError(AgentError):
    """Authentication failed (portal or site)."""

    exit_status = ExitStatus.AUTH


class PasswordRefusedError(AuthError):
    """The portal answered a login with "the user name or password is incorrect" (it was not tried again)."""


class KeyringError(AuthError):
    """The OS keyring is missing, locked, insecure or not answering."""


class VerificationError(AgentError):
    """A read-back after a change did not match what was meant."""

    exit_status = ExitStatus.VERIFY


class PortalChangedError(AgentError):
    """A screen or element of the portal is not where the page map says (drift)."""

    exit_status = ExitStatus.PORTAL_CHANGED


class PortalError(AgentError):
    """The portal refused what was asked and said why (e.g. a validation message, a Closed operator)."""

    exit_status = ExitStatus.PORTAL_REFUSED


class SiteError(AgentError):
    """The WordPress site or its M-PESA plugin has a problem."""

    exit_status = ExitStatus.SITE


class ConflictError(AgentError):
    """Another operation is already in flight (a pending rotation, a running setup)."""

    exit_status = ExitStatus.CONFLICT


class NetworkError(AgentError):
    """The portal, a site or Daraja could not be reached, timed out, or is unavailable; worth trying again later."""

    exit_status = ExitStatus.NETWORK

"""What the Create Organization Operator wizard needs to know about an operator, as protocols: the portal
automation reads these fields and nothing else, so it does not depend on the workflows' plan
(``agent.workflows.plan.OperatorPlan`` and ``Kyc`` satisfy them)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class OperatorKyc(Protocol):
    """The KYC Info step's values."""

    @property
    def first_name(self) -> str: ...
    @property
    def middle_name(self) -> str: ...
    @property
    def last_name(self) -> str: ...
    @property
    def date_of_birth(self) -> dt.date | None: ...
    @property
    def email(self) -> str: ...
    @property
    def msisdn(self) -> str: ...
    @property
    def id_type(self) -> str: ...
    @property
    def id_number(self) -> str: ...


class NewOperator(Protocol):
    """One operator to create: its channel ("web" or "api"), user name, rule profile, roles and KYC."""

    @property
    def kind(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def rule_profile(self) -> str: ...
    @property
    def roles(self) -> tuple[str, ...]: ...
    @property
    def kyc(self) -> OperatorKyc: ...

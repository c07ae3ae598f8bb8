"""Request bodies of the work and admin APIs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from caseflow_common.directory import RoutingRuleRecord

Text = Annotated[str, Field(min_length=1, max_length=4000)]
UnitCode = Annotated[str, Field(min_length=1, max_length=40)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReturnBody(_Body):
    reason: Text = Field(description="why the case is not this unit's duty (退单理由)")
    suggested_unit: UnitCode | None = Field(default=None, description="the unit believed to hold the duty")


class TransferBody(_Body):
    to_unit: UnitCode | None = Field(default=None, description="the unit that holds the duty")
    reason: Text
    suspected_crime: bool = Field(default=False, description="hand to public security (SZ Art. 25)")


class NoteBody(_Body):
    note: Text


class ReasonBody(_Body):
    reason: Text


class ReplyBody(_Body):
    content: Text
    resolved: bool


class ReferBody(_Body):
    reason: Text = Field(description="why the case needs coordination (提请协调的理由)")


class EscalateBody(_Body):
    reason: Text = Field(description="why the institution one level up should take the case")


class PartReplyBody(_Body):
    content: Text = Field(description="the assisting unit's answer on its part, for the lead")


class PoliceNoticeBody(_Body):
    reason: Text = Field(description="the suspected crime found while handling the case")
    police_unit: UnitCode | None = Field(
        default=None, description="the public security unit to notify (default: the one covering the case's region)"
    )


class CoordinateBody(_Body):
    lead_unit: UnitCode = Field(description="主办 unit")
    assisting_units: list[UnitCode] = Field(default_factory=list, max_length=20, description="协办 units")
    instructions: str = Field(default="", max_length=4000)


class RoutingBody(_Body):
    rules: list[RoutingRuleRecord] = Field(max_length=20000)
    base_version: int | None = Field(default=None, description="refuse with 409 if the table moved past this")

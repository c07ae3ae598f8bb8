"""What every request body of intake shares: unknown keys ignored, text that is valid Unicode, times with an offset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from intake.domain.times import in_utc


def has_lone_surrogate(value: Any) -> bool:
    """True when a text (or a list / mapping of texts) holds a UTF-16 surrogate: JSON can carry one, UTF-8 cannot."""
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_lone_surrogate(v) for v in value)
    return False


class Body(BaseModel):
    """Base of intake's request bodies: unknown keys ignored, every text field checked for lone surrogates."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _valid_unicode(cls, value: Any) -> Any:
        # "\ud800" is valid JSON but no character: stored or echoed it breaks UTF-8, so it is refused at the door.
        if has_lone_surrogate(value):
            raise PydanticCustomError(
                "lone_surrogate", "text must be valid Unicode: a lone surrogate (\\ud800-\\udfff) is not a character"
            )
        return value


def _require_offset(value: datetime) -> datetime:
    # A time without an offset is ambiguous by eight hours between UTC and Beijing time: refuse it.
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "naive_datetime",
            "time must carry a UTC offset, e.g. 2026-11-21T09:30:00+08:00 or 2026-11-21T01:30:00Z",
        )
    # 0001-01-01T00:00+08:00 or 9999-12-31T23:59-08:00 parse, but no UTC instant stands behind them.
    if in_utc(value) is None:
        raise PydanticCustomError("datetime_range", "time is outside the representable range")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_offset)]

"""What intake's routes depend on: the one typed runtime, and the principals allowed to call them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import runtime_dependency, runtime_of
from intake.uow import IntakeRuntime


def intake_runtime(request: Request) -> IntakeRuntime:
    """The intake runtime behind the app, typed (route classes and limits call it with their request)."""
    runtime: IntakeRuntime = runtime_of(request)
    return runtime


Runtime = Annotated[IntakeRuntime, Depends(runtime_dependency)]
Hotline = Annotated[Principal, Depends(require(Role.HOTLINE))]
Grid = Annotated[Principal, Depends(require(Role.GRID))]

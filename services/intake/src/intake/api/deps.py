"""What intake's routes depend on: the one typed runtime, and the principals allowed to call them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import runtime_of
from intake.uow import IntakeRuntime


def intake_runtime(request: Request) -> IntakeRuntime:
    """The intake runtime behind the app (route classes call it with their request, routes depend on it)."""
    runtime: IntakeRuntime = runtime_of(request)
    return runtime


async def _runtime(request: Request) -> IntakeRuntime:
    """``intake_runtime`` as a dependency: a coroutine, so FastAPI calls it inline rather than on a worker thread."""
    return intake_runtime(request)


Runtime = Annotated[IntakeRuntime, Depends(_runtime)]
Hotline = Annotated[Principal, Depends(require(Role.HOTLINE))]
Grid = Annotated[Principal, Depends(require(Role.GRID))]

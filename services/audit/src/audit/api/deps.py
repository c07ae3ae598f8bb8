"""What audit's routes depend on: the one typed runtime and the principals allowed to read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from audit.uow import AuditRuntime
from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import runtime_dependency

Runtime = Annotated[AuditRuntime, Depends(runtime_dependency)]
Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
RecordReader = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.HOTLINE))]
AnchorTaker = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.ADMIN))]
# Assessment figures: supervisors and admins read every unit's; a department or coordination institution its own.
FigureReader = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT, Role.COORDINATION))]

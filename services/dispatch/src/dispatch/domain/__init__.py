"""Pure dispatch rules: region tree and units, categories, routing, the case state machine."""

from caseflow_common.contracts.status import CaseStatus
from caseflow_common.directory import RegionLevel
from dispatch.domain.catalogue import Category, CategoryCatalogue
from dispatch.domain.directory import COORDINATION_KIND, Region, RegionTree, Unit, UnitDirectory, UnitLevel
from dispatch.domain.errors import (
    DomainError,
    IllegalTransition,
    NotYourCase,
    UnknownCategory,
    UnknownRegion,
    UnknownUnit,
    ValidationError,
)
from dispatch.domain.lifecycle import WorkCase
from dispatch.domain.routing import (
    Role,
    RoutingDecision,
    RoutingReason,
    RoutingRule,
    RoutingTable,
    TargetKind,
)
from dispatch.domain.transitions import NextStep, ReturnOutcome

__all__ = [
    "COORDINATION_KIND",
    "CaseStatus",
    "Category",
    "CategoryCatalogue",
    "DomainError",
    "IllegalTransition",
    "NextStep",
    "NotYourCase",
    "Region",
    "RegionLevel",
    "RegionTree",
    "ReturnOutcome",
    "Role",
    "RoutingDecision",
    "RoutingReason",
    "RoutingRule",
    "RoutingTable",
    "TargetKind",
    "Unit",
    "UnitDirectory",
    "UnitLevel",
    "UnknownCategory",
    "UnknownRegion",
    "UnknownUnit",
    "ValidationError",
    "WorkCase",
]

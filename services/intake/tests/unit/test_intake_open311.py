import pytest

from caseflow_common.contracts.status import CaseStatus
from intake.domain.open311 import (
    Open311Status,
    open311_error,
    open311_errors,
    open311_status,
    service_definition,
    service_from_category,
    status_notes,
)

CATEGORY = {
    "code": "env.garbage",
    "name": "垃圾清运",
    "group": "市容环境",
    "default_urgency": "normal",
    "keywords": ["垃圾", "清运"],
    "fields": [
        {"code": "bins", "name": "垃圾桶数量", "datatype": "number", "required": True},
        {
            "code": "kind",
            "name": "垃圾类型",
            "datatype": "singlevaluelist",
            "values": ["生活", {"key": "c", "name": "建筑"}],
        },
    ],
}


@pytest.mark.parametrize("status", [s for s in CaseStatus if s is not CaseStatus.CLOSED])
def test_every_status_but_closed_is_open_in_open311(status: CaseStatus) -> None:
    assert open311_status(status) is Open311Status.OPEN


def test_a_closed_case_is_closed_in_open311() -> None:
    assert open311_status("closed") is Open311Status.CLOSED


def test_status_notes_keep_the_detail_that_open_and_closed_lose() -> None:
    assert "Dispatched" in status_notes("dispatched")
    assert "Being handled" in status_notes("in_progress")
    assert status_notes("dispatched", "天河区城管局").endswith("天河区城管局")
    assert {status_notes(s) for s in CaseStatus}.__len__() == len(CaseStatus)


def test_an_unknown_status_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError):
        open311_status("lost")


def test_a_category_becomes_an_open311_service() -> None:
    assert service_from_category(CATEGORY) == {
        "service_code": "env.garbage",
        "service_name": "垃圾清运",
        "description": "垃圾清运",
        "metadata": True,
        "type": "realtime",
        "keywords": "垃圾,清运",
        "group": "市容环境",
    }


def test_a_category_without_fields_has_no_metadata() -> None:
    service = service_from_category({"code": "x", "name": "X", "group": "G"})
    assert service["metadata"] is False and service["keywords"] == ""


def test_the_service_definition_lists_the_category_fields_as_attributes() -> None:
    definition = service_definition(CATEGORY)
    assert definition["service_code"] == "env.garbage"
    first, second = definition["attributes"]
    assert first["code"] == "bins" and first["datatype"] == "number" and first["required"] and first["order"] == 1
    assert second["values"] == [{"key": "生活", "name": "生活"}, {"key": "c", "name": "建筑"}]


def test_errors_take_the_open311_array_shape_and_name_the_field() -> None:
    assert open311_error(404, "no such request") == [{"code": 404, "description": "no such request"}]
    errors = open311_errors(
        400, "invalid fields", [{"field": "location.region_code", "message": "unknown region code 'X1'"}]
    )
    assert errors == [{"code": 400, "description": "location.region_code: unknown region code 'X1'"}]

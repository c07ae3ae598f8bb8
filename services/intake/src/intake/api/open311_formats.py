"""Open311's two formats (GeoReport v2, Format Support): the resource's extension picks JSON or XML.

The XML is the JSON's data in GeoReport v2's element names (a list's items are named by the list: ``services`` holds
``service`` elements, ``service_requests`` holds ``request``), built with the standard library's ElementTree: texts are
escaped by it, characters XML 1.0 cannot carry are replaced, and element names are ours only, never a client's text.
Nothing from a client is ever parsed as XML (the POST is form-encoded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from xml.etree import ElementTree

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
XML_MEDIA_TYPE = "text/xml; charset=utf-8"

# The element of each item of a list, by the list's own element (GeoReport v2 and Service Discovery examples).
ITEM_ELEMENTS: Mapping[str, str] = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
# Everything XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def format_of(path: str) -> Format:
    """The format a route path asks for: its extension (``.xml``), JSON otherwise."""
    return "xml" if path.endswith(".xml") else "json"


async def requested_format(request: Request) -> Format:
    """The format of the route being served (its path template, not the client's spelling)."""
    route = request.scope.get("route")
    return format_of(str(getattr(route, "path", "") or request.url.path))


RequestedFormat = Annotated[Format, Depends(requested_format)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, str(key)), child)
    elif isinstance(value, list | tuple):
        item = ITEM_ELEMENTS[element.tag]
        for child in value:
            _fill(ElementTree.SubElement(element, item), child)
    elif value is not None:  # None is an empty element, e.g. <account_id/>
        element.text = _text(value)


def xml_document(root: str, data: Any) -> bytes:
    """``data`` as a GeoReport v2 XML document under ``root``, with the UTF-8 declaration the spec asks for."""
    element = ElementTree.Element(root)
    _fill(element, data)
    return _DECLARATION + ElementTree.tostring(element, encoding="unicode").encode("utf-8")


def open311_response(
    data: Any, fmt: Format, root: str, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """The answer in the requested format: JSON as it is, XML under ``root``."""
    if fmt == "xml":
        return Response(xml_document(root, data), status_code=status_code, media_type=XML_MEDIA_TYPE, headers=headers)
    return JSONResponse(data, status_code=status_code, headers=headers)


def documented(root: str, status_code: int = 200) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: at the .xml path the answer is an XML document under ``root``."""
    document = {"schema": {"type": "string", "description": f"<{root}> document"}}
    return {status_code: {"description": f"GeoReport v2 XML, <{root}>", "content": {"text/xml": document}}}

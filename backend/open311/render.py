"""GeoReport v2 documents as JSON or XML, and the spec's error lists.

XML is built with xml.etree, so text is escaped by the library (a description holding
``<`` or ``&`` stays text); element names follow the spec's examples.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Response

__all__ = ["Open311Error", "error_response", "render", "wire_time"]

TZ = ZoneInfo("Asia/Shanghai")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def wire_time(at: datetime | None) -> str | None:
    # The spec's examples are ISO 8601 with the jurisdiction's offset.
    return None if at is None else at.astimezone(TZ).isoformat(timespec="seconds")


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    el = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, list):
        # attributes/values: repeated child elements named after the singular.
        child = {"attributes": "attribute", "values": "value"}.get(name, "item")
        for item in value:
            _xml_item(el, child, item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    else:
        el.text = str(value)


def _xml_item(parent: ET.Element, name: str, item: dict[str, Any]) -> None:
    el = ET.SubElement(parent, name)
    for k, v in item.items():
        _xml_value(el, k, v)


def render(fmt: str, root: str, item: str, body: Any, status: int = 200) -> Response[bytes]:
    """``body`` is a list of dicts (rendered as root/item elements) or one dict (root)."""
    if fmt == "xml":
        top = ET.Element(root)
        if isinstance(body, list):
            for entry in body:
                _xml_item(top, item, entry)
        else:
            for k, v in body.items():
                _xml_value(top, k, v)
        content = ET.tostring(top, encoding="utf-8", xml_declaration=True)
        # Litestar appends "; charset=utf-8" to text/* itself (it was doubled).
        return Response(content, status_code=status, media_type="text/xml")
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json")


def error_response(fmt: str, status: int, description: str) -> Response[bytes]:
    return render(fmt, "errors", "error", [{"code": status, "description": description}], status)

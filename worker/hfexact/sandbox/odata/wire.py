"""Values on the wire: ``/Date(ms)/``, GUID text, doubles; JSON and Atom/XML documents.

Exact answers JSON only with ``Accept: application/json``; otherwise it answers Atom/XML
(reference §5), so the sandbox does too (feeds, entries and the OData XML error).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree as ET

from hfexact.sandbox.failures import ApiError
from hfexact.sandbox.schema import EDM, EntityType

EPOCH = dt.datetime(1970, 1, 1)
_DATE_MS = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def date_ms(value: dt.datetime) -> int:
    return int((value - EPOCH) / dt.timedelta(milliseconds=1))


def odata_date(value: dt.datetime) -> str:
    return f"/Date({date_ms(value)})/"


def parse_datetime(text: str) -> dt.datetime:
    """ISO 8601 (offset converted to UTC, then naive) or ``/Date(ms)/``; raises ValueError."""
    text = text.strip()
    match = _DATE_MS.match(text)
    if match:
        return EPOCH + dt.timedelta(milliseconds=int(match.group(1)))
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def to_json(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return odata_date(value)
    if kind == "double":
        return float(value)
    if kind == "guid":
        return str(value)
    return value


def from_json(kind: str, value: Any, prop: str) -> Any:
    """Convert a posted JSON value to the stored form; 400 like Exact's OData reader."""
    if value is None:
        return None
    try:
        if kind == "guid":
            return str(uuid.UUID(str(value)))
        if kind == "double":
            if isinstance(value, bool):
                raise ValueError(value)
            return Decimal(str(value))
        if kind in ("int16", "int32", "int64", "byte"):
            if isinstance(value, bool) or (isinstance(value, Decimal | float)
                                           and value != int(value)):
                raise ValueError(value)
            return int(str(value)) if not isinstance(value, Decimal | float) else int(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError(value)
        if kind == "datetime":
            return parse_datetime(str(value))
        if not isinstance(value, str):
            return str(value)
        return value
    except (ValueError, InvalidOperation):
        raise ApiError(400, "Error processing request stream. Error encountered in converting "
                            f"the value from request payload for property '{prop}' to type "
                            f"'{EDM[kind].replace('Edm.', 'System.')}', which is the property's "
                            "expected type.") from None


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, dt.datetime):
            return odata_date(o)
        return super().default(o)


def dumps(document: Any) -> bytes:
    return json.dumps(document, cls=_Encoder, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


@dataclass
class Shaped:
    """One record ready to render: metadata, selected properties, navigation properties."""

    etype: EntityType
    uri: str
    props: dict[str, Any]
    navs: dict[str, str | list[Shaped]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"__metadata": {"uri": self.uri, "type": self.etype.name}}
        for name, value in self.props.items():
            out[name] = to_json(self.etype.fields[name], value)
        for name, nav in self.navs.items():
            if isinstance(nav, str):
                out[name] = {"__deferred": {"uri": nav}}
            else:
                out[name] = {"results": [child.to_json() for child in nav]}
        return out


def json_collection(records: Sequence[Shaped], next_url: str | None) -> bytes:
    body: dict[str, Any] = {"results": [r.to_json() for r in records]}
    if next_url:
        body["__next"] = next_url
    return dumps({"d": body})


def json_entity(record: Shaped) -> bytes:
    return dumps({"d": record.to_json()})


def json_error(message: str) -> bytes:
    return dumps({"error": {"code": "", "message": {"lang": "", "value": message}}})


# --- Atom/XML --------------------------------------------------------------------------------
ATOM = "http://www.w3.org/2005/Atom"
D = "http://schemas.microsoft.com/ado/2007/08/dataservices"
M = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
ET.register_namespace("", ATOM)
ET.register_namespace("d", D)
ET.register_namespace("m", M)


def _xml_value(kind: str, value: Any) -> str:
    if kind == "datetime":
        return str(value.isoformat(timespec="milliseconds"))
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def _atom_entry(record: Shaped, parent: ET.Element | None = None) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry") if parent is None else ET.SubElement(
        parent, f"{{{ATOM}}}entry")
    ET.SubElement(entry, f"{{{ATOM}}}id").text = record.uri
    ET.SubElement(entry, f"{{{ATOM}}}category", {
        "term": record.etype.name,
        "scheme": "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"})
    ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "edit", "href": record.uri})
    for name, nav in record.navs.items():
        link = ET.SubElement(entry, f"{{{ATOM}}}link", {
            "rel": f"http://schemas.microsoft.com/ado/2007/08/dataservices/related/{name}",
            "title": name, "href": nav if isinstance(nav, str) else f"{record.uri}/{name}"})
        if not isinstance(nav, str):
            inline = ET.SubElement(link, f"{{{M}}}inline")
            feed = ET.SubElement(inline, f"{{{ATOM}}}feed")
            for child in nav:
                _atom_entry(child, feed)
    content = ET.SubElement(entry, f"{{{ATOM}}}content", {"type": "application/xml"})
    props = ET.SubElement(content, f"{{{M}}}properties")
    for name, value in record.props.items():
        kind = record.etype.fields[name]
        attrs = {} if kind == "str" else {f"{{{M}}}type": EDM[kind]}
        if value is None:
            attrs[f"{{{M}}}null"] = "true"
        el = ET.SubElement(props, f"{{{D}}}{name}", attrs)
        if value is not None:
            el.text = _xml_value(kind, value)
    return entry


def atom_collection(self_url: str, records: Sequence[Shaped], next_url: str | None) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}title", {"type": "text"}).text = self_url.rsplit("/", 1)[-1]
    for record in records:
        _atom_entry(record, feed)
    if next_url:
        ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "next", "href": next_url})
    return _xml(feed)


def atom_entity(record: Shaped) -> bytes:
    return _xml(_atom_entry(record))


def xml_error(message: str) -> bytes:
    err = ET.Element(f"{{{M}}}error")
    ET.SubElement(err, f"{{{M}}}code").text = ""
    msg = ET.SubElement(err, f"{{{M}}}message", {"{http://www.w3.org/XML/1998/namespace}lang": ""})
    msg.text = message
    return _xml(err)


def _xml(element: ET.Element) -> bytes:
    text: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>' + text


def wants_json(accept: str | None) -> bool:
    return bool(accept) and "application/json" in (accept or "").lower()


def parse_json_body(raw: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "Error processing request stream. The request should be a valid "
                            "top-level resource object.")
    return body

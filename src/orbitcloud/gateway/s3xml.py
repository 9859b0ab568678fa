"""S3's XML bodies: the responses the gateway writes and the two request bodies it reads.

Shapes and element names follow the Amazon S3 API Reference (2006-03-01):
``ListAllMyBucketsResult``, ``ListBucketResult`` (ListObjectsV2), ``InitiateMultipartUploadResult``,
``CompleteMultipartUploadResult``, ``ListPartsResult``, ``CopyObjectResult``, ``DeleteResult``
and ``Error`` ("Error responses": Code, Message, Resource, RequestId). Requests are parsed
with defusedxml (no entities, no external references), and a malformed body is one
:class:`MalformedXMLError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml.ElementTree import fromstring as safe_fromstring

__all__ = [
    "NS",
    "MalformedXMLError",
    "error_xml",
    "iso8601",
    "parse_complete_multipart",
    "parse_delete",
    "xml_bytes",
]

#: The S3 XML namespace.
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
#: Largest request body parsed as XML [bytes] (S3's DeleteObjects takes ≤ 1,000 keys).
MAX_XML_BYTES = 2 * 1024 * 1024


class MalformedXMLError(ValueError):
    """A request body that is not the XML S3 expects (S3 code ``MalformedXML``)."""


def iso8601(t: dt.datetime) -> str:
    """``2026-12-01T15:04:05.000Z``, as S3 writes times in XML."""
    t = t.astimezone(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def xml_bytes(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def element(tag: str, children: Iterable[tuple[str, object]] = (), ns: bool = True) -> Element:
    """``<tag xmlns=NS><k>v</k>...</tag>``; a value that is a list of pairs nests."""
    root = Element(tag, {"xmlns": NS} if ns else {})
    _fill(root, children)
    return root


def _fill(parent: Element, children: Iterable[tuple[str, object]]) -> None:
    for k, v in children:
        child = SubElement(parent, k)
        if isinstance(v, list):
            _fill(child, v)
        elif v is not None:
            child.text = (
                v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
            )


def error_xml(code: str, message: str, resource: str = "", request_id: str = "") -> bytes:
    return xml_bytes(
        element(
            "Error",
            [("Code", code), ("Message", message), ("Resource", resource),
             ("RequestId", request_id)],
            ns=False,
        )
    )  # fmt: skip


def _parse(body: bytes) -> Element:
    if len(body) > MAX_XML_BYTES:
        raise MalformedXMLError(f"the XML body is larger than {MAX_XML_BYTES} bytes")
    try:
        root = safe_fromstring(body)
    except Exception as exc:  # defusedxml raises ParseError, EntitiesForbidden, ...
        raise MalformedXMLError(f"the XML body is not well-formed: {type(exc).__name__}") from None
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(e: Element, name: str) -> list[Element]:
    return [c for c in e if _local(c.tag) == name]


def _text(e: Element, name: str) -> str | None:
    found = _children(e, name)
    return (found[0].text or "") if found else None


@dataclass(frozen=True)
class DeleteRequest:
    keys: list[str]
    quiet: bool


def parse_delete(body: bytes) -> DeleteRequest:
    """``<Delete><Quiet>true</Quiet><Object><Key>k</Key></Object>...</Delete>`` (≤ 1,000)."""
    root = _parse(body)
    if _local(root.tag) != "Delete":
        raise MalformedXMLError("expected a <Delete> document")
    keys = []
    for o in _children(root, "Object"):
        k = _text(o, "Key")
        if k is None:
            raise MalformedXMLError("an <Object> has no <Key>")
        keys.append(k)
    if not 1 <= len(keys) <= 1000:
        raise MalformedXMLError(f"<Delete> must list 1 to 1,000 objects, got {len(keys)}")
    return DeleteRequest(keys, (_text(root, "Quiet") or "").strip().lower() == "true")


def parse_complete_multipart(body: bytes) -> list[tuple[int, str]]:
    """``(part number, ETag)`` of ``<CompleteMultipartUpload><Part>...`` in document order."""
    root = _parse(body)
    if _local(root.tag) != "CompleteMultipartUpload":
        raise MalformedXMLError("expected a <CompleteMultipartUpload> document")
    parts = []
    for p in _children(root, "Part"):
        n, etag = _text(p, "PartNumber"), _text(p, "ETag")
        if n is None or etag is None or not n.strip().isdigit():
            raise MalformedXMLError("each <Part> needs a numeric <PartNumber> and an <ETag>")
        parts.append((int(n), etag.strip()))
    if not parts:
        raise MalformedXMLError("<CompleteMultipartUpload> lists no <Part>")
    return parts


def list_buckets_xml(owner: str, buckets: Sequence[tuple[str, str]]) -> bytes:
    """``buckets``: (name, creation ISO time)."""
    return xml_bytes(
        element(
            "ListAllMyBucketsResult",
            [
                ("Owner", [("ID", owner), ("DisplayName", owner)]),
                ("Buckets", [("Bucket", [("Name", n), ("CreationDate", c)]) for n, c in buckets]),
            ],
        )
    )

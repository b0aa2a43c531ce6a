"""``$batch`` of the simulated Service Layer: the multipart/mixed body (OData's batch format, as SAP's "OData Client
for Service Layer" guide ch. 9 shows it) read into parts and change sets, and the answer written back.

A request part is ``Content-Type: application/http`` followed by the HTTP request (``POST /b1s/v2/Orders HTTP/1.1``,
headers, a blank line, the JSON body). A change set is a nested ``multipart/mixed`` of such parts; ``Content-ID``
headers are echoed in the answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from erpsync.simulators.sap_b1.protocol import API_ROOTS, Request, Response

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           404: "Not Found", 412: "Precondition Failed", 500: "Internal Server Error"}  # fmt: skip


class BatchError(ValueError):
    """A ``$batch`` body the simulator cannot read."""


@dataclass
class Part:
    method: str
    target: str  # as written on the request line: absolute (/b1s/v2/Orders) or relative (Orders)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased
    body: bytes = b""
    content_id: str = ""


Answer = Any  # (Part, Response) for a plain part; a list of them for a change set, or one (Part, Response) failure


def _split(boundary: str, body: bytes) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise BatchError("The $batch body has no parts")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(chunk.strip(b"\r\n"))
    return parts


def _headers_and_rest(chunk: bytes) -> tuple[dict[str, str], bytes]:
    text = chunk.replace(b"\r\n", b"\n")
    head, _, rest = text.partition(b"\n\n")
    headers = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _request_part(headers: dict[str, str], rest: bytes) -> Part:
    if "application/http" not in headers.get("content-type", ""):
        raise BatchError("A $batch part must be Content-Type: application/http")
    first, _, remaining = rest.replace(b"\r\n", b"\n").partition(b"\n")
    words = first.decode("utf-8", "replace").split()
    if len(words) < 2:
        raise BatchError("A $batch part has no request line")
    inner_headers, body = _headers_and_rest(remaining)
    return Part(words[0].upper(), words[1], inner_headers, body.strip(), headers.get("content-id", ""))


def parse(content_type: str, body: bytes) -> list[Part | list[Part]]:
    """The parts of a ``$batch`` body; a change set is a list of parts."""
    match = _BOUNDARY.search(content_type)
    if "multipart/mixed" not in content_type.lower() or not match:
        raise BatchError("A $batch request must be multipart/mixed with a boundary")
    parts: list[Part | list[Part]] = []
    for chunk in _split(match.group(1), body):
        headers, rest = _headers_and_rest(chunk)
        inner_type = headers.get("content-type", "")
        if inner_type.lower().startswith("multipart/mixed"):
            inner = _BOUNDARY.search(inner_type)
            if not inner:
                raise BatchError("A change set needs a boundary")
            changes = []
            for change in _split(inner.group(1), rest):
                change_headers, change_rest = _headers_and_rest(change)
                part = _request_part(change_headers, change_rest)
                if part.method == "GET":
                    raise BatchError("A change set may not hold a GET request")
                changes.append(part)
            parts.append(changes)
        else:
            parts.append(_request_part(headers, rest))
    return parts


def sub_request(batch: Request, part: Part) -> Request:
    """The request a part stands for, in the batch's session and version."""
    split = urlsplit(part.target)
    path = unquote(split.path)
    for root in API_ROOTS:
        if path.startswith(root):
            path = path[len(root) :]
            break
    return Request(
        method=part.method,
        path=path.lstrip("/"),
        query=parse_qsl(split.query, keep_blank_values=True),
        headers=part.headers,
        cookies=batch.cookies,
        body=part.body,
        base_url=batch.base_url,
        version=batch.version,
    )


def _http(part: Part, response: Response) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if part.content_id:
        lines.append(f"Content-ID: {part.content_id}")
    lines += ["", f"HTTP/1.1 {response.status} {REASONS.get(response.status, '')}".rstrip()]
    payload = "" if response.body is None else json.dumps(response.body, ensure_ascii=False)
    if payload:
        lines.append(f"Content-Type: {response.content_type}")
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    lines += ["", payload]
    return "\r\n".join(lines)


def render(boundary: str, answers: list[Answer], *, version: int) -> str:
    out = []
    for answer in answers:
        out.append(f"--{boundary}")
        if isinstance(answer, list):
            inner = f"changesetresponse_{boundary.rsplit('_', 1)[-1]}_{len(out)}"
            out.append(f"Content-Type: multipart/mixed;boundary={inner}")
            out.append("")
            for part, response in answer:
                out.append(f"--{inner}")
                out.append(_http(part, response))
            out.append(f"--{inner}--")
        else:
            part, response = answer
            out.append(_http(part, response))
    out.append(f"--{boundary}--")
    return "\r\n".join(out) + "\r\n"

"""Python values to the text parameters of the SQL API, and payload checks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from . import _core
from .errors import InvalidInputError, PayloadError

# one encoder for every payload: json.dumps with options builds a new one per call
_PAYLOAD_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def encode_payload(payload: object) -> str:
    """The JSON text of a payload; raises PayloadError (nothing is sent) when it is
    not a mapping of JSON-serialisable values."""
    if not isinstance(payload, Mapping):
        raise PayloadError(
            f"payload must be a dict (a JSON object), not {type(payload).__name__}"
        )
    try:
        return _PAYLOAD_ENCODER.encode(payload)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"payload is not JSON-serialisable: {exc}") from None


def encode_payloads(payloads: Iterable[object]) -> str:
    """A JSON array of payloads, each checked as by :func:`encode_payload`."""
    if isinstance(payloads, (str, bytes, Mapping)):
        raise PayloadError("payloads must be a list of dicts")
    return "[" + ",".join(encode_payload(p) for p in payloads) + "]"


def integer(value: object, name: str) -> str:
    """An int parameter; bool and other types are rejected before anything is sent."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be an int, not {type(value).__name__}")
    return str(value)


def optional_integer(value: object, name: str) -> str | None:
    """An int parameter or NULL."""
    return None if value is None else integer(value, name)


def positive(value: object, name: str) -> int:
    """A positive int argument (bool and other types rejected)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int, not {value!r}")
    return value


def text(value: object, name: str) -> str:
    """A text parameter (a queue name, a hostname)."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a str, not {type(value).__name__}")
    return value


def optional_text(value: object, name: str) -> str | None:
    """A text parameter or NULL."""
    return None if value is None else text(value, name)


def optional_texts(values: Iterable[object] | None, name: str) -> str | None:
    """A list of str or None as a JSON array (NULL for None), each element checked."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise InvalidInputError(f"{name} must be a list")
    return json.dumps([optional_text(v, name) for v in values])


def optional_ints(values: Iterable[object] | None, name: str) -> str | None:
    """A list of int or None as an int[] literal (NULL for None), each element checked."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise InvalidInputError(f"{name} must be a list")
    return optional_int_array([None if v is None else int(integer(v, name)) for v in values])


def seconds(value: object, name: str) -> str:
    """A duration (seconds as int/float, or a timedelta) as a float parameter."""
    if isinstance(value, timedelta):
        return repr(value.total_seconds())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"{name} must be seconds or a timedelta, not {type(value).__name__}")
    return repr(float(value))


def id_array(values: Iterable[object], name: str) -> str:
    """A bigint[] literal such as ``{1,2,3}`` (the C++ client's array_literal)."""
    if isinstance(values, (str, bytes)):
        raise InvalidInputError(f"{name} must be a list of ints")
    return _core.array_literal([int(integer(v, name)) for v in values])


def optional_int_array(values: Iterable[int | None]) -> str:
    """An int[] literal whose elements may be NULL."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def interval(value: object, name: str) -> str:
    """A duration (seconds as int/float, or a timedelta) as an interval parameter."""
    return _core.seconds_interval(float(seconds(value, name)))


def check_schema(name: object) -> str:
    """A schema name the client can quote (the C++ Statements quote it)."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise InvalidInputError(f"invalid schema name {name!r}")
    return name


def decode_json(value: str | None) -> Any:
    """A JSON column value."""
    return None if value is None else json.loads(value)

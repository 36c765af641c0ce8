"""Query strings as the HoneyHive API parses them: one pure function, no I/O.

The data plane spec (v1.2.1) sets no `style`, `explode` or `content` on any query parameter,
so the rules follow the parameter types and descriptions it gives, and the server's parser:

============================  ===============================  ==================================
value                         sent as                          spec parameters it covers
============================  ===============================  ==================================
``None``                      left out                         every optional parameter
``True`` / ``False``          ``true`` / ``false``             ``GET /v1/queues`` ``enabled``
``str``, ``int``, ``float``   the value                        ids, names, enums, ``page``,
                                                               ``limit``
list or tuple of scalars      ``key[]=a&key[]=b`` (``None``    ``GET /v1/datapoints``
                              items left out; an empty list    ``datapoint_ids``,
                              sends nothing)                   ``GET /v1/runs`` ``run_ids``
mapping or Struct, or a list  one JSON-encoded value           ``dateRange`` (``{$gte, $lte}``),
that holds one                                                 ``filters`` ("JSON string or array
                                                               of filter objects"), ``filter``
anything else, alone or in a  ``TypeError`` naming the key     (a ``datetime`` or ``UUID`` has
list                                                           no one encoding: pass a str)
============================  ===============================  ==================================

Lists use repeated bracket keys because the server's parser rejects a single bare value for a
list parameter (the official SDK switched to brackets for that reason). Keys keep their
brackets literally; every other character outside RFC 3986's unreserved set is
percent-encoded (a space as ``%20``, never ``+``), so the query arrives exactly as built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec

__all__ = ["Query", "encode_query"]

Query = Mapping[str, Any]
"""Query parameters by name; see the module docstring for how each kind of value is sent."""

_SCALARS = (str, int, float)
_OBJECTS = (Mapping, msgspec.Struct)


def _mapping_as_dict(value: object) -> object:
    # msgspec encodes dicts natively but no other Mapping (a MappingProxyType, a ChainMap).
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Encoding objects of type {type(value).__name__} is unsupported")


_encode_json = msgspec.json.Encoder(enc_hook=_mapping_as_dict).encode


def encode_query(params: Query) -> str:
    """Return `params` as a percent-encoded query string, without the leading ``?``.

    Raises:
        TypeError: a value of a kind the API has no encoding for (a `datetime`, a set, ...).
    """
    pairs: list[str] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            if any(isinstance(item, _OBJECTS) for item in value):
                pairs.append(quote(key, safe="") + "=" + _json(key, value))
                continue
            name = quote(key, safe="") + "[]="
            for item in value:
                if item is None:
                    continue
                if not isinstance(item, _SCALARS):
                    raise TypeError(
                        f"query parameter {key!r}: cannot send a {type(item).__name__} in a "
                        "list; pass str, int, float or bool items, or mappings or Structs"
                    )
                pairs.append(name + _scalar(item))
        elif isinstance(value, _SCALARS):
            pairs.append(quote(key, safe="") + "=" + _scalar(value))
        elif isinstance(value, _OBJECTS):
            pairs.append(quote(key, safe="") + "=" + _json(key, value))
        else:
            raise TypeError(
                f"query parameter {key!r}: cannot send a {type(value).__name__}; "
                "pass a str, int, float, bool, list, mapping or Struct"
            )
    return "&".join(pairs)


def _scalar(value: str | int | float) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return quote(value if isinstance(value, str) else str(value), safe="")


def _json(key: str, value: object) -> str:
    try:
        return quote(_encode_json(value), safe="")
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"query parameter {key!r}: cannot JSON-encode it: {exc}") from None

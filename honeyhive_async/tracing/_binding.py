"""`Binder`: a traced call's arguments as ``{parameter: value}``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["Binder"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class Binder:
    """Maps a call's arguments to parameter names, defaults applied, `self`/`cls` dropped."""

    __slots__ = ("_all", "_defaults", "_drop", "_names", "_signature", "_simple")

    def __init__(self, func: Callable[..., Any], *, is_method: bool | None = None) -> None:
        try:
            self._signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            self._signature = None
        params = list(self._signature.parameters.values()) if self._signature else []
        first = params[0] if params else None
        if is_method is None:
            is_method = (
                first is not None and first.kind in _POSITIONAL and first.name in ("self", "cls")
            )
        self._drop = first.name if is_method and first is not None else None
        self._names = tuple(p.name for p in params)
        self._defaults = {p.name: p.default for p in params if p.default is not p.empty}
        self._simple = self._signature is not None and all(
            p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params
        )
        self._all = _dict_of(self._names, self._drop) if self._simple else None
        """Binds a call that passed every parameter by position (the common call)."""

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Return ``{parameter: value}`` for a call; never raises."""
        if not kwargs and self._all is not None and len(args) == len(self._names):
            return self._all(args)
        if self._simple and len(args) <= len(self._names):
            bound = dict(zip(self._names, args))  # noqa: B905 (strict=False costs 0.5 us)
            if kwargs:
                bound.update(kwargs)
            if len(bound) < len(self._names):
                for name, default in self._defaults.items():
                    if name not in bound:
                        bound[name] = default
        elif self._signature is not None:
            try:
                ba = self._signature.bind(*args, **kwargs)
            except TypeError:
                # The call itself will raise; record what was passed.
                return {"args": list(args), "kwargs": kwargs}
            ba.apply_defaults()
            bound = dict(ba.arguments)
        else:
            return {"args": list(args), "kwargs": kwargs}
        if self._drop is not None:
            bound.pop(self._drop, None)
        return bound


def _dict_of(
    names: tuple[str, ...], drop: str | None
) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """``args -> {names[0]: args[0], ...}`` without `drop`, as one dict display.

    Made once per traced function: `dict(zip(names, args))` cost the exporter about 3,000
    instructions a span (issue 14), a display of the same pairs a tenth of that. The names
    are parameter names (identifiers), written as literals with `repr`.
    """
    pairs = ", ".join(f"{name!r}: args[{i}]" for i, name in enumerate(names) if name != drop)
    made: Callable[[tuple[Any, ...]], dict[str, Any]] = eval(
        f"lambda args: {{{pairs}}}", {"__builtins__": {}}
    )
    return made

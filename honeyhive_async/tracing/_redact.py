"""Rules that find secrets by key name and by value inside text; repair of unencodable text.

By value: the tracer's own key, credential shapes, secret URL parameters.

Everything here runs in the exporter thread (through the `Sanitizer`), never on the caller's path.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from .._scrub import REDACTED

__all__ = [
    "DEFAULT_REDACT_KEYS",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "REDACTION_FAILED",
    "KeyRule",
    "Scrubber",
    "normal_key",
    "repair_text",
    "repaired_json",
]


DEFAULT_REDACT_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "authorization",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "access_token",
        "refresh_token",
        "token",
        "bearer",
        "jwt",
        "auth",
        "credential",
        "credentials",
        "secrets",
        "passphrase",
        "cookie",
        "set-cookie",
        "x-api-key",
        "private_key",
        "secret_key",
    }
)
"""Keys whose values are replaced wherever they appear (compared in snake case, suffixes too)."""

REDACTION_FAILED = "[REDACTION FAILED]"
"""What a field becomes when the user's redaction hook raises: never the value itself."""


MIN_SECRET_LENGTH = 8
"""Shorter values given as `secrets` are not scrubbed by value: they would hit ordinary text."""

_SCAN_MARGIN = 512
"""Characters read past a cut, so that a secret straddling the cut is still recognised whole."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[\s.\-_]+")

# `<word>_token` where the word says the value counts or names tokens, not a credential:
# max_token, prompt_token, eos_token, pad_token... LLM apps log these everywhere.
_COUNTED = frozenset(
    {
        "max", "min", "num", "n", "new", "input", "output", "prompt", "completion", "total",
        "reasoning", "cached", "cache", "stop", "special", "bos", "eos", "pad", "unk", "sep",
        "cls", "mask", "start", "end", "first", "last",
    }
)  # fmt: skip

# Query parameters that carry credentials although no key rule names them.
_URL_SECRET_PARAMS = frozenset({"key", "sig", "signature", "x_amz_credential", "x_goog_credential"})


def _word(literal: str) -> str:
    r"""`literal` at the start of a word, its first character kept as a plain literal.

    Every branch of the pattern starts with a literal character so that `re` can skip to the
    positions where one may start (its "charset prefix"): a ``\b`` or a group first would make
    it try every branch at every position, ten times slower on ordinary text.
    """
    first = re.escape(literal[0])
    return f"{first}(?<![A-Za-z0-9_]{first}){re.escape(literal[1:])}"


_TOKEN = r"[A-Za-z0-9._~+/=-]{8,}"
_NAME = r"[A-Za-z0-9_.\-\[\]]*?(?i:key|token|secret|password|passwd|pwd|sig|signature|auth|credentials?|bearer)="
_CREDENTIAL_SHAPES = [
    # `Bearer <token>`, keeping the word; a plain word after it ("bearer tokens") is prose.
    *(rf"{_word(w)}\s+(?![A-Za-z][a-z]*\b){_TOKEN}" for w in ("Bearer", "bearer", "BEARER")),
    # OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-api03-...) and the many look-alikes.
    rf"{_word('sk-')}[A-Za-z0-9_-]{{20,}}",
    # GitHub tokens, AWS access key ids, Google API keys, Slack tokens.
    rf"{_word('gh')}[pousr]_[A-Za-z0-9]{{30,}}",
    rf"{_word('github_pat_')}[A-Za-z0-9_]{{30,}}",
    rf"{_word('AKIA')}[0-9A-Z]{{16}}\b",
    rf"{_word('ASIA')}[0-9A-Z]{{16}}\b",
    rf"{_word('AIza')}[A-Za-z0-9_-]{{35}}",
    rf"{_word('xox')}[abposr]-[A-Za-z0-9-]{{10,}}",
    # `?api_key=...&accessToken=...`: the name is checked by the key rule in `_replace`.
    *(rf"\{sep}{_NAME}[^&#;\s\"'<>]+" for sep in "?&;"),
    # `scheme://user:password@host`
    r"://[^/\s:@\"'<>]+:[^/\s@\"'<>]+(?=@)",
]


def repair_text(text: str) -> str:
    """Return `text` with what UTF-8 cannot encode (lone surrogates) replaced by U+FFFD.

    A valid surrogate pair (text decoded from UTF-16 by hand) becomes the character it encodes.
    """
    if text.isascii():  # the common case, without encoding a copy
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def repaired_json(value: Any, depth: int) -> Any:
    """`value` (already JSON-safe) with every string and key made encodable."""
    if type(value) is str:
        return repair_text(value)
    if depth <= 0:
        return "[max depth reached]"
    if isinstance(value, dict):
        return {repair_text(str(k)): repaired_json(v, depth - 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [repaired_json(v, depth - 1) for v in value]
    if isinstance(value, str):
        return repair_text(value)
    return value


def _shortest_match(pattern: re.Pattern[str]) -> int:
    """The fewest characters `pattern` can match, as `re` computes it (0 if it cannot tell)."""
    try:
        parser: Any = importlib.import_module("re._parser")  # Python 3.11+
    except ImportError:
        parser = importlib.import_module("sre_parse")
    try:
        return max(0, int(parser.parse(pattern.pattern, pattern.flags).getwidth()[0]))
    except Exception:  # a private module: never let its change cost more than the saving
        return 0


def normal_key(key: str) -> str:
    """``"openaiApiKey"``, ``"X-Api-Key"``, ``" api key "`` -> ``"openai_api_key"``, ``"x_api_key"``..."""
    return _SEPARATORS.sub("_", _CAMEL.sub("_", key.strip())).strip("_").lower()


class KeyRule:
    """Tells whether a key names a secret: exact match or suffix after normalization.

    ``api_key`` covers ``openaiApiKey``; ``token`` covers ``accessToken`` but not ``max_tokens``,
    ``token_count`` or ``prompt_token``.
    """

    __slots__ = ("keys", "suffixes")

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(normal_key(k) for k in keys)
        self.suffixes = tuple("_" + k for k in self.keys)

    def matches(self, key: str) -> bool:
        norm = normal_key(key)
        if norm in self.keys:
            return True
        if not norm.endswith(self.suffixes):
            return False
        head, _, last = norm.rpartition("_")
        return not (last == "token" and head.rpartition("_")[2] in _COUNTED)


class Scrubber:
    """Replaces secrets found inside text by ``"[REDACTED]"``.

    Args:
        secrets: Exact values to remove wherever they appear (the tracer's own API key).
        credentials: Also remove the common credential shapes (``Bearer <token>``, ``sk-...``,
            ``ghp_...``, ``AKIA...``, secret URL parameters and passwords in URLs).
        key_rule: Decides which URL parameter names are secret.
    """

    __slots__ = ("_own", "_pattern", "_rule", "search", "shortest")

    def __init__(self, secrets: Iterable[str], *, credentials: bool, key_rule: KeyRule) -> None:
        self._rule = key_rule
        values = sorted(
            {s for s in secrets if len(s.strip()) >= MIN_SECRET_LENGTH},
            key=len,
            reverse=True,  # the longest first: one secret may contain another
        )
        self._own = frozenset(values)
        branches = [re.escape(v) for v in values]
        if credentials:
            branches += _CREDENTIAL_SHAPES
        self._pattern = re.compile("|".join(branches)) if branches else None
        self.search: Callable[[str], object] | None = (
            None if self._pattern is None else self._pattern.search
        )
        self.shortest = 0 if self._pattern is None else _shortest_match(self._pattern)
        """Fewest characters a match takes: shorter text needs no search (a call saved)."""

    @classmethod
    def build(
        cls, secrets: Iterable[str], *, credentials: bool, key_rule: KeyRule
    ) -> Scrubber | None:
        """A scrubber, or None when there is nothing to look for (no cost at all then)."""
        scrubber = cls(secrets, credentials=credentials, key_rule=key_rule)
        return None if scrubber._pattern is None else scrubber

    def sub(self, text: str) -> str:
        assert self._pattern is not None
        return self._pattern.sub(self._replace, text)

    def cut(self, text: str, limit: int) -> str:
        """The first `limit` characters of `text`, scrubbed as if the text were whole.

        Matches are looked for a little past the cut, so a secret that starts before it is
        removed entirely rather than left as a recognisable prefix.
        """
        assert self._pattern is not None
        parts: list[str] = []
        pos = 0
        for match in self._pattern.finditer(text, 0, limit + _SCAN_MARGIN):
            start = match.start()
            if start >= limit:
                break
            parts.append(text[pos:start])
            parts.append(self._replace(match))
            pos = match.end()
        if pos < limit:
            parts.append(text[pos:limit])
        return "".join(parts)

    def _replace(self, match: re.Match[str]) -> str:
        text = match[0]
        if text in self._own:
            return REDACTED
        first = text[0]
        if first in "bB":  # Bearer <token>: keep the word
            return text[: len(text) - len(text.lstrip("BEARbear"))] + " " + REDACTED
        if first in "?&;":
            return self._query(text)
        if first == ":":  # ://user:password
            return text[: text.index(":", 3) + 1] + REDACTED
        return REDACTED

    def _query(self, text: str) -> str:
        name, value = text.split("=", 1)
        norm = normal_key(name[1:].replace("[", "_").replace("]", ""))
        if self._rule.matches(norm) or norm in _URL_SECRET_PARAMS:
            return f"{name}={REDACTED}"
        if norm.endswith(("_signature", "_credential")):
            return f"{name}={REDACTED}"
        # Not a secret name, but the value may still hold a secret (the own key, a shape).
        return f"{name}={self.sub(value)}"

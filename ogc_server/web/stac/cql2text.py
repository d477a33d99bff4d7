"""A CQL2 text parser with CQL2's operator precedence, built from pygeofilter's grammar.

:func:`standard` first rewrites what the grammar does not know at all (function-style temporal
predicates, ``T_DISJOINT``, date and open interval bounds); :func:`parse` then parses.

pygeofilter 0.3 reads ``a OR b AND c`` as ``(a OR b) AND c`` (AND and OR share one level),
refuses ``NOT (...)`` and cannot write a quote inside a string (``'it''s'``). This module loads
the library's own grammar, corrects those rules (AND binds tighter than OR, NOT applies to a
parenthesised condition, ``''`` is a quote) and keeps its transformer, so the ASTs are the same
as the library's everywhere else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, v_args
from pygeofilter.parsers.cql2_text.parser import CQLTransformer

_CONDITIONS_BEFORE = '''?condition: condition_1
          | condition "AND"i condition_1                                 -> and_
          | condition "OR"i condition_1                                   -> or_

?condition_1: predicate
            | "NOT"i predicate                                               -> not_
            | "(" condition ")"
'''
_CONDITIONS_AFTER = '''?condition: disjunction
?disjunction: conjunction
            | disjunction "OR"i conjunction                                -> or_
?conjunction: condition_1
            | conjunction "AND"i condition_1                               -> and_

?condition_1: predicate
            | "NOT"i condition_1                                             -> not_
            | "(" condition ")"
'''
_QUOTED_BEFORE = "SINGLE_QUOTED: \"'\" /.*?/ \"'\""
_QUOTED_AFTER = "SINGLE_QUOTED: /'([^']|'')*'/"


@v_args(meta=False, inline=True)
class _Transformer(CQLTransformer):
    def SINGLE_QUOTED(self, token: Any) -> str:  # noqa: N802 - the terminal's name
        return str(token)[1:-1].replace("''", "'")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    package = resources.files("pygeofilter.parsers.cql2_text")
    grammar = (package / "grammar.lark").read_text(encoding="utf-8")
    for before, after in ((_CONDITIONS_BEFORE, _CONDITIONS_AFTER),
                          (_QUOTED_BEFORE, _QUOTED_AFTER)):
        if before not in grammar:
            raise RuntimeError("pygeofilter's CQL2 text grammar changed; review cql2text.py")
        grammar = grammar.replace(before, after)
    directory = Path(str(package))
    return Lark(grammar, parser="lalr", maybe_placeholders=False, transformer=_Transformer(),
                import_paths=[str(directory.parent)], source_path=str(directory / "x.lark"))


def parse(text: str) -> Any:
    """The pygeofilter AST of a CQL2 text expression."""
    return _parser().parse(text)


# Rewriting CQL2 text to what the grammar reads ------------------------------------------------


def standard(text: str) -> str:
    """CQL2 text as the parser reads it.

    The parser knows temporal predicates only infix (``datetime T_INTERSECTS INTERVAL(...)``),
    not ``T_DISJOINT``, and interval bounds only as full date-times, while CQL2 writes
    ``T_INTERSECTS(a, b)`` and allows dates and open ends (``'..'``) as bounds: all are
    rewritten (outside literals).
    """
    match = _first_outside_quotes(_TEMPORAL_CALL, text)
    if match is not None:
        close = _closing_parenthesis(text, match.end())
        args = _split_arguments(text[match.end():close]) if close is not None else []
        if len(args) == 2:
            lhs, rhs = (standard(a.strip()) for a in args)
            op = match.group(1).upper()
            predicate = (f"(NOT ({lhs} T_INTERSECTS {rhs}))" if op == "T_DISJOINT"
                         else f"({lhs} {op} {rhs})")
            return f"{text[:match.start()]}{predicate}{standard(text[close + 1:])}"
    return _INTERVAL.sub(_interval_bounds, text)


_TEMPORAL_CALL = re.compile(r"\b(T_[A-Za-z]+)\s*\(")
_INTERVAL = re.compile(r"INTERVAL\s*\(\s*'([^']*)'\s*,\s*'([^']*)'\s*\)", re.IGNORECASE)
_OPEN_START, _OPEN_END = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"


def _interval_bounds(match: re.Match[str]) -> str:
    start, end = match.group(1).strip(), match.group(2).strip()
    if start in ("", ".."):
        start = _OPEN_START
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", start):
        start += "T00:00:00Z"
    if end in ("", ".."):
        end = _OPEN_END
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", end):
        end += "T23:59:59.999999Z"
    return f"INTERVAL('{start}','{end}')"


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans, i = [], 0
    while i < len(text):
        if text[i] in "'\"":
            quote, j = text[i], i + 1
            while j < len(text) and not (text[j] == quote and text[j + 1:j + 2] != quote):
                j += 2 if text[j] == quote else 1
            spans.append((i, j))
            i = j + 1
        else:
            i += 1
    return spans


def _first_outside_quotes(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    spans = _quoted_spans(text)
    for match in pattern.finditer(text):
        if not any(a <= match.start() <= b for a, b in spans):
            return match
    return None


def _closing_parenthesis(text: str, start: int) -> int | None:
    depth, quote = 1, None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


def _split_arguments(text: str) -> list[str]:
    parts, depth, quote, current = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts

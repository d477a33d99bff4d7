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

import bisect
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


def standard(text: str, depth: int = 0) -> str:
    """CQL2 text as the parser reads it.

    The parser knows temporal predicates only infix (``datetime T_INTERSECTS INTERVAL(...)``),
    not ``T_DISJOINT``, and interval bounds only as full date-times, while CQL2 writes
    ``T_INTERSECTS(a, b)`` and allows dates and open ends (``'..'``) as bounds: all are
    rewritten (outside literals).
    """
    if depth > MAX_NESTING:
        raise ValueError(f"temporal predicates nest too deeply ({MAX_NESTING} at most)")
    spans = _quoted_spans(text)
    starts = [a for a, _ in spans]
    closing = _parenthesis_pairs(text)
    out, position = [], 0
    for match in _TEMPORAL_CALL.finditer(text):
        at = bisect.bisect_right(starts, match.start()) - 1
        if match.start() < position or (at >= 0 and match.start() <= spans[at][1]):
            continue
        close = closing.get(match.end() - 1)
        args = _split_arguments(text[match.end():close]) if close is not None else []
        if close is None or len(args) != 2:
            continue  # left as written: the parser reports it
        lhs, rhs = (standard(a.strip(), depth + 1) for a in args)
        op = match.group(1).upper()
        out += [text[position:match.start()],
                f"(NOT ({lhs} T_INTERSECTS {rhs}))" if op == "T_DISJOINT"
                else f"({lhs} {op} {rhs})"]
        position = close + 1
    out.append(text[position:])
    return _INTERVAL.sub(_interval_bounds, "".join(out))


MAX_NESTING = 8
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


def _parenthesis_pairs(text: str) -> dict[int, int]:
    """Position of each opening parenthesis outside literals -> its closing one."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    quote = None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            pairs[opened.pop()] = i
    return pairs


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

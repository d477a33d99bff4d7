"""A CQL2 text parser with CQL2's operator precedence, built from pygeofilter's grammar.

pygeofilter 0.3 reads ``a OR b AND c`` as ``(a OR b) AND c`` (AND and OR share one level),
refuses ``NOT (...)`` and cannot write a quote inside a string (``'it''s'``). This module loads
the library's own grammar, corrects those rules (AND binds tighter than OR, NOT applies to a
parenthesised condition, ``''`` is a quote) and keeps its transformer, so the ASTs are the same
as the library's everywhere else.
"""

from __future__ import annotations

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

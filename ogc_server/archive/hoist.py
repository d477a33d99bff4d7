"""Filter conjuncts moved into a query's structured fields, so filters get the indexed plans.

A :class:`~ogc_server.archive.query.ProductQuery` ANDs its structured fields (collections,
geometry, acquisition period, properties) with its ``filter``. The store reads the structured
fields through the R*Tree (SQLite) or the GiST index over collection, period and footprint
(PostGIS) and picks a B-tree for tile, orbit or identifier; a filter AST compiles to plain
conditions that only refine what the plan reads. CSW, OGC API Records and STAC ``filter``
state their whole question as a filter, so without this step the same question asked through
CSW scans the date index where OpenSearch reads the R*Tree.

:func:`hoist_filter` moves the filter's top-level AND terms that say exactly what a free
structured field says into that field and leaves the rest in the filter. The answer is the
same by construction (the fields and the filter are ANDed either way); a term that does not
translate exactly, or whose field is already taken, stays in the filter, and so does anything
the filter compiler would refuse, so that its error stays the one the client sees.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from pygeofilter import ast

from ogc_server.archive.filters import FilterTerms
from ogc_server.archive.query import SPATIAL_RELATIONS, ProductQuery, Range, resolve_name
from ogc_server.errors import InvalidQuery

EQ, LT, LE, GT, GE = (ast.ComparisonOp.EQ, ast.ComparisonOp.LT, ast.ComparisonOp.LE,
                      ast.ComparisonOp.GT, ast.ComparisonOp.GE)
#: Properties whose equality (or list of values) the store can serve from a B-tree index.
_EQUALITY = frozenset({"identifier", "tile_id", "orbit_number", "relative_orbit_number",
                       "file_name"})
#: The conjuncts of one filter looked at, at most (the compiler limits the filter's size).
_MAX_TERMS = 500


def hoist_filter(query: ProductQuery) -> ProductQuery:
    """``query`` with the filter's hoistable AND terms in its structured fields (a copy)."""
    if query.filter is None:
        return query
    terms = _conjuncts(query.filter)
    if terms is None:
        return query
    out = dataclasses.replace(query, where=dict(query.where))
    reader = FilterTerms()
    period = _Period(free=query.start is None and query.end is None)
    rest: list[ast.Node] = []
    for term in terms:
        try:
            taken = (_take_collection(out, term) or _take_equality(out, term, reader)
                     or _take_cloud(out, term, reader) or _take_space(out, term, reader)
                     or period.take(term, reader))
        except InvalidQuery:
            taken = False  # the compiler reports it, with its own message
        if not taken:
            rest.append(term)
    rest.extend(period.settle(out))
    out.filter = _and(rest)
    return out


def _conjuncts(node: ast.Node) -> list[ast.Node] | None:
    """The terms of a top-level AND chain in order, or ``None`` when there are too many."""
    terms: list[ast.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.And):
            stack.extend((current.rhs, current.lhs))
        elif isinstance(current, ast.Include) and not current.not_:
            continue  # INCLUDE adds nothing to an AND
        else:
            terms.append(current)
        if len(terms) + len(stack) > _MAX_TERMS:
            return None
    return terms


def _and(terms: list[ast.Node]) -> ast.Node | None:
    if not terms:
        return None
    combined = terms[0]
    for term in terms[1:]:
        combined = ast.And(combined, term)
    return combined


def _op(node: ast.Node) -> ast.ComparisonOp | None:
    """The comparison operator of a binary comparison term."""
    return node.op if isinstance(node, ast.Comparison) else None


def _attribute(node: ast.Node) -> str | None:
    """The canonical property the term's left side names, if it is a known property."""
    lhs = getattr(node, "lhs", None)
    if not isinstance(lhs, ast.Attribute):
        return None
    try:
        return resolve_name(lhs.name)
    except InvalidQuery:
        return None


def _take_collection(out: ProductQuery, term: ast.Node) -> bool:
    if out.collections or _attribute(term) != "collection":
        return False
    if _op(term) == EQ and isinstance(term.rhs, str) and "\x00" not in term.rhs:
        out.collections = [term.rhs]
        return True
    if (isinstance(term, ast.In) and not term.not_ and term.sub_nodes
            and all(isinstance(v, str) and "\x00" not in v for v in term.sub_nodes)):
        out.collections = list(term.sub_nodes)
        return True
    return False


def _take_equality(out: ProductQuery, term: ast.Node, reader: FilterTerms) -> bool:
    name = _attribute(term)
    if name not in _EQUALITY or name in out.where:
        return False
    if _op(term) == EQ:
        out.where[name] = reader.value(name, term.rhs)
        return True
    if isinstance(term, ast.In) and not term.not_ and term.sub_nodes:
        out.where[name] = [reader.value(name, v) for v in term.sub_nodes]
        return True
    return False


def _take_cloud(out: ProductQuery, term: ast.Node, reader: FilterTerms) -> bool:
    """A cloud-cover bound or range (the R*Tree has a cloud axis)."""
    if _attribute(term) != "cloud_cover" or "cloud_cover" in out.where:
        return False
    if isinstance(term, ast.Between) and not term.not_:
        low, high = reader.value("cloud_cover", term.low), reader.value("cloud_cover", term.high)
        out.where["cloud_cover"] = Range(low, high)
        return True
    bounds = {
        LE: lambda v: Range(high=v),
        LT: lambda v: Range(high=v, high_inclusive=False),
        GE: lambda v: Range(low=v),
        GT: lambda v: Range(low=v, low_inclusive=False),
    }
    make = bounds.get(_op(term))
    if make is None:
        return False
    out.where["cloud_cover"] = make(reader.value("cloud_cover", term.rhs))
    return True


def _take_space(out: ProductQuery, term: ast.Node, reader: FilterTerms) -> bool:
    if out.geometry is not None:
        return False
    found = reader.spatial(term)
    if found is None:
        return False
    geometry, relation = found
    if relation not in SPATIAL_RELATIONS - {"disjoint"}:
        return False
    out.geometry, out.spatial_relation = geometry, relation
    return True


class _Period:
    """The acquisition period, from a temporal predicate or from start/end comparisons.

    ``end >= a`` and ``start <= b`` are what "intersects [a, b]" tests (either may be absent);
    ``start >= a`` and ``end <= b`` what "during [a, b]" tests. Comparisons are collected over
    the whole filter and become one period when they make one; the others go back.
    """

    def __init__(self, free: bool):
        self.free = free
        self.predicate: tuple[datetime | None, datetime | None, str] | None = None
        self.bounds: dict[str, tuple[datetime, ast.Node]] = {}

    _ROLES = {  # (property, comparison) -> (relation, which bound)
        ("end", GE): "intersects_low",
        ("start", LE): "intersects_high",
        ("start", GE): "during_low",
        ("end", LE): "during_high",
    }

    def take(self, term: ast.Node, reader: FilterTerms) -> bool:
        if not self.free:
            return False
        if isinstance(term, ast.TemporalPredicate):
            if self.predicate is not None:
                return False
            found = reader.period(term)
            if found is None:
                return False
            self.predicate = found
            return True
        role = self._ROLES.get((_attribute(term), _op(term)))
        if role is None or role in self.bounds:
            return False
        self.bounds[role] = (reader.value(_attribute(term), term.rhs), term)
        return True

    def settle(self, out: ProductQuery) -> list[ast.Node]:
        """Set ``out``'s period; the terms that did not become it, to go back to the filter."""
        if self.predicate is not None:
            out.start, out.end, out.time_relation = self.predicate
            return [term for _, term in self.bounds.values()]
        for relation in ("intersects", "during"):
            low = self.bounds.get(f"{relation}_low")
            high = self.bounds.get(f"{relation}_high")
            if low is None and high is None:
                continue
            if low is not None and high is not None and low[0] > high[0]:
                continue  # no period (the terms may still match: they stay in the filter)
            out.start = low[0] if low else None
            out.end = high[0] if high else None
            out.time_relation = relation
            return [term for role, (_, term) in self.bounds.items()
                    if not role.startswith(relation)]
        return [term for _, term in self.bounds.values()]

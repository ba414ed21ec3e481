"""A small, deterministic greedy all-pairs generator over named dimensions with constraints.

:func:`covering_rows` returns rows (one value per dimension) such that every pair of values
of two dimensions that some allowed row can hold appears in at least one row. Constraints
are forbidden combinations (:class:`Forbidden`): a row, or a partial one, is refused when it
holds one value of each of a combination's dimensions. The greedy is AETG's: each new row
starts from a pair not covered yet and takes, dimension by dimension, the value covering
most uncovered pairs; of a few such candidates, the one covering most is kept.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

Pair = tuple[tuple[str, str], tuple[str, str]]


@dataclass(frozen=True)
class Forbidden:
    """A combination no row may hold: one value of each listed dimension, together."""

    reason: str
    values: tuple[tuple[str, frozenset[str]], ...]

    @classmethod
    def of(cls, reason: str, **values: Iterable[str]) -> Forbidden:
        return cls(reason, tuple((dim, frozenset(vals)) for dim, vals in values.items()))

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(dim for dim, _ in self.values)

    def matches(self, row: Mapping[str, str]) -> bool:
        """True when ``row`` (complete or partial) holds this combination."""
        return all(dim in row and row[dim] in vals for dim, vals in self.values)

    def matches_with(self, row: Mapping[str, str], new_dim: str, new_value: str) -> bool:
        """:meth:`matches` of ``row`` with ``new_dim = new_value`` (without copying it)."""
        for dim, vals in self.values:
            value = new_value if dim == new_dim else row.get(dim)
            if value is None or value not in vals:
                return False
        return True


def permitted(row: Mapping[str, str], forbidden: Iterable[Forbidden]) -> bool:
    """True when no forbidden combination is held by ``row`` (complete or partial)."""
    return not any(combination.matches(row) for combination in forbidden)


class Rules:
    """The forbidden combinations by dimension, to check one new value against a row."""

    def __init__(self, dimensions: Mapping[str, tuple[str, ...]], forbidden: list[Forbidden]):
        self.dimensions = dimensions
        self.by_dimension: dict[str, list[Forbidden]] = defaultdict(list)
        for combination in forbidden:
            for dim in combination.dimensions:
                self.by_dimension[dim].append(combination)
        self.constrained = [dim for dim in dimensions if dim in self.by_dimension]

    def allows(self, row: Mapping[str, str], dim: str, value: str) -> bool:
        """Whether an allowed ``row`` stays allowed with ``dim = value``."""
        return not any(
            combination.matches_with(row, dim, value) for combination in self.by_dimension[dim]
        )

    def completable(self, row: Mapping[str, str]) -> bool:
        """Whether an allowed partial row extends to a complete allowed one.

        Only constrained dimensions can refuse a value, so only they are searched: first
        greedily (each takes its first allowed value, the usual success), then by a search
        that takes the dimension with the fewest allowed values first and gives up as soon
        as one has none left.
        """
        row = dict(row)
        rest = [dim for dim in self.constrained if dim not in row]
        greedy = dict(row)
        for dim in rest:
            value = next((v for v in self.dimensions[dim] if self.allows(greedy, dim, v)), None)
            if value is None:
                break
            greedy[dim] = value
        else:
            return True
        return self._search(row, set(rest))

    def _search(self, row: dict[str, str], rest: set[str]) -> bool:
        if not rest:
            return True
        fewest: tuple[str, list[str]] | None = None
        for dim in sorted(rest):
            values = [value for value in self.dimensions[dim] if self.allows(row, dim, value)]
            if not values:
                return False
            if fewest is None or len(values) < len(fewest[1]):
                fewest = (dim, values)
        assert fewest is not None
        dim, values = fewest
        rest.discard(dim)
        try:
            for value in values:
                row[dim] = value
                if self._search(row, rest):
                    return True
            return False
        finally:
            row.pop(dim, None)
            rest.add(dim)

    def choices(self, row: Mapping[str, str], dim: str) -> list[str]:
        """The values of ``dim`` an allowed partial row can take and still be completed."""
        return [
            value
            for value in self.dimensions[dim]
            if self.allows(row, dim, value) and self.completable({**row, dim: value})
        ]


def all_pairs(dimensions: Mapping[str, tuple[str, ...]], forbidden: list[Forbidden]) -> set[Pair]:
    """Every pair of values of two dimensions that some complete allowed row holds."""
    rules = Rules(dimensions, forbidden)
    alone = {
        (dim, value): rules.completable({dim: value})
        for dim in dimensions
        for value in dimensions[dim]
    }
    pairs = set()
    for dim_a, dim_b in combinations(dimensions, 2):
        for a in dimensions[dim_a]:
            for b in dimensions[dim_b]:
                if not (alone[(dim_a, a)] and alone[(dim_b, b)]):
                    continue
                if dim_a in rules.by_dimension and dim_b in rules.by_dimension:
                    row = {dim_a: a}
                    if not (rules.allows(row, dim_b, b) and rules.completable({**row, dim_b: b})):
                        continue
                pairs.add(((dim_a, a), (dim_b, b)))
    return pairs


def pairs_of(row: Mapping[str, str], dimensions: Mapping[str, tuple[str, ...]]) -> set[Pair]:
    """The pairs a complete row covers."""
    return {
        ((dim_a, row[dim_a]), (dim_b, row[dim_b])) for dim_a, dim_b in combinations(dimensions, 2)
    }


def covering_rows(
    dimensions: Mapping[str, tuple[str, ...]],
    forbidden: list[Forbidden],
    seed: int = 0,
    candidates: int = 8,
) -> list[dict[str, str]]:
    """Rows covering every pair :func:`all_pairs` gives, none holding a forbidden combination.

    Deterministic for a given ``seed``.
    """
    rules = Rules(dimensions, forbidden)
    order = {dim: index for index, dim in enumerate(dimensions)}
    uncovered = all_pairs(dimensions, forbidden)
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    while uncovered:
        seeds = sorted(uncovered)
        best: tuple[int, dict[str, str]] | None = None
        for attempt in range(candidates):
            start = seeds[0] if attempt == 0 else rng.choice(seeds)
            row = _greedy_row(start, rules, uncovered, order, rng)
            gain = len(pairs_of(row, dimensions) & uncovered)
            if best is None or gain > best[0]:
                best = (gain, row)
        assert best is not None
        rows.append(best[1])
        uncovered -= pairs_of(best[1], dimensions)
    return rows


def _greedy_row(
    start: Pair,
    rules: Rules,
    uncovered: set[Pair],
    order: dict[str, int],
    rng: random.Random,
) -> dict[str, str]:
    """A complete allowed row holding ``start``, each value covering most uncovered pairs.

    A value is taken only if the row can still be completed, so the greedy never ends in
    a dimension left without any allowed value.
    """
    row = dict(start)
    rest = [dim for dim in rules.dimensions if dim not in row]
    rng.shuffle(rest)
    for dim in rest:
        gains: dict[int, list[str]] = defaultdict(list)
        for value in rules.dimensions[dim]:
            if rules.allows(row, dim, value):
                gain = 0
                for other, chosen in row.items():
                    first, second = (dim, value), (other, chosen)
                    pair = (first, second) if order[dim] < order[other] else (second, first)
                    gain += pair in uncovered
                gains[gain].append(value)
        for gain in sorted(gains, reverse=True):
            values = gains[gain]
            if dim in rules.by_dimension:
                values = [v for v in values if rules.completable({**row, dim: v})]
            if values:
                row[dim] = rng.choice(values)
                break
    return {dim: row[dim] for dim in rules.dimensions}


__all__ = ["Forbidden", "Rules", "all_pairs", "covering_rows", "pairs_of", "permitted"]

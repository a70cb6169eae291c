"""Candidate generation, vectorised: every pair that passes the hard rules, with its score.

People become bitsets (languages, availability slots, interest and need tags) and each
district's newcomers are checked against the volunteers of their area in one numpy
operation. scoring.py is the reference these results must equal, pair by pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from matching.domain import scoring
from matching.domain.profiles import DAYS, ENGLISH, PARTS, Population

SLOT_BITS = {(day, part): i for i, (day, part) in enumerate((d, p) for d in DAYS for p in PARTS)}
MAX_PAIRS_PER_CHUNK = 2_000_000  # bounds memory when one area is very crowded
# Blocks worked at once: numpy lets go of the GIL in a block's big steps, so two threads
# keep two cores busy (2.4 s to 1.7 s at 100,000 x 50,000).
THREADS = 2


@dataclass(frozen=True)
class Candidates:
    """Eligible pairs as parallel arrays of newcomer index, volunteer index and score."""

    newcomer: np.ndarray
    volunteer: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return int(self.score.size)


def _vocabulary(groups: Iterable[Iterable[str]]) -> dict[str, int]:
    return {word: i for i, word in enumerate(sorted({w for g in groups for w in g}))}


def _bitsets(sets: Sequence[Iterable[object]], index: dict[object, int]) -> np.ndarray:
    """(len(sets), words) uint64 bitsets; Python ints first, since they are fast to build."""
    words = max(1, -(-len(index) // 64))
    bit = {x: 1 << i for x, i in index.items()}.__getitem__
    masks = [sum(map(bit, set_)) for set_ in sets]
    out = np.zeros((len(sets), words), dtype=np.uint64)
    for w in range(words):
        out[:, w] = np.array(
            [(m >> (64 * w)) & 0xFFFF_FFFF_FFFF_FFFF for m in masks], dtype=np.uint64
        )
    return out


def _common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise count of shared bits between rows of a (n, w) and b (m, w): (n, m)."""
    return np.bitwise_count(a[:, None, :] & b[None, :, :]).sum(axis=2, dtype=np.int64)


class _Encoded:
    """The population as arrays."""

    def __init__(self, population: Population) -> None:
        vs, ns = population.volunteers, population.newcomers
        langs = _vocabulary([p.languages for p in (*vs, *ns)])
        tags = _vocabulary([p.interests for p in vs] + [p.interests | p.needs for p in ns])
        genders = _vocabulary([[p.gender] for p in (*vs, *ns) if p.gender])
        self.v_lang = _bitsets([v.languages for v in vs], langs)
        self.n_lang = _bitsets([n.languages for n in ns], langs)
        # Every language but English, to count the languages shared beyond it.
        self.not_english = _bitsets([[w for w in langs if w != ENGLISH]], langs)[0]
        self.v_english = np.array([ENGLISH in v.languages for v in vs], dtype=bool)
        # Languages not held (no consent to use them): the language rule does not apply.
        self.v_no_lang = np.array([not v.languages for v in vs], dtype=bool)
        self.n_no_lang = np.array([not n.languages for n in ns], dtype=bool)
        self.v_slots = _bitsets([v.availability for v in vs], SLOT_BITS)  # type: ignore[arg-type]
        self.n_slots = _bitsets([n.availability for n in ns], SLOT_BITS)  # type: ignore[arg-type]
        self.v_tags = _bitsets([v.interests for v in vs], tags)
        self.n_interests = _bitsets([n.interests for n in ns], tags)
        self.n_needs = _bitsets([n.needs for n in ns], tags)
        self.v_gender = np.array([genders.get(v.gender, -1) if v.gender else -1 for v in vs])
        self.n_gender = np.array([genders.get(n.gender, -1) if n.gender else -1 for n in ns])
        self.v_same_gender_only = np.array([v.same_gender_only for v in vs], dtype=bool)
        self.n_same_gender_only = np.array([n.same_gender_only for n in ns], dtype=bool)
        self.v_dbs = np.array([v.has_dbs for v in vs], dtype=bool)
        self.n_needs_dbs = np.array([n.needs_dbs for n in ns], dtype=bool)
        self.n_wants_english = np.array([n.wants_english_practice for n in ns], dtype=bool)
        self.n_weeks = np.array([min(n.waiting_days // 7, scoring.MAX_WEEKS_WAITING) for n in ns])
        self.v_district = [v.district for v in vs]
        self.n_district = [n.district for n in ns]
        districts = _vocabulary([self.v_district, self.n_district])
        self.v_district_code = np.array([districts[d] for d in self.v_district], dtype=np.int64)
        self.n_district_code = np.array([districts[d] for d in self.n_district], dtype=np.int64)


def generate(
    population: Population, newcomer_indices: Sequence[int] | None = None, top_k: int | None = None
) -> Candidates:
    """Every eligible pair (only the `top_k` best per newcomer, when given, and then each
    newcomer's pairs come best first, ties by volunteer order)."""
    enc = _Encoded(population)
    available = [i for i, v in enumerate(population.volunteers) if v.ready and v.capacity_left > 0]
    by_district: dict[str, list[int]] = defaultdict(list)
    for i in available:
        by_district[enc.v_district[i]].append(i)
    wanted = range(len(population.newcomers)) if newcomer_indices is None else newcomer_indices
    rows_by_district: dict[str, list[int]] = defaultdict(list)
    for i in wanted:
        rows_by_district[enc.n_district[i]].append(i)
    excluded = _excluded_index(population)
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    for district in sorted(rows_by_district):
        cols = np.array(
            sorted(
                j for area in population.areas_near(district) for j in by_district.get(area, ())
            ),
            dtype=np.int64,
        )
        if cols.size == 0:
            continue
        rows = np.array(rows_by_district[district], dtype=np.int64)
        step = max(1, MAX_PAIRS_PER_CHUNK // cols.size)
        for start in range(0, rows.size, step):
            blocks.append((rows[start : start + step], cols))

    def block(part: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _block(enc, part[0], part[1], excluded, top_k)

    if len(blocks) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            parts = list(pool.map(block, blocks))
    else:  # one newcomer's suggestions: no thread for one block
        parts = [block(b) for b in blocks]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, empty)
    return Candidates(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _excluded_index(population: Population) -> set[tuple[int, int]]:
    if not population.excluded:
        return set()
    v_index = {v.id: i for i, v in enumerate(population.volunteers)}
    n_index = {n.id: i for i, n in enumerate(population.newcomers)}
    return {
        (v_index[v], n_index[n]) for v, n in population.excluded if v in v_index and n in n_index
    }


def _block(
    enc: _Encoded,
    rows: np.ndarray,
    cols: np.ndarray,
    excluded: set[tuple[int, int]],
    top_k: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shared_langs = _common(enc.n_lang[rows], enc.v_lang[cols])
    english_pair = enc.n_wants_english[rows][:, None] & enc.v_english[cols][None, :]
    slots = _common(enc.n_slots[rows], enc.v_slots[cols])
    same_gender = (enc.n_gender[rows][:, None] == enc.v_gender[cols][None, :]) & (
        enc.n_gender[rows][:, None] >= 0
    )
    unknown = enc.n_no_lang[rows][:, None] | enc.v_no_lang[cols][None, :]
    ok = (shared_langs > 0) | english_pair | unknown
    ok &= slots > 0
    ok &= ~enc.n_same_gender_only[rows][:, None] | same_gender
    ok &= ~enc.v_same_gender_only[cols][None, :] | same_gender
    ok &= ~enc.n_needs_dbs[rows][:, None] | enc.v_dbs[cols][None, :]
    if excluded:
        row_at = {int(r): i for i, r in enumerate(rows)}
        col_at = {int(c): j for j, c in enumerate(cols)}
        for v, n in excluded:
            if n in row_at and v in col_at:
                ok[row_at[n], col_at[v]] = False
    # Shared languages beyond English: the same count with the English bit masked out.
    shared_beyond = _common(enc.n_lang[rows] & enc.not_english, enc.v_lang[cols])
    score = (
        scoring.ELIGIBLE
        + scoring.PER_SHARED_LANGUAGE * np.minimum(shared_beyond, scoring.MAX_SHARED_LANGUAGES)
        + scoring.ENGLISH_PRACTICE * english_pair
        + scoring.PER_COMMON_SLOT * np.minimum(slots, scoring.MAX_COMMON_SLOTS)
        + scoring.PER_SHARED_INTEREST
        * np.minimum(_common(enc.n_interests[rows], enc.v_tags[cols]), scoring.MAX_SHARED_INTERESTS)
        + scoring.PER_NEED_FIT
        * np.minimum(_common(enc.n_needs[rows], enc.v_tags[cols]), scoring.MAX_NEEDS_FIT)
        + scoring.PER_WEEK_WAITING * enc.n_weeks[rows][:, None]
    )
    same_district = enc.v_district_code[cols][None, :] == enc.n_district_code[rows][:, None]
    score = score + scoring.SAME_DISTRICT * same_district
    r_idx, c_idx = np.nonzero(ok)
    scores = score[r_idx, c_idx].astype(np.int64)
    if top_k is not None and r_idx.size:
        keep = _top_k_per_row(r_idx, c_idx, scores, top_k)
        r_idx, c_idx, scores = r_idx[keep], c_idx[keep], scores[keep]
    return rows[r_idx], cols[c_idx], scores


def _top_k_per_row(r: np.ndarray, c: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's k best pairs, row by row, best first, ties by volunteer order."""
    order = np.lexsort((c, -score, r))
    r_sorted = r[order]
    first = np.searchsorted(r_sorted, r_sorted, side="left")
    rank = np.arange(r_sorted.size) - first
    return order[rank < k]

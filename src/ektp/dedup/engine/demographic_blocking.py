"""Demographic linkage, part 3: blocking passes that propose candidate pairs."""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ektp.dedup.engine.demographic_fields import RARE_BLOCK, Prepared, _combine

# --- Blocking -------------------------------------------------------------------------------


def _cap_blocks(key: np.ndarray, refine: np.ndarray | None, max_block: int) -> np.ndarray:
    """Blocks above max_block (1 January for people with an unknown birth date, say) are split by
    the first letter of the name; what is still too large is left out of this pass."""
    key = key.copy()
    for extra in ((refine, None) if refine is not None else (None,)):
        valid = key >= 0
        sizes = np.bincount(key[valid]) if valid.any() else np.zeros(0, dtype=np.int64)
        big = np.zeros(len(key), dtype=bool)
        big[valid] = sizes[key[valid]] > max_block
        if not big.any():
            return key
        if extra is None:
            key[big] = -1
        else:
            key[big] = _combine(key[big], extra[big]) + key.max() + 1
            key[big & (extra < 0)] = -1
    return key


def _within_block_pairs(order: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """All pairs inside consecutive blocks of `order`, vectorised: pair each position with the
    one k places further on while both are in the same block, for k = 1, 2, ..."""
    lengths = ends - starts
    skipped = starts - np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pos = np.arange(lengths.sum()) + np.repeat(skipped, lengths)
    block_end = np.repeat(ends, lengths)
    remaining = block_end - pos - 1
    by_remaining = pos[np.argsort(-remaining, kind="stable")]
    sorted_rem = np.sort(remaining)[::-1]
    left, right = [], []
    for k in range(1, int(sorted_rem[0]) + 1 if len(sorted_rem) else 1):
        count = int(np.searchsorted(-sorted_rem, -k, side="right"))
        chosen = by_remaining[:count]
        left.append(order[chosen])
        right.append(order[chosen + k])
    if not left:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b), np.maximum(a, b)


def block_pairs(key: np.ndarray, max_pairs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs of records that share a key, in chunks of about max_pairs pairs."""
    valid = np.flatnonzero(key >= 0)
    order = valid[np.argsort(key[valid], kind="stable")]
    sorted_key = key[order]
    cuts = np.flatnonzero(np.diff(sorted_key)) + 1
    starts = np.concatenate([[0], cuts]) if len(order) else np.zeros(0, dtype=np.int64)
    ends = np.concatenate([cuts, [len(order)]]) if len(order) else np.zeros(0, dtype=np.int64)
    multi = (ends - starts) > 1
    starts, ends = starts[multi], ends[multi]
    sizes = (ends - starts) * (ends - starts - 1) // 2
    chunk_of = np.cumsum(sizes) // max(max_pairs, 1)
    for chunk in np.unique(chunk_of):
        sel = chunk_of == chunk
        yield _within_block_pairs(order, starts[sel], ends[sel])


def block_pair_count(key: np.ndarray) -> int:
    valid = key[key >= 0]
    sizes = np.bincount(valid) if len(valid) else np.zeros(0, dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


@dataclass
class BlockingPass:
    """Records agreeing on `key` are compared. `probe_key` (optional) restricts the pass to pairs
    where one side is a probe whose `probe_key` equals the other side's `key`. `owner`
    (optional) makes the key multi-valued: row k of `key` belongs to record owner[k]."""
    name: str
    key: np.ndarray
    probe_key: np.ndarray | None = None
    owner: np.ndarray | None = None
    _pair_codes: np.ndarray | None = None

    def covers(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if self.owner is not None:
            return self._covers_multi(i, j)
        if self.probe_key is None:
            return (self.key[i] == self.key[j]) & (self.key[i] >= 0)
        pk, k = self.probe_key, self.key
        return ((pk[i] == k[j]) & (pk[i] >= 0)) | ((pk[j] == k[i]) & (pk[j] >= 0))

    def _multi_pairs(self) -> tuple[np.ndarray, int]:
        """All pairs of a multi-valued pass, once each (two records may share several keys),
        packed as i * n + j and sorted. Such passes only keep rare keys, so this stays small."""
        n = int(self.owner.max()) + 1 if len(self.owner) else 1
        if self._pair_codes is None:
            parts = []
            for a, b in block_pairs(self.key, 10_000_000):
                a, b = self.owner[a], self.owner[b]
                parts.append(np.minimum(a, b) * n + np.maximum(a, b))
            packed = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
            self._pair_codes = packed[packed // n != packed % n]
        return self._pair_codes, n

    def _covers_multi(self, i, j) -> np.ndarray:
        codes, n = self._multi_pairs()
        if not len(codes):
            return np.zeros(len(i), dtype=bool)
        wanted = i * n + j
        at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        return codes[at] == wanted

    def pairs(self, max_pairs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.owner is not None:
            codes, n = self._multi_pairs()
            for start in range(0, len(codes), max(max_pairs, 1)):
                chunk = codes[start:start + max_pairs]
                yield chunk // n, chunk % n
            return
        if self.probe_key is None:
            yield from block_pairs(self.key, max_pairs)
            return
        probes = np.flatnonzero(self.probe_key >= 0)
        per_chunk = max(1, max_pairs // 50)
        for start in range(0, len(probes), per_chunk):
            yield _probe_pairs(probes[start:start + per_chunk], self.probe_key, self.key)


def _probe_pairs(probes, probe_key, key):
    build = np.flatnonzero(key >= 0)
    build = build[np.argsort(key[build], kind="stable")]
    lo = np.searchsorted(key[build], probe_key[probes], side="left")
    hi = np.searchsorted(key[build], probe_key[probes], side="right")
    counts = hi - lo
    left = np.repeat(probes, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    right = build[np.repeat(lo, counts) + offsets]
    a, b = np.minimum(left, right), np.maximum(left, right)
    # Two probes that meet each other's dates: keep the pair once, from the lower probe.
    mutual = (probe_key[right] >= 0) & (probe_key[right] == key[left]) & (right < left)
    keep = (a != b) & ~mutual
    packed = np.unique(a[keep] * (len(key) + 1) + b[keep])
    return packed // (len(key) + 1), packed % (len(key) + 1)


def blocking_passes(p: Prepared, max_block: int) -> list[BlockingPass]:
    """Several passes so that one corrupted field does not hide a duplicate:
    1. birth date + sex;  2. name key + birth year (a slipped day or month);
    3. a record whose NIK date differs from its recorded date, against records born on its NIK
       date (the recorded date slipped, the NIK kept the truth);
    4. phonetic name + kecamatan (birth date wrong altogether);  5. the same NIK;
    6. mother's name + birth year + name initial (moved, a typo in the name, a slipped day);
    7. an uncommon full name anywhere (moved, and the birth date wrong too);
    8. identifiers one digit apart (a typo in the NIK or another ID number);
    9. any uncommon name part + kecamatan, or + birth year (a typo in one part, the other
       part intact).
    A block larger than its cap is split by a further key (name initial, birth month or
    decade) and dropped if still too large: a common name alone says little and would flood
    the pass. The caps scale with `max_block` (default 1000 for birth date + sex)."""
    initial, sex = p["name_initial"], p["sex"].astype(np.int64)
    month = np.where(p["dob"] > 0, p["dob"] // 100 % 100, -1)
    decade = np.where(p["year"] > 0, p["year"] // 10, -1)
    dob = np.where(p["dob"] > 0, p["dob"], -1)
    inconsistent = (p["nik_dob"] > 0) & (p["nik_dob"] != p["dob"])
    probe_date = np.where(inconsistent, p["nik_dob"], -1)
    # Build and probe keys numbered together, so a probe's NIK date meets recorded dates.
    joint = _combine(np.concatenate([dob, probe_date]), np.concatenate([sex, sex]))

    def symmetric(name, key, refine, share):
        return BlockingPass(name, _cap_blocks(key, refine, max(2, int(max_block * share))))

    return [
        symmetric("birth_date+sex", _combine(p["dob_code"], sex), initial, 1.0),
        symmetric("name+birth_year", _combine(p["name_key"], p["year"]), month, 0.1),
        BlockingPass("nik_date", joint[:p.n], joint[p.n:]),
        symmetric("phonetic_name+kecamatan", _combine(p["name_phon"], p["kecamatan"]), decade,
                  0.02),
        symmetric("nik", p["nik_code"], initial, 1.0),
        symmetric("mother+birth_year+initial", _combine(p["mother_code"], p["year"], initial),
                  month, 0.05),
        symmetric("uncommon_name", p["name_key"], None, RARE_BLOCK / 1000),
        _id_typo_pass(p),
        _token_pass(p, "kecamatan"),
        _token_pass(p, "year", RARE_BLOCK),
    ]


def _id_typo_pass(p: Prepared) -> BlockingPass:
    """Identifiers within one edit share a "deletion key" (the number with one digit left
    out): 3175012345 and 3175021345 both give 317501345. Digits only, up to 18."""
    digits = np.array([len(v) for v in p["nik"]], dtype=np.int64)
    usable = np.flatnonzero((digits >= 5) & (digits <= 18))
    keys, owners = [], []
    values = pd.Series(p["nik"][usable], dtype=object).astype(np.int64).to_numpy()
    lengths = digits[usable]
    for position in range(18):
        has = lengths > position
        power = 10 ** (lengths[has] - 1 - position)  # place value of the digit left out
        low = values[has] % power
        high = values[has] // (power * 10)
        keys.append((high * power + low) * 20 + lengths[has])
        owners.append(usable[has])
    key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
    # Two valid NIKs one digit apart are scored "different" anyway (see _compare_nik), so a
    # key is only worth a block if some identifier in it is not a valid NIK.
    keep = np.isin(key, np.unique(key[~p["nik_valid"][owner]]))
    key = _cap_blocks(pd.factorize(key[keep])[0].astype(np.int64), None, RARE_BLOCK)
    return BlockingPass("id_typo", key, owner=owner[keep])


def _token_pass(p: Prepared, other: str, max_block: int = 50) -> BlockingPass:
    """One key per phonetic name part, with another field (kecamatan, birth year); common
    parts (block > max_block) are skipped: they say little and would flood the pass."""
    owner, column = np.nonzero(p["name_tokens"] >= 0)
    key = _cap_blocks(_combine(p["name_tokens"][owner, column], p[other][owner]), None,
                      max_block)
    return BlockingPass(f"name_part+{other}", key, owner=owner)

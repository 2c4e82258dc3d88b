"""`ektp dedup scan`: the whole register deduplicated in bulk (the "100,000 duplicate records"
job), as opposed to penunggalan, which checks one arriving recording.

1. Biometric, all against all: every gallery recording is searched against the register's
   index (register_index.py) in batches, as penunggalan searches a new one, with the same
   candidates (biometric top-k + demographic blocks + the same NIK), scores and thresholds.
   Each batch's pairs go to a checkpoint file in the work folder, written atomically: a scan
   that is interrupted resumes at the first missing batch and gives the same result.
2. Demographic (unless --no-demographic): the demographic engine (engine/demographic.py) over
   the residents of the gallery's recordings; its matches join the pairs (scored biometrically
   too) and go at least to adjudication.
3. Pairs -> clusters (connected components of the duplicate pairs), written to OUT/pairs.csv
   and OUT/clusters.csv; with `queue`, pairs no penunggalan decision or earlier scan linked are
   stored as ScanPair rows for a person to look at.
Memory: the index (which penunggalan keeps anyway) plus one batch; pairs live on disk.
"""

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import transaction

from ektp.dedup import register_index
from ektp.dedup.engine.decision import ADJUDICATE, DUPLICATE, SINGLE
from ektp.dedup.engine.vector_index import write_atomically
from ektp.dedup.models import DedupCandidate, ScanPair
from ektp.dedup.services import candidate_outcome, thresholds
from ektp.enrollment.models import Enrollment

COLUMNS = ["a", "b", "outcome", "face_distance", "finger_score", "face_llr", "finger_llr",
           "demographic_llr", "fused_llr", "same_nik", "namesake", "demographic_probability"]
DEMOGRAPHIC = "demographic.csv"
Progress = Callable[[str, int, int], None]


class ScanError(ValueError):
    """A bad option or an unusable work folder; `code` is stable."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass
class ScanResult:
    records: int
    pairs: int
    duplicate_pairs: int
    adjudicate_pairs: int
    clusters: int
    clustered_records: int
    new_pairs: int
    queued: int
    out_dir: Path


@dataclass(frozen=True)
class ScanOptions:
    batch: int = 2048
    k: int = 10
    demographic: bool = True
    queue: bool = False

    def check(self) -> None:
        if self.batch < 1:
            raise ScanError("--batch must be at least 1", code="batch_invalid")
        if not 1 <= self.k <= 1000:
            raise ScanError("--k must be between 1 and 1000", code="k_invalid")


def scan_register(out_dir, *, options: ScanOptions | None = None, work_dir=None,
                  progress: Progress | None = None) -> ScanResult:
    options = options or ScanOptions()
    options.check()
    notify = progress or (lambda stage, done, total: None)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ScanError(f"{out_dir} is not a folder", code="out_not_a_folder")
    work = Path(work_dir) if work_dir else out_dir / "work"
    index = register_index.current(verify=True)
    ids = np.array(sorted(index.gallery.people), np.int64)
    _claim(work, _manifest(index, ids, options))
    parts = _biometric_pass(index, ids, options, work, notify)
    if options.demographic:
        parts.append(_demographic_pass(index, ids, work, notify))
    pairs = _merge(parts)
    return _finish(pairs, ids, out_dir, options, work)


def _manifest(index, ids: np.ndarray, options: ScanOptions) -> dict:
    t = thresholds()
    digest = hashlib.sha256(ids.tobytes()).hexdigest()
    return {"records": len(ids), "ids": digest, "batch": options.batch, "k": options.k,
            "demographic": options.demographic, "duplicate": t.duplicate,
            "adjudicate": t.adjudicate, "calibration": index.calibrations.to_dict()}


def _claim(work: Path, manifest: dict) -> None:
    """Start a work folder or resume one made by the same scan of the same register."""
    path = work / "manifest.json"
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError as exc:
            raise ScanError(f"{path} is unreadable; delete the work folder",
                            code="checkpoint_corrupt") from exc
        if previous != manifest:
            raise ScanError(
                f"{work} holds a scan of another register state or other options; "
                "delete it or give another --work-dir", code="checkpoint_mismatch")
        return
    work.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(manifest).encode()
    write_atomically(path, lambda f: f.write(payload))


def _biometric_pass(index, ids, options, work, notify) -> list[Path]:
    gallery, t, parts = index.gallery, thresholds(), []
    for number, start in enumerate(range(0, len(ids), options.batch)):
        part = work / f"pairs-{number:06d}.csv"
        if not part.exists():
            batch = ids[start:start + options.batch]
            probes, people = gallery.probes_of(batch)
            found = gallery.search(probes, people, options.k, index.calibrations,
                                   floor=min(t.adjudicate, t.duplicate))
            rows = [_row(int(a), m, candidate_outcome(m, t))
                    for a, matches in zip(batch, found, strict=True) for m in matches
                    if m.record_id != a]
            _write(part, pd.DataFrame([r for r in rows if r["outcome"] != SINGLE],
                                      columns=COLUMNS))
        parts.append(part)
        notify("biometric", min(start + options.batch, len(ids)), len(ids))
    return parts


def _row(a: int, match, outcome: str, probability: float | None = None) -> dict:
    low, high = sorted((a, match.record_id))
    return {"a": low, "b": high, "outcome": outcome, "face_distance": match.face_distance,
            "finger_score": match.finger_score, "face_llr": match.face_llr,
            "finger_llr": match.finger_llr, "demographic_llr": match.demographic_llr,
            "fused_llr": match.fused, "same_nik": match.same_resident,
            "namesake": match.namesake, "demographic_probability": probability}


def _write(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda f: f.write(frame.to_csv(index=False).encode()))


def _demographic_pass(index, ids, work, notify) -> Path:
    from ektp.dedup.engine.demographic import DemographicEngine

    path = work / DEMOGRAPHIC
    if path.exists():
        return path
    records = _demographic_records(ids)
    engine = DemographicEngine()
    result = engine.run(records, progress=lambda stage, done, total: notify(
        f"demographic:{stage}", done, total))
    matches = result.pairs[result.pairs["is_match"]]
    rows = []
    for a, b, probability in zip(matches["record_id_a"], matches["record_id_b"],
                                 matches["score"], strict=True):
        probes, people = index.gallery.probes_of([int(a)])
        [scored] = index.gallery.search(probes, people, 0, index.calibrations, extra=[int(b)],
                                        biometric=False)
        match = next(m for m in scored if m.record_id == int(b))
        outcome = candidate_outcome(match, thresholds())
        rows.append(_row(int(a), match, DUPLICATE if outcome == DUPLICATE else ADJUDICATE,
                         float(probability)))
    _write(path, pd.DataFrame(rows, columns=COLUMNS))
    return path


def _demographic_records(ids: np.ndarray) -> pd.DataFrame:
    rows = []
    fields = ("pk", "resident__nik", "resident__name", "resident__birth_date",
              "resident__birth_place", "resident__sex", "resident__family__kk_number",
              "resident__mother_name", "resident__family__address",
              "resident__family__village_id")
    names = ("record_id", "nik", "name", "birth_date", "birth_place", "sex", "kk",
             "mother_name", "address", "village_code")
    for start in range(0, len(ids), 5000):
        chunk = [int(i) for i in ids[start:start + 5000]]
        rows += list(Enrollment.objects.filter(pk__in=chunk).values_list(*fields))
    frame = pd.DataFrame(rows, columns=names)
    frame["birth_date"] = frame["birth_date"].astype(str)
    return frame


def _merge(parts: list[Path]) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in parts if p.stat().st_size]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    pairs = pd.concat(frames, ignore_index=True)
    # A pair is found from both sides; the demographic engine's probability joins it.
    probability = pairs.groupby(["a", "b"])["demographic_probability"].max()
    rank = pairs["outcome"].map({DUPLICATE: 0, ADJUDICATE: 1}).fillna(2)
    pairs = pairs.assign(rank=rank).sort_values(["a", "b", "rank"], kind="stable")
    pairs = pairs.drop_duplicates(["a", "b"]).drop(columns="rank").set_index(["a", "b"])
    pairs["demographic_probability"] = probability
    return pairs.reset_index().sort_values(["a", "b"], kind="stable").reset_index(drop=True)


def clusters_of(pairs: pd.DataFrame) -> dict[int, int]:
    """Record -> cluster (its lowest member's id), over the duplicate pairs."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    duplicates = pairs[pairs["outcome"] == DUPLICATE]
    for a, b in zip(duplicates["a"], duplicates["b"], strict=True):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def _known_pairs() -> set[tuple[int, int]]:
    decided = DedupCandidate.objects.values_list("application__enrollment_id",
                                                 "matched_enrollment_id")
    scanned = ScanPair.objects.values_list("enrollment_a_id", "enrollment_b_id")
    return {(min(a, b), max(a, b)) for a, b in [*decided, *scanned] if a is not None}


def _finish(pairs, ids, out_dir: Path, options: ScanOptions, work: Path) -> ScanResult:
    clusters = clusters_of(pairs)
    known = _known_pairs()
    is_new = np.array([(int(a), int(b)) not in known
                       for a, b in zip(pairs["a"], pairs["b"], strict=True)], dtype=bool)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "pairs.csv", pairs.assign(known=~is_new))
    _write(out_dir / "clusters.csv", pd.DataFrame(
        sorted(clusters.items()), columns=["enrollment", "cluster"]))
    queued = _queue(pairs[is_new]) if options.queue else 0
    shutil.rmtree(work, ignore_errors=True)
    return ScanResult(
        records=len(ids), pairs=len(pairs),
        duplicate_pairs=int((pairs["outcome"] == DUPLICATE).sum()),
        adjudicate_pairs=int((pairs["outcome"] == ADJUDICATE).sum()),
        clusters=len(set(clusters.values())), clustered_records=len(clusters),
        new_pairs=int(is_new.sum()), queued=queued, out_dir=out_dir)


def _queue(pairs: pd.DataFrame) -> int:
    rows = [ScanPair(
        enrollment_a_id=int(r.a), enrollment_b_id=int(r.b), outcome=r.outcome,
        face_distance=_num(r.face_distance), finger_score=_num(r.finger_score),
        face_llr=_num(r.face_llr), finger_llr=_num(r.finger_llr),
        demographic_llr=_num(r.demographic_llr), fused_llr=_num(r.fused_llr),
        demographic_probability=_num(r.demographic_probability))
        for r in pairs.itertuples(index=False)]
    with transaction.atomic():
        before = ScanPair.objects.count()
        ScanPair.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        return ScanPair.objects.count() - before


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)

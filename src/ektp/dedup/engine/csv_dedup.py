"""Deduplicate any CSV of people: the engine behind
``ektp dedup file IN.csv --id-column COL [--map CSVCOL=FIELD ...] --out OUT.csv``.

Plain Python, no Django. Writes ``OUT`` (``record_id,cluster_id``) and ``OUT.pairs.csv``
(``record_id_a,record_id_b,score,is_match`` and one level per compared field), reports progress
through a callback, and is resumable: a work directory (``OUT.work/`` by default) keeps the
fitted model and the scored pairs of every finished block chunk, so a rerun after a crash
continues where it stopped and writes the same output. The work directory is tied to the input
file and the options by a manifest; if either changed, it starts afresh.

Memory: the records are held as compact arrays; candidate pairs are compared chunk by chunk and
only pairs worth a look (score >= the review threshold) are kept.
"""

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ektp.dedup.engine.demographic import (
    COMPARISONS,
    FIELDS,
    DemographicEngine,
    EngineConfig,
    Model,
    ScoredPairs,
    clusters_frame,
    pairs_frame,
)

# progress(stage, done, total): stages "read" (rows), "model", "pairs" (chunks scored or
# resumed), "clustered" and "written" (records); total is 0 when not known in advance.
Progress = Callable[[str, int, int], None]
MAPPABLE_FIELDS = tuple(f for f in FIELDS if f != "record_id")
MANIFEST_VERSION = 1


class CsvDedupError(ValueError):
    """A problem with the input or the options, with a stable code for the caller."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class CsvDedupResult:
    records: int
    clusters: int
    duplicate_pairs: int
    out_path: Path
    pairs_path: Path
    chunks_scored: int
    chunks_resumed: int


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """["NAMA=name", "TGL_LAHIR=birth_date"] -> {"NAMA": "name", "TGL_LAHIR": "birth_date"}."""
    mapping: dict[str, str] = {}
    for item in items or []:
        column, sep, target = item.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise CsvDedupError("bad_mapping", f"--map expects CSVCOL=FIELD, got {item!r}.")
        if target not in MAPPABLE_FIELDS:
            raise CsvDedupError("unknown_field", f"Unknown field {target!r} in --map {item!r}; "
                                f"fields are: {', '.join(MAPPABLE_FIELDS)}.")
        if target in mapping.values():
            raise CsvDedupError("duplicate_field", f"Field {target!r} is mapped twice.")
        mapping[column] = target
    return mapping


def dedup_csv(in_path, out_path, id_column: str, mapping: dict[str, str] | None = None, *,
              work_dir=None, config: EngineConfig | None = None,
              progress: Progress | None = None, chunk_rows: int = 100_000,
              encoding: str = "utf-8") -> CsvDedupResult:
    in_path, out_path = Path(in_path), Path(out_path)
    config = config or EngineConfig()
    notify = progress or (lambda stage, done, total: None)
    frame = read_records(in_path, id_column, mapping or {}, chunk_rows, encoding, notify)
    work = _WorkDir(Path(work_dir) if work_dir else out_path.with_name(out_path.name + ".work"))
    work.open(_manifest(in_path, id_column, mapping or {}, config))
    engine = DemographicEngine(config)
    prepared = engine.prepare(frame)
    model = work.model() or work.save_model(engine.fit(prepared))
    notify("model", 1, 1)
    scored, scored_now, resumed = _score_chunks(engine, prepared, model, work, notify)
    labels = engine.cluster(prepared, model, scored)
    notify("clustered", prepared.n, prepared.n)
    pairs = pairs_frame(prepared, scored, config)
    clusters = clusters_frame(prepared, labels)
    pairs_path = out_path.with_name(out_path.name + ".pairs.csv")
    _write_csv(clusters, out_path)
    _write_csv(pairs[["record_id_a", "record_id_b", "score", "is_match", *COMPARISONS]],
               pairs_path)
    notify("written", prepared.n, prepared.n)
    return CsvDedupResult(prepared.n, int(clusters.cluster_id.nunique()),
                          int(pairs.is_match.sum()), out_path, pairs_path, scored_now, resumed)


def _score_chunks(engine: DemographicEngine, prepared, model: Model, work: "_WorkDir",
                  notify: Progress) -> tuple[ScoredPairs, int, int]:
    """Every candidate chunk scored, or loaded when a previous run already scored it."""
    parts, scored_now, resumed = [], 0, 0
    for chunk in engine.candidates(prepared):
        saved = work.chunk(chunk.pass_index, chunk.chunk_index)
        if saved is None:
            saved = work.save_chunk(chunk.pass_index, chunk.chunk_index,
                                    engine.score_chunk(prepared, model, chunk))
            scored_now += 1
        else:
            resumed += 1
        parts.append(saved)
        notify("pairs", scored_now + resumed, 0)
    return ScoredPairs.concat(parts), scored_now, resumed


# --- Reading --------------------------------------------------------------------------------

def read_records(path: Path, id_column: str, mapping: dict[str, str], chunk_rows: int,
                 encoding: str, notify: Progress) -> pd.DataFrame:
    """The CSV read in chunks, every value as text, columns renamed to engine fields."""
    if not path.is_file():
        raise CsvDedupError("input_missing", f"Input file {path} does not exist.")
    try:
        with warnings.catch_warnings():
            # A row with more fields than the header would silently shift the columns.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            chunks = list(_read_chunks(path, id_column, mapping, chunk_rows, encoding, notify))
    except pd.errors.EmptyDataError as exc:
        raise CsvDedupError("empty_csv", f"{path} is empty.") from exc
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise CsvDedupError("bad_csv", f"{path} is not a readable CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CsvDedupError("bad_encoding", f"{path} is not {encoding} text: {exc}") from exc
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    if frame.empty:
        raise CsvDedupError("empty_csv", f"{path} has a header but no rows.")
    return _checked_ids(frame)


def _read_chunks(path, id_column, mapping, chunk_rows, encoding, notify):
    reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=chunk_rows,
                         encoding=encoding, skipinitialspace=True, index_col=False)
    columns, rows = None, 0
    for chunk in reader:
        columns = columns or _columns(list(chunk.columns), id_column, mapping)
        rows += len(chunk)
        notify("read", rows, 0)
        yield chunk[list(columns)].rename(columns=columns)


def _columns(header: list[str], id_column: str, mapping: dict[str, str]) -> dict[str, str]:
    """CSV column -> engine field: the id column, the --map entries, and any column already
    named like a field."""
    missing = [c for c in [id_column, *mapping] if c not in header]
    if missing:
        raise CsvDedupError("column_missing", f"Column(s) {', '.join(missing)} not in the CSV "
                            f"header ({', '.join(header)}).")
    columns = {id_column: "record_id", **mapping}
    taken = set(columns.values())
    for column in header:
        if column in MAPPABLE_FIELDS and column not in columns and column not in taken:
            columns[column] = column
    if len(columns) == 1:
        raise CsvDedupError("no_fields", "No column maps to a field; use --map CSVCOL=FIELD.")
    return columns


def _checked_ids(frame: pd.DataFrame) -> pd.DataFrame:
    ids = frame["record_id"].str.strip()
    if (ids == "").any():
        row = int(np.flatnonzero((ids == "").to_numpy())[0]) + 2
        raise CsvDedupError("missing_id", f"Row {row} has an empty id.")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise CsvDedupError("duplicate_id", f"Id {duplicated.iloc[0]!r} appears more than once.")
    return frame.assign(record_id=ids)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Written next to the target and renamed, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


# --- Checkpoints ----------------------------------------------------------------------------

def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(path: Path, id_column: str, mapping: dict, config: EngineConfig) -> dict:
    return {"version": MANIFEST_VERSION, "input_sha256": _fingerprint(path),
            "id_column": id_column, "mapping": mapping, "config": dataclasses.asdict(config)}


class _WorkDir:
    """The model and one .npz per scored chunk, each written atomically."""

    def __init__(self, root: Path):
        self.root = root

    def open(self, manifest: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "manifest.json"
        if path.exists() and json.loads(path.read_text()) == manifest:
            return
        for stale in [*self.root.glob("chunk_*.npz"), self.root / "model.json"]:
            stale.unlink(missing_ok=True)  # another input or other options: start afresh
        self._write(path, json.dumps(manifest, sort_keys=True).encode())

    def model(self) -> Model | None:
        path = self.root / "model.json"
        return Model.from_dict(json.loads(path.read_text())) if path.exists() else None

    def save_model(self, model: Model) -> Model:
        self._write(self.root / "model.json", json.dumps(model.as_dict()).encode())
        return model

    def _chunk_path(self, pass_index: int, chunk_index: int) -> Path:
        return self.root / f"chunk_{pass_index:02d}_{chunk_index:06d}.npz"

    def chunk(self, pass_index: int, chunk_index: int) -> ScoredPairs | None:
        path = self._chunk_path(pass_index, chunk_index)
        if not path.exists():
            return None
        with np.load(path) as data:
            return ScoredPairs(data["i"], data["j"], data["prob"], data["weight"], data["levels"])

    def save_chunk(self, pass_index: int, chunk_index: int, scored: ScoredPairs) -> ScoredPairs:
        path = self._chunk_path(pass_index, chunk_index)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, i=scored.i, j=scored.j, prob=scored.prob, weight=scored.weight,
                 levels=scored.levels)
        os.replace(tmp, path)
        return scored

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

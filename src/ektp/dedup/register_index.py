"""The register's biometric index (engine/register_gallery.py), kept once per worker process and
persisted under settings.EKTP_DEDUP_INDEX_DIR.

The database is the truth; the index is a cache of the recordings in GALLERY_STATUSES:
* Watermark: the last penunggalan decision row (ApplicationHistory RECEIVED_AT_CENTRAL ->
  a gallery status) the index has seen, by id and time, plus the count and highest id of the
  gallery's enrollments. Decisions are serialised by the penunggalan lock, so the rows after
  the watermark are exactly the recordings the index lacks (`sync`, one query per decision).
* Stale: the watermark row is gone or changed (a restored database, a rolled-back test), or
  the gallery's count / highest id differ from the database when a saved index is loaded:
  the index is rebuilt from the database (every gallery template unsealed).
* A recording that left the gallery (cancelled) may linger in the index until the next
  rebuild; every candidate is checked against the database before it is used.
Saved indexes go to a fresh sub-folder, then `current.json` is replaced atomically to point at
it, so a reader never sees files of two different saves.
"""

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Max

from ektp.dedup.engine.gallery import Probe
from ektp.dedup.engine.register_gallery import Calibrations, Person, RegisterGallery
from ektp.dedup.engine.vector_index import IndexPolicy, write_atomically
from ektp.enrollment.keys import biometric_key
from ektp.enrollment.models import BiometricTemplate, Enrollment
from ektp.enrollment.sealing import SealError, unseal_vector
from ektp.enrollment.services import template_binding
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application, ApplicationHistory

FACE_DIM = 128
FORMAT = 1
CHUNK = 2000
POINTER = "current.json"
# Recordings that have been through penunggalan (or beyond) and are searched against.
GALLERY_STATUSES = frozenset({
    issuance_rules.S_PRR, issuance_rules.S_DUP, issuance_rules.S_ADJ, issuance_rules.S_SFP,
    issuance_rules.S_PRINTED, issuance_rules.S_SHIPPED, issuance_rules.S_ISSUED,
})
DECIDED = frozenset({issuance_rules.S_PRR, issuance_rules.S_DUP, issuance_rules.S_ADJ})

Progress = Callable[[int], None]


@dataclass
class Watermark:
    history_id: int = 0
    history_at: str = ""
    count: int = 0
    max_enrollment: int = 0


def _database() -> str:
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"


def decision_rows(after: int = 0):
    """Penunggalan decisions that put a recording in the gallery, from history id `after` on."""
    return ApplicationHistory.objects.filter(
        pk__gte=after, from_status=issuance_rules.S_RAC, to_status__in=DECIDED,
    ).order_by("pk")


def _last_decision() -> tuple[int, str]:
    row = decision_rows().order_by("-pk").values_list("pk", "at").first()
    return (row[0], row[1].isoformat()) if row else (0, "")


def gallery_enrollments() -> list[int]:
    return sorted(set(Application.objects.filter(status__in=GALLERY_STATUSES).exclude(
        enrollment=None).values_list("enrollment_id", flat=True)))


def gallery_extent() -> tuple[int, int]:
    """(how many distinct enrollments are in the gallery, the highest of their ids)."""
    queryset = Application.objects.filter(status__in=GALLERY_STATUSES).exclude(enrollment=None)
    count = queryset.values("enrollment_id").distinct().count()
    highest = queryset.aggregate(top=Max("enrollment_id"))["top"] or 0
    return count, highest


def unseal_probe(enrollment_id: str, templates: Iterable[tuple[str, int, bytes]]) -> Probe:
    """A recording's templates from (modality, position, sealed); SealError if any cannot be
    opened or has the wrong length (a short vector would break the whole matrix search)."""
    key = biometric_key()
    face, fingers = None, {}
    for modality, position, sealed in templates:
        is_face = modality == BiometricTemplate.Modality.FACE
        vector = unseal_vector(bytes(sealed), key=key,
                               dim=FACE_DIM if is_face else settings.EKTP_FINGERPRINT_DIM,
                               associated_data=template_binding(enrollment_id, modality,
                                                                position))
        if is_face:
            face = vector
        else:
            fingers[position] = vector
    return Probe(face=face, fingers=fingers)


def load_recordings(ids: list[int]) -> tuple[list[int], list[Probe], list[Person], list[int]]:
    """Unsealed templates and blocking keys of these enrollments: (readable ids, probes,
    people, unreadable ids)."""
    people = {pk: Person.of(resident, name, born, sex) for pk, resident, name, born, sex in
              Enrollment.objects.filter(pk__in=ids).values_list(
                  "pk", "resident_id", "resident__name", "resident__birth_date",
                  "resident__sex")}
    codes = dict(Enrollment.objects.filter(pk__in=ids).values_list("pk", "enrollment_id"))
    templates: dict[int, list] = {}
    for pk, modality, position, sealed in BiometricTemplate.objects.filter(
            enrollment_id__in=ids).values_list("enrollment_id", "modality", "position",
                                               "sealed"):
        templates.setdefault(pk, []).append((modality, position, sealed))
    readable, probes, who, unreadable = [], [], [], []
    for pk in ids:
        try:
            probe = unseal_probe(codes[pk], templates.get(pk, []))
        except (SealError, KeyError):
            unreadable.append(pk)
            continue
        readable.append(pk)
        probes.append(probe)
        who.append(people[pk])
    return readable, probes, who, unreadable


class RegisterIndex:
    def __init__(self, gallery: RegisterGallery, watermark: Watermark,
                 calibrations: Calibrations, database: str):
        self.gallery, self.watermark = gallery, watermark
        self.calibrations, self.database = calibrations, database
        self.unsaved = 0

    # -- keeping up with the database ---------------------------------------------------------
    def fits_database(self) -> bool:
        if self.database != _database():
            return False
        wm = self.watermark
        if not wm.history_id:
            return not self.gallery.known or gallery_extent() == (wm.count, wm.max_enrollment)
        row = ApplicationHistory.objects.filter(pk=wm.history_id).values_list("at").first()
        return row is not None and row[0].isoformat() == wm.history_at

    def sync(self) -> int:
        """Add the recordings decided since the watermark; returns how many were added."""
        rows = list(decision_rows(self.watermark.history_id + 1).values_list(
            "pk", "at", "application__enrollment_id"))
        if not rows:
            return 0
        fresh = sorted({e for _, _, e in rows if e is not None and e not in self.gallery})
        self._add(fresh)
        self.watermark.history_id, at = rows[-1][0], rows[-1][1]
        self.watermark.history_at = at.isoformat()
        return len(fresh)

    def _add(self, ids: list[int]) -> None:
        for start in range(0, len(ids), CHUNK):
            readable, probes, people, unreadable = load_recordings(ids[start:start + CHUNK])
            self.gallery.add(readable, probes, people)
            self.gallery.mark_unreadable(unreadable)
            self._count(ids[start:start + CHUNK])

    def _count(self, ids: list[int]) -> None:
        self.watermark.count += len(ids)
        self.watermark.max_enrollment = max([self.watermark.max_enrollment, *ids])
        self.unsaved += len(ids)

    def entered(self, enrollment_id: int, probe: Probe, person: Person,
                application_id: int) -> None:
        """A recording just decided into the gallery (inside the deciding transaction)."""
        if enrollment_id not in self.gallery:
            self.gallery.add([enrollment_id], [probe], [person])
            self._count([enrollment_id])
        row = decision_rows().filter(application_id=application_id).order_by(
            "-pk").values_list("pk", "at").first()
        if row and row[0] > self.watermark.history_id:
            self.watermark.history_id, self.watermark.history_at = row[0], row[1].isoformat()

    def absorb(self, entered: list[tuple[int, Probe, Person]]) -> None:
        """Recordings a batch decided into the gallery, added at once (inside the deciding
        transaction, under the lock); the watermark moves to the last decision."""
        fresh = [(e, p, who) for e, p, who in entered if e not in self.gallery]
        if fresh:
            self.gallery.add(*(list(column) for column in zip(*fresh, strict=True)))
            self._count([e for e, _, _ in fresh])
        history_id, history_at = _last_decision()
        if history_id > self.watermark.history_id:
            self.watermark.history_id, self.watermark.history_at = history_id, history_at

    def still_in_gallery(self, ids: Iterable[int]) -> set[int]:
        ids = list(ids)
        if not ids:
            return set()
        return set(Application.objects.filter(
            enrollment_id__in=ids, status__in=GALLERY_STATUSES).values_list(
            "enrollment_id", flat=True))

    # -- disk ---------------------------------------------------------------------------------
    def save(self, directory: Path | None = None) -> Path:
        directory = Path(directory or settings.EKTP_DEDUP_INDEX_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"index-{time.time_ns()}"
        self.gallery.save(directory / name)
        manifest = {"format": FORMAT, "folder": name, "database": self.database,
                    "watermark": asdict(self.watermark),
                    "positions": sorted(self.gallery.fingers),
                    "finger_dim": self.gallery.finger_dim, "policy": asdict(self.gallery.policy)}
        payload = json.dumps(manifest).encode()
        write_atomically(directory / POINTER, lambda f: f.write(payload))
        for old in directory.glob("index-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        self.unsaved = 0
        return directory / name


def calibrations(directory: Path | None = None) -> Calibrations:
    """calibration.json in the index folder if an office has fitted one, else the prior
    anchored on the settings' thresholds."""
    path = Path(directory or settings.EKTP_DEDUP_INDEX_DIR) / "calibration.json"
    if path.exists():
        return Calibrations.from_dict(json.loads(path.read_text()))
    return Calibrations.from_thresholds(
        settings.EKTP_FACE_MATCH_DISTANCE, settings.EKTP_FACE_REVIEW_DISTANCE,
        settings.EKTP_FINGER_MATCH_SCORE, settings.EKTP_FINGER_REVIEW_SCORE)


def build(*, policy: IndexPolicy | None = None, progress: Progress | None = None
          ) -> RegisterIndex:
    """A fresh index of every gallery recording in the database."""
    history_id, history_at = _last_decision()
    index = RegisterIndex(
        RegisterGallery(finger_dim=settings.EKTP_FINGERPRINT_DIM, policy=policy or IndexPolicy()),
        Watermark(history_id, history_at), calibrations(), _database())
    ids = gallery_enrollments()
    for start in range(0, len(ids), CHUNK):
        index._add(ids[start:start + CHUNK])
        if progress:
            progress(len(ids[start:start + CHUNK]))
    index.gallery.reindex()
    index.unsaved = len(ids)
    return index


def load(directory: Path | None = None) -> RegisterIndex | None:
    """The saved index if it still describes this database (caught up), else None."""
    directory = Path(directory or settings.EKTP_DEDUP_INDEX_DIR)
    try:
        manifest = json.loads((directory / POINTER).read_text())
        if manifest["format"] != FORMAT or manifest["database"] != _database():
            return None
        gallery = RegisterGallery.load(
            directory / manifest["folder"], manifest["positions"], manifest["finger_dim"],
            IndexPolicy(**manifest["policy"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or corrupt: rebuilt from the database
    index = RegisterIndex(gallery, Watermark(**manifest["watermark"]), calibrations(directory),
                          _database())
    if not index.fits_database():
        return None
    index.sync()
    if gallery_extent() != (index.watermark.count, index.watermark.max_enrollment):
        return None
    index.unsaved = 0
    return index


VERIFY_SECONDS = 60
_lock = threading.Lock()
_current: RegisterIndex | None = None
_verified = 0.0


def current(*, verify: bool = False) -> RegisterIndex:
    """This process's index, loaded (or rebuilt) once, then kept in step with the database.
    Call it under the penunggalan lock so no decision lands between the sync and the search.

    Recordings put in the gallery without a penunggalan decision (an import, a restore) are
    caught by comparing the gallery's count and highest id with the database: at load, every
    VERIFY_SECONDS, and whenever `verify` is asked (the bulk scan does)."""
    global _current, _verified
    with _lock:
        if _current is None or not _current.fits_database():
            _current, _verified = load() or build(), time.monotonic()
            if len(_current.gallery) >= settings.EKTP_DEDUP_INDEX_PERSIST_FROM:
                _current.save()
            return _current
        _current.sync()
        if verify or time.monotonic() - _verified > VERIFY_SECONDS:
            wm = _current.watermark
            if gallery_extent() != (wm.count, wm.max_enrollment):
                _current = build()
            _verified = time.monotonic()
        return _current


def forget() -> None:
    """Drop this process's index (the next `current()` loads or rebuilds it)."""
    global _current
    with _lock:
        _current = None

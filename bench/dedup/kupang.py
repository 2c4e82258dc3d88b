"""The Kupang backlog: waiting enrollments deduplicated against a whole register, end to end
through the pipeline (dedup_run_queue: the database, the sealed templates, the register index,
the decisions and their history rows), on a fresh SQLite database unless DATABASE_URL is set.

    .venv/bin/python bench/dedup/kupang.py                          # 300,000 + 14,000
    .venv/bin/python bench/dedup/kupang.py --residents 3000 --waiting 200

The register is bulk-loaded (building 300,000 residents through the services would take hours):
families, residents, enrollments with sealed templates (sealed exactly as enrollment_record
seals them) and applications already at PRINT_READY_RECORD. People and their families come from
engine/register_synth.py, templates from engine/synthetic.py (face 128-d with a dlib-like
common component, right and left index fingers; 2% of the register in look-alike families,
0.3% of new applicants a relative). The waiting applications (RECEIVED_AT_CENTRAL) are new
people, plus `--planted` share of the register recorded again under a new NIK with a typo in
the name (one-to-many duplicates), plus `--same-nik` register residents recorded again (one-to-
one). The LLR calibration is fitted on labelled searches of the register with other captures
than the waiting ones (as an office would fit it on adjudicated pairs) and written to the index
folder as calibration.json. The index, once built, is kept in DIR/index-pristine: a second run
with the same --dir reuses the register and that index and only resets the waiting.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BATCH = 5000
RIGHT_INDEX, LEFT_INDEX = 2, 7  # finger positions (1 right thumb ... 10 left little)


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=300_000)
    parser.add_argument("--waiting", type=int, default=14_000)
    parser.add_argument("--planted", type=float, default=0.01,
                        help="share of the waiting that are register people under a new NIK")
    parser.add_argument("--same-nik", type=int, default=20,
                        help="register residents recorded again (one-to-one duplicates)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", help="folder for the database and the index (default: temp)")
    args = parser.parse_args(argv)
    if args.residents < 100 or args.waiting < 10:
        parser.error("--residents must be at least 100 and --waiting at least 10")
    if not 0 <= args.planted <= 0.5 or args.same_nik < 0:
        parser.error("--planted must be within 0..0.5 and --same-nik not negative")
    return args


def main(argv=None) -> dict:
    args = parse(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="ektp-kupang-"))
    if "django" not in sys.modules or not _configured():
        _standalone(folder)
    return run(args, folder)


def _configured() -> bool:
    from django.conf import settings

    return settings.configured


def _standalone(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("EKTP_DATA_DIR", str(folder))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'kupang.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from ektp.regions.services import regions_load

    regions_load()


def run(args, folder: Path) -> dict:
    from django.conf import settings

    settings.EKTP_DEDUP_INDEX_DIR = folder / "dedup-index"
    timings = {}
    started = time.monotonic()
    saved = folder / "truth.json"
    if saved.exists():
        truth = reuse(saved)  # the same register again: only the waiting are reset
    else:
        truth = load(args)
        saved.write_text(json.dumps({"repeats": list(truth["repeats"].items()),
                                     "waiting": truth["waiting"]}))
    timings["load"] = time.monotonic() - started
    results = decide(args, folder, timings)
    results.update(check(truth))
    print_table(args, timings, results)
    return {**results, **timings}


# --- the register, bulk-loaded ------------------------------------------------------------------


class Loader:
    def __init__(self, args):
        from ektp.dedup.engine.register_synth import generate_register
        from ektp.dedup.engine.synthetic import SyntheticPopulation
        from ektp.enrollment.keys import biometric_key
        from ektp.regions.models import Region

        self.args, self.rng = args, random.Random(args.seed)
        self.key = biometric_key()
        total = args.residents + args.waiting
        self.people = generate_register(total, dup_rate=0.0, seed=args.seed).records.iloc[:total]
        self.population = SyntheticPopulation(args.residents, seed=args.seed)
        self.villages = list(Region.objects.filter(code__startswith="53.71.", level=4)
                             .values_list("code", flat=True))
        self.sequence = 0
        self.now = datetime.now(UTC)

    def families(self) -> dict[str, int]:
        from ektp.residents.models import Family

        rows = self.people.drop_duplicates("kk")
        created = {}
        for start in range(0, len(rows), BATCH):
            chunk = rows.iloc[start:start + BATCH]
            objects = Family.objects.bulk_create(Family(
                kk_number=r.kk, village_id=self.villages[int(r.village_code) % len(
                    self.villages)], address=r.address[:120], rt="1", rw="1")
                for r in chunk.itertuples())
            created.update({f.kk_number: f.pk for f in objects})
        return created

    def residents(self, rows, families, typo_of=None) -> list:
        from ektp.residents import reference
        from ektp.residents.models import Resident

        return Resident.objects.bulk_create([Resident(
            nik=r.nik, family_id=families[r.kk], relationship=reference.KEPALA_KELUARGA,
            name=typo_of(r) if typo_of else r.name, birth_place=_text(r.birth_place)[:60],
            birth_date=date.fromisoformat(str(r.birth_date)[:10]),
            sex=reference.LAKI_LAKI if r.sex.startswith("L") else reference.PEREMPUAN,
            religion=1, marital_status=reference.KAWIN, occupation=9,
            mother_name=_text(r.mother_name)) for r in rows.itertuples()], batch_size=2000)

    def record(self, resident_ids, templates, status) -> list[int]:
        """Enrollments with sealed templates and one application each at `status`."""
        from ektp.enrollment.models import BiometricTemplate, Enrollment
        from ektp.enrollment.sealing import row_binding, seal, seal_vector
        from ektp.enrollment.services import template_binding
        from ektp.issuance.models import Application

        enrollments = []
        for row, resident_id in enumerate(resident_ids):
            self.sequence += 1
            code = f"BENCH-{self.sequence:09d}"
            present = [(pos, templates[name][row]) for pos, name in
                       ((RIGHT_INDEX, "right_index"), (LEFT_INDEX, "left_index"))
                       if np.isfinite(templates[name][row]).all()]
            enrollments.append((Enrollment(
                enrollment_id=code, resident_id=resident_id, station_code="BENCH",
                sequence=self.sequence, captured_at=self.now - timedelta(
                    days=400 if status != "RECEIVED_AT_CENTRAL" else 3, seconds=self.sequence),
                photo_sealed=seal(b"photo", key=self.key,
                                  associated_data=row_binding(code, "photo")),
                signature_sealed=seal(b"signature", key=self.key,
                                      associated_data=row_binding(code, "signature")),
                photo_width=240, photo_height=320, finger_count=len(present)),
                templates["face"][row], present))
        created = Enrollment.objects.bulk_create([e for e, _, _ in enrollments], batch_size=2000)
        sealed = []
        for enrollment, (_, face, fingers) in zip(created, enrollments, strict=True):
            for modality, position, vector in [("face", 0, face)] + [
                    ("finger", pos, vec) for pos, vec in fingers]:
                sealed.append(BiometricTemplate(
                    enrollment_id=enrollment.pk, modality=modality, position=position,
                    sealed=seal_vector(vector, key=self.key, associated_data=template_binding(
                        enrollment.enrollment_id, modality, position))))
        BiometricTemplate.objects.bulk_create(sealed, batch_size=5000)
        Application.objects.bulk_create([Application(
            resident_id=e.resident_id, kind="new", status=status, enrollment_id=e.pk,
            status_changed_at=e.captured_at, site="BENCH") for e in created], batch_size=2000)
        return [e.pk for e in created]


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def load(args) -> dict:
    """Returns the truth: waiting enrollment -> the register enrollment it repeats."""
    from django.db import transaction
    from tqdm import tqdm

    from ektp.demo.builder import typo

    loader = Loader(args)
    register = loader.people.iloc[:args.residents]
    waiting = loader.people.iloc[args.residents:]
    with transaction.atomic():
        families = loader.families()
        register_enrollments, resident_of = [], []
        bar = tqdm(total=args.residents, desc="Register", unit="rekaman")
        for (ids, templates) in loader.population.gallery():
            rows = register.iloc[int(ids[0]):int(ids[-1]) + 1]
            residents = loader.residents(rows, families)
            resident_of += [r.pk for r in residents]
            register_enrollments += loader.record([r.pk for r in residents], templates,
                                                  "PRINT_READY_RECORD")
            bar.update(len(ids))
        bar.close()
        planted = round(args.waiting * args.planted)
        mates, mated = loader.population.mated_probes(planted + args.same_nik, stream=1)
        truth = {}
        repeat_rows = register.iloc[mates[:planted]]
        # A repeat takes a waiting row's fresh NIK and family (a move), keeps the rest.
        repeat_rows = repeat_rows.assign(nik=waiting["nik"].to_numpy()[:planted],
                                         kk=waiting["kk"].to_numpy()[:planted])
        repeats = loader.residents(repeat_rows, families,
                                   typo_of=lambda r: typo(r.name, loader.rng))
        again = [resident_of[m] for m in mates[planted:]]
        recorded = loader.record([r.pk for r in repeats] + again, mated, "RECEIVED_AT_CENTRAL")
        truth.update({e: register_enrollments[m] for e, m in zip(recorded, mates, strict=True)})
        rest = waiting.iloc[planted + args.same_nik:]
        _, fresh = loader.population.nonmated_probes(len(rest), stream=1)
        loader.record([r.pk for r in loader.residents(rest, families)], fresh,
                      "RECEIVED_AT_CENTRAL")
    from ektp.issuance.models import Application

    waiting_ids = list(Application.objects.filter(status="RECEIVED_AT_CENTRAL").values_list(
        "pk", flat=True))
    return {"repeats": truth, "waiting": waiting_ids}


def reuse(path: Path) -> dict:
    """Put the waiting applications back at RECEIVED_AT_CENTRAL (their decisions, history
    rows and candidates deleted) to time penunggalan again on the same register."""
    from django.db import transaction

    from ektp.dedup.models import DedupCandidate
    from ektp.issuance.models import Application, ApplicationHistory

    saved = json.loads(path.read_text())
    with transaction.atomic():
        DedupCandidate.objects.filter(application_id__in=saved["waiting"]).delete()
        ApplicationHistory.objects.filter(application_id__in=saved["waiting"]).delete()
        Application.objects.filter(pk__in=saved["waiting"]).update(
            status="RECEIVED_AT_CENTRAL", duplicate_kind="")
    return {"repeats": {int(a): int(b) for a, b in saved["repeats"]},
            "waiting": saved["waiting"]}


# --- calibration (fitted on labelled searches of the register, as an office would fit it on ----
# --- adjudicated pairs; the probes are other captures than the waiting ones) ---------------------


def fit_calibration(index, args, directory: Path, probes: int = 3_000) -> None:
    from ektp.dedup.engine.fusion import ScoreCalibration
    from ektp.dedup.engine.gallery import Probe
    from ektp.dedup.engine.register_gallery import Calibrations, Person
    from ektp.dedup.engine.synthetic import SyntheticPopulation
    from ektp.enrollment.models import Enrollment

    population = SyntheticPopulation(args.residents, seed=args.seed)
    enrollment_of = dict(Enrollment.objects.filter(
        station_code="BENCH", sequence__lte=args.residents).values_list("sequence", "pk"))
    count = min(probes, args.residents // 4)
    mates, mated = population.mated_probes(count, stream=9)
    _, strangers = population.nonmated_probes(count, stream=9)
    nobody = [Person(-1, "", "", 0, 0)] * count
    genuine, impostor = {"face": [], "finger": []}, {"face": [], "finger": []}
    for batch, mate_ids in ((mated, [enrollment_of[int(m) + 1] for m in mates]),
                            (strangers, [None] * count)):
        found = index.gallery.search(_probes(batch, Probe), nobody, 10, index.calibrations)
        for mate, matches in zip(mate_ids, found, strict=True):
            for m in matches:
                side = genuine if m.record_id == mate else impostor
                side["face"].append(-m.face_distance if m.face_distance is not None
                                    else np.nan)
                side["finger"].append(m.finger_score if m.finger_score is not None else np.nan)
    index.calibrations = Calibrations(
        ScoreCalibration.fit(np.array(genuine["face"]), np.array(impostor["face"])),
        ScoreCalibration.fit(np.array(genuine["finger"]), np.array(impostor["finger"])))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "calibration.json").write_text(json.dumps(index.calibrations.to_dict()))


def _probes(templates, probe_class) -> list:
    out = []
    for row in range(len(templates["face"])):
        fingers = {pos: templates[name][row] for pos, name in
                   ((RIGHT_INDEX, "right_index"), (LEFT_INDEX, "left_index"))
                   if np.isfinite(templates[name][row]).all()}
        out.append(probe_class(face=templates["face"][row], fingers=fingers))
    return out


# --- the run -------------------------------------------------------------------------------------


def decide(args, folder: Path, timings: dict) -> dict:
    from django.conf import settings
    from tqdm import tqdm

    from ektp.dedup import register_index
    from ektp.dedup.services import dedup_queue, dedup_run_queue

    register_index.forget()
    index_dir, pristine = Path(settings.EKTP_DEDUP_INDEX_DIR), folder / "index-pristine"
    restored = pristine.exists()
    if restored:  # the register's index as first built (the waiting are not in it)
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.copytree(pristine, index_dir)
    started = time.monotonic()
    index = register_index.current()
    timings["index"] = time.monotonic() - started
    timings["index_source"] = "loaded from disk" if restored else "built from the database"
    if not restored and (index_dir / register_index.POINTER).exists():
        shutil.copytree(index_dir, pristine)
    gallery = len(index.gallery)
    started = time.monotonic()
    fit_calibration(index, args, index_dir)
    timings["calibration"] = time.monotonic() - started
    waiting = len(dedup_queue())
    started = time.monotonic()
    with tqdm(total=waiting, desc="Penunggalan", unit="rekaman") as bar:
        counts = dedup_run_queue(progress=bar.update)
    timings["dedup"] = time.monotonic() - started
    return {"counts": counts, "waiting": waiting, "gallery": gallery,
            "index_kind": index.gallery.face.kind}


def check(truth: dict) -> dict:
    from ektp.dedup.models import DedupCandidate
    from ektp.issuance.models import Application

    status = dict(Application.objects.filter(status__in=[
        "DUPLICATE_RECORD", "ADJUDICATE_RECORD"]).values_list("enrollment_id", "status"))
    matched = {}
    for application_enrollment, matched_enrollment in DedupCandidate.objects.values_list(
            "application__enrollment_id", "matched_enrollment_id"):
        matched.setdefault(application_enrollment, set()).add(matched_enrollment)
    repeats = truth["repeats"]
    found = sum(1 for e, original in repeats.items()
                if status.get(e) == "DUPLICATE_RECORD" and original in matched.get(e, ()))
    flagged = sum(1 for e, original in repeats.items()
                  if status.get(e) and original in matched.get(e, ()))
    false_duplicates = sum(1 for e, s in status.items()
                           if s == "DUPLICATE_RECORD" and e not in repeats)
    false_adjudications = sum(1 for e, s in status.items()
                              if s == "ADJUDICATE_RECORD" and e not in repeats)
    return {"planted": len(repeats), "found": found, "flagged": flagged,
            "false_duplicates": false_duplicates, "false_adjudications": false_adjudications}


def print_table(args, timings: dict, r: dict) -> None:
    rate = r["waiting"] / timings["dedup"] if timings["dedup"] else float("inf")
    rows = [
        ("register (residents, recordings in the gallery)", f"{r['gallery']:,}"),
        ("waiting enrollments (RECEIVED_AT_CENTRAL)", f"{r['waiting']:,}"),
        ("planted duplicates (new NIK + same NIK)", f"{r['planted']:,}"),
        ("found as DUPLICATE_RECORD", f"{r['found']:,}"),
        ("found at all (duplicate or adjudication)", f"{r['flagged']:,}"),
        ("false DUPLICATE_RECORD", f"{r['false_duplicates']:,}"),
        ("ADJUDICATE_RECORD, not planted (relatives, look-alikes)",
         f"{r['false_adjudications']:,}"),
        ("face index", r["index_kind"]),
        ("bulk load of the register (setup), s", f"{timings['load']:.1f}"),
        (f"register index {timings['index_source']}, s", f"{timings['index']:.1f}"),
        ("LLR calibration fitted on labelled searches, s", f"{timings['calibration']:.1f}"),
        ("penunggalan of the waiting, s", f"{timings['dedup']:.1f}"),
        ("penunggalan of the waiting, minutes", f"{timings['dedup'] / 60:.2f}"),
        ("applications per second", f"{rate:,.0f}"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"\nKupang backlog: {args.waiting:,} waiting against {args.residents:,} residents "
          f"(load average {os.getloadavg()[0]:.1f})")
    print(f"| {'':{width}} | {'':>10} |\n|{'-' * (width + 2)}|{'-' * 12}:|")
    for label, value in rows:
        print(f"| {label:{width}} | {value:>10} |")
    print("outcomes:", ", ".join(f"{k} {v:,}" for k, v in sorted(r["counts"].items())))


if __name__ == "__main__":
    main()

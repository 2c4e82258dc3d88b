"""CSV file mode: column mapping, output files, resuming after a crash, clear errors."""

import pandas as pd
import pytest

from ektp.dedup.engine.csv_dedup import CsvDedupError, dedup_csv, parse_mapping
from ektp.dedup.engine.demographic import COMPARISONS, EngineConfig
from ektp.dedup.engine.register_synth import generate_register

# Column names as another office might export them.
RENAMED = {"record_id": "NO_URUT", "name": "NAMA_LENGKAP", "birth_date": "TGL_LAHIR",
           "sex": "JENIS_KELAMIN", "nik": "NIK", "kk": "NO_KK", "mother_name": "NAMA_IBU",
           "address": "ALAMAT", "village_code": "KODE_DESA", "birth_place": "TEMPAT_LAHIR"}
MAPPING = [f"{csv}={field}" for field, csv in RENAMED.items() if field != "record_id"]
SMALL_CHUNKS = EngineConfig(chunk_pairs=300, workers=1)


@pytest.fixture(scope="module")
def register():
    return generate_register(1500, seed=5)


@pytest.fixture
def csv_file(tmp_path, register):
    path = tmp_path / "penduduk.csv"
    register.records.drop(columns=["person_id"]).rename(columns=RENAMED).to_csv(path, index=False)
    return path


def _run(csv_file, out, **options):
    options.setdefault("config", SMALL_CHUNKS)
    return dedup_csv(csv_file, out, "NO_URUT", parse_mapping(MAPPING), **options)


def test_parse_mapping():
    assert parse_mapping(["NAMA=name", " TGL = birth_date "]) == {"NAMA": "name",
                                                                   "TGL": "birth_date"}
    with pytest.raises(CsvDedupError) as bad:
        parse_mapping(["NAMA"])
    assert bad.value.code == "bad_mapping"
    with pytest.raises(CsvDedupError) as unknown:
        parse_mapping(["NAMA=full_name"])
    assert unknown.value.code == "unknown_field"
    with pytest.raises(CsvDedupError) as twice:
        parse_mapping(["A=name", "B=name"])
    assert twice.value.code == "duplicate_field"


def test_mapped_columns_give_clusters_and_pairs(tmp_path, csv_file, register):
    result = _run(csv_file, tmp_path / "out.csv")
    clusters = pd.read_csv(result.out_path, dtype=str)
    pairs = pd.read_csv(result.pairs_path, dtype=str)
    assert list(clusters.columns) == ["record_id", "cluster_id"]
    assert len(clusters) == len(register.records) == result.records
    assert list(pairs.columns) == ["record_id_a", "record_id_b", "score", "is_match",
                                   *COMPARISONS]
    matched = pairs[pairs.is_match == "True"]
    found = {(min(int(a), int(b)), max(int(a), int(b)))
             for a, b in zip(matched.record_id_a, matched.record_id_b, strict=True)}
    assert len(found & register.true_pairs) >= 0.85 * len(register.true_pairs)
    cluster_of = dict(zip(clusters.record_id, clusters.cluster_id, strict=True))
    a, b = next(iter(found & register.true_pairs))
    assert cluster_of[str(a)] == cluster_of[str(b)]


def test_columns_named_like_fields_need_no_mapping(tmp_path, register):
    path = tmp_path / "plain.csv"
    register.records.drop(columns=["person_id"]).to_csv(path, index=False)
    result = dedup_csv(path, tmp_path / "out.csv", "record_id", config=SMALL_CHUNKS)
    assert result.records == len(register.records) and result.duplicate_pairs > 0


def test_resume_after_a_crash_gives_the_same_output(tmp_path, csv_file):
    clean = _run(csv_file, tmp_path / "clean" / "out.csv")
    seen = []

    def crash_after_two_chunks(stage, done, total):
        if stage == "pairs":
            seen.append(done)
            if len(seen) == 3:
                raise KeyboardInterrupt("simulated crash")

    out = tmp_path / "crashed" / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        _run(csv_file, out, progress=crash_after_two_chunks)
    assert not out.exists()
    resumed = _run(csv_file, out)
    assert resumed.chunks_resumed >= 2
    assert resumed.chunks_scored + resumed.chunks_resumed == clean.chunks_scored
    assert out.read_bytes() == clean.out_path.read_bytes()
    assert resumed.pairs_path.read_bytes() == clean.pairs_path.read_bytes()


def test_a_changed_input_starts_afresh(tmp_path, csv_file):
    out = tmp_path / "out.csv"
    _run(csv_file, out)
    frame = pd.read_csv(csv_file, dtype=str).iloc[:-10]
    frame.to_csv(csv_file, index=False)
    again = _run(csv_file, out)
    assert again.chunks_resumed == 0 and again.records == len(frame)


@pytest.mark.parametrize("content, code", [
    ("", "empty_csv"),
    ("NO_URUT,NAMA_LENGKAP\n", "empty_csv"),
    ('NO_URUT,NAMA_LENGKAP\n1,"AHMAD\n', "bad_csv"),
    ("NO_URUT,NAMA_LENGKAP\n1,AHMAD,X,Y\n2,BUDI\n", "bad_csv"),
    ("NO_URUT,NAMA_LENGKAP\n1,AHMAD\n1,BUDI\n", "duplicate_id"),
    ("NO_URUT,NAMA_LENGKAP\n1,AHMAD\n,BUDI\n", "missing_id"),
    ("ID,NAMA_LENGKAP\n1,AHMAD\n", "column_missing"),
    ("NO_URUT,FOO\n1,AHMAD\n", "column_missing"),
])
def test_bad_input_gets_a_clear_error(tmp_path, content, code):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CsvDedupError) as error:
        dedup_csv(path, tmp_path / "out.csv", "NO_URUT", {"NAMA_LENGKAP": "name"})
    assert error.value.code == code
    assert not (tmp_path / "out.csv").exists()


def test_no_field_columns_is_an_error(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("NO_URUT,FOO\n1,A\n")
    with pytest.raises(CsvDedupError) as error:
        dedup_csv(path, tmp_path / "out.csv", "NO_URUT")
    assert error.value.code == "no_fields"


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(CsvDedupError) as missing:
        dedup_csv(tmp_path / "nope.csv", tmp_path / "out.csv", "ID")
    assert missing.value.code == "input_missing"
    path = tmp_path / "latin.csv"
    path.write_bytes("ID,name\n1,D\xe9d\xe9\n".encode("latin-1"))
    with pytest.raises(CsvDedupError) as encoding:
        dedup_csv(path, tmp_path / "out.csv", "ID")
    assert encoding.value.code == "bad_encoding"

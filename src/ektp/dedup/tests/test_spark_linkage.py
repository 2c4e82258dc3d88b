"""Splink on Spark (local mode) as the scale-out path of the demographic bulk scan.

One Spark session for the module, a tiny synthetic register. Training on Spark runs dozens
of small Spark jobs per EM pass (minutes on this loaded machine), so the test fits the model on
DuckDB and checks that Spark scores exactly the same pairs; bench/dedup/spark.py trains on
Spark too. Skipped, with the reason, when no
Java runtime is installed (Debian: apt-get install openjdk-17-jre-headless).
"""

import pandas as pd
import pytest

from ektp.dedup.engine import spark_linkage
from ektp.dedup.engine.register_synth import generate_register
from ektp.dedup.engine.spark_linkage import SplinkRunConfig, link, splink_input

# No test database: the SQLite pass of `make test` runs it, the PostgreSQL pass skips it.
pytestmark = pytest.mark.once

FAST = SplinkRunConfig(u_max_pairs=3e5)


@pytest.fixture(scope="module")
def register():
    generated = generate_register(3_000, seed=11)
    truth = {(min(a, b), max(a, b)) for a, b in generated.true_pairs}
    return generated.records.drop(columns=["person_id"]), truth


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    if spark_linkage.java_version() is None:
        pytest.skip(spark_linkage.JAVA_HINT)
    session = spark_linkage.local_spark(cores=2, memory="1g",
                                        workdir=str(tmp_path_factory.mktemp("spark")))
    yield session
    session.stop()


def _scores(pairs: pd.DataFrame, truth: set) -> tuple[float, float, float]:
    predicted = set(zip(pairs.record_id_a, pairs.record_id_b, strict=True))
    tp = len(predicted & truth)
    precision, recall = tp / max(1, len(predicted)), tp / len(truth)
    return precision, recall, 2 * precision * recall / max(1e-9, precision + recall)


def test_input_carries_ektps_normalised_fields():
    frame = splink_input(pd.DataFrame([
        {"record_id": 1, "name": "Moch. Rizki, S.Pd.", "birth_date": "1990-05-04",
         "nik": "3501010405900001", "sex": "LAKI-LAKI", "kk": "3501-0106-0800-01",
         "mother_name": "Siti Aminah", "address": "Jalan Mawar Nomor 5",
         "village_code": "3501012001", "birth_place": "Soerabaja"},
        {"record_id": 2, "name": "MUHAMMAD RIZKI", "birth_date": None,
         "nik": "3501014405900002", "sex": None, "kk": None, "mother_name": "SITTI AMINAH",
         "address": None, "village_code": None, "birth_place": "SURABAYA"},
    ]))
    one, two = frame.to_dict("records")
    assert one["name_phonetic"] == two["name_phonetic"] and one["name_parts"]
    assert "S.PD" not in one["name"] and one["mother"] == two["mother"]
    assert one["birth_date"] == "1990-05-04" == one["nik_date"]
    assert two["birth_date"] is None and two["nik_date"] == "1990-05-04"
    assert (one["sex"], two["sex"]) == ("1", "2")  # the second from the NIK (day + 40)
    assert one["kk"] is not None and two["kk"] is None and one["kecamatan"] is not None
    assert one["birth_place"] == two["birth_place"]


def test_bad_backend_is_refused(register):
    records, _ = register
    with pytest.raises(ValueError, match="unknown backend"):
        link(records.head(50), backend="oracle")
    with pytest.raises(ValueError, match="spark session"):
        link(records.head(50), backend="spark", spark=None)


@pytest.fixture(scope="module")
def model(register):
    records, _ = register
    return spark_linkage.train(records, backend="duckdb", config=FAST)


def test_duckdb_model_finds_the_planted_duplicates(register, model):
    records, truth = register
    assert set(model) == {"prior", "m", "u"} and 0 < model["prior"] < 0.01
    pairs = spark_linkage.predict(records, model, backend="duckdb")
    precision, recall, f1 = _scores(pairs, truth)
    assert recall >= 0.85 and f1 >= 0.75, (precision, recall, f1)


def test_spark_scores_like_duckdb(spark, register, model):
    # The scale-out path: a model fitted on one machine (or on a sample) scores the register
    # on Spark; the pairs and probabilities are the same as DuckDB's.
    records, truth = register
    on_spark = spark_linkage.predict(records, model, backend="spark", spark=spark)
    on_duckdb = spark_linkage.predict(records, model, backend="duckdb")
    assert (on_spark.record_id_a < on_spark.record_id_b).all()
    assert on_spark.match_probability.between(0.5, 1).all()
    both = on_duckdb.merge(on_spark, on=["record_id_a", "record_id_b"], how="outer",
                           indicator=True)
    assert (both._merge == "both").all() and len(both) == len(on_duckdb) > 0
    assert (both.match_probability_x - both.match_probability_y).abs().max() < 1e-9
    assert _scores(on_spark, truth)[1] >= 0.85

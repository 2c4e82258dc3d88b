"""The penunggalan engine, pure numpy: gallery search and decisions at the threshold edges."""

import numpy as np
import pytest

from ektp.dedup.engine.decision import (
    ADJUDICATE,
    DUPLICATE,
    SINGLE,
    Thresholds,
    candidate_outcome,
    overall_outcome,
)
from ektp.dedup.engine.gallery import Gallery, Hit, Probe
from ektp.enrollment.tests import biometrics

T = Thresholds(face_match=0.5, face_review=0.6, finger_match=0.8, finger_review=0.65)
STEP = 2.0**-10  # exactly representable in float32 and float64, so edges stay edges


@pytest.fixture
def rng():
    return np.random.default_rng(128)


def probe_of(sample) -> Probe:
    return Probe(face=sample.face, fingers=sample.fingers)


def search(gallery: Gallery, probe: Probe) -> list[Hit]:
    return gallery.search(probe, face_limit=T.face_review, finger_limit=T.finger_review)


def axis(value: float, dim: int = 128) -> np.ndarray:
    vector = np.zeros(dim, dtype=np.float32)
    vector[0] = value
    return vector


# --- gallery ----------------------------------------------------------------------------------


def test_an_empty_gallery_finds_nothing(rng):
    probe = probe_of(biometrics.capture(biometrics.new_identity(rng), rng))
    assert search(Gallery(), probe) == []


def test_a_recapture_is_found_with_both_scores_and_strangers_are_not(rng):
    gallery = Gallery()
    people = [biometrics.new_identity(rng) for _ in range(50)]
    for record_id, person in enumerate(people, start=1):
        gallery.add(record_id, probe_of(biometrics.capture(person, rng)))
    hits = search(gallery, probe_of(biometrics.capture(people[17], rng)))
    assert [hit.record_id for hit in hits] == [18]
    assert hits[0].face_distance < T.face_match and hits[0].finger_score > T.finger_match


def test_the_face_limit_is_inclusive():
    gallery = Gallery()
    gallery.add(1, Probe(face=axis(0.5), fingers={}))
    gallery.add(2, Probe(face=axis(0.5 + STEP), fingers={}))
    hits = gallery.search(Probe(face=axis(0.0), fingers={}), face_limit=0.5, finger_limit=1.0)
    assert hits == [Hit(1, 0.5, None)]


def test_the_finger_limit_is_inclusive():
    gallery = Gallery(finger_dim=2)
    gallery.add(1, Probe(face=None, fingers={1: np.array([0.75, 0.0], dtype=np.float32)}))
    gallery.add(2, Probe(face=None, fingers={1: np.array([0.75 - STEP, 0], dtype=np.float32)}))
    probe = Probe(face=None, fingers={1: np.array([1.0, 0.0], dtype=np.float32)})
    assert gallery.search(probe, face_limit=0.0, finger_limit=0.75) == [Hit(1, None, 0.75)]


def test_finger_scores_average_only_the_fingers_both_records_have():
    gallery = Gallery(finger_dim=2)
    right, up = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    gallery.add(1, Probe(face=None, fingers={1: right}))  # only the right thumb
    gallery.add(2, Probe(face=None, fingers={1: right, 2: up}))
    probe = Probe(face=None, fingers={1: right, 2: right})
    scores = {hit.record_id: hit.finger_score
              for hit in gallery.search(probe, face_limit=0.0, finger_limit=0.0)}
    assert scores == {1: 1.0, 2: 0.5}


def test_a_record_without_a_face_is_still_found_by_its_fingers(rng):
    person = biometrics.new_identity(rng)
    gallery = Gallery()
    gallery.add(7, Probe(face=None, fingers=biometrics.capture(person, rng).fingers))
    hits = search(gallery, probe_of(biometrics.capture(person, rng)))
    assert [(hit.record_id, hit.face_distance) for hit in hits] == [(7, None)]


def test_adding_a_record_twice_keeps_one_copy(rng):
    gallery = Gallery()
    sample = biometrics.capture(biometrics.new_identity(rng), rng)
    gallery.add(3, probe_of(sample))
    gallery.add(3, probe_of(sample))
    assert len(gallery) == 1 and 3 in gallery and 4 not in gallery
    assert len(search(gallery, probe_of(sample))) == 1


def test_the_gallery_grows_past_its_first_block(rng):
    gallery = Gallery()
    people = [biometrics.new_identity(rng) for _ in range(150)]  # rows start at 64, then double
    for record_id, person in enumerate(people):
        gallery.add(record_id, probe_of(biometrics.capture(person, rng)))
    assert len(gallery) == 150
    for record_id in (0, 63, 64, 149):
        found = search(gallery, probe_of(biometrics.capture(people[record_id], rng)))
        assert [hit.record_id for hit in found] == [record_id]


# --- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("face", "finger", "demographic", "outcome"), [
    (0.5, 0.8, False, DUPLICATE),  # both exactly at the match edge
    (0.0, 1.0, False, DUPLICATE),
    (0.5 + STEP, 0.8, False, ADJUDICATE),  # the face just misses: a person looks
    (0.5, 0.8 - STEP, False, ADJUDICATE),  # the fingers just miss
    (0.5, None, False, ADJUDICATE),  # only the face matches
    (None, 0.95, False, ADJUDICATE),  # only the fingers match
    (0.6, None, False, ADJUDICATE),  # at the face review edge
    (0.6 + STEP, None, False, SINGLE),
    (None, 0.65, False, ADJUDICATE),  # at the finger review edge
    (None, 0.65 - STEP, False, SINGLE),
    (0.6 + STEP, 0.65 - STEP, True, ADJUDICATE),  # same name and birth date, other biometrics
    (None, None, True, ADJUDICATE),
    (None, None, False, SINGLE),
    (1.2, 0.05, False, SINGLE),
])
def test_candidate_outcome_at_the_edges(face, finger, demographic, outcome):
    assert candidate_outcome(face, finger, demographic, T) == outcome


@pytest.mark.parametrize(("outcomes", "overall"), [
    ([], SINGLE),
    ([SINGLE, SINGLE], SINGLE),
    ([SINGLE, ADJUDICATE], ADJUDICATE),
    ([ADJUDICATE, DUPLICATE, SINGLE], DUPLICATE),
])
def test_the_strongest_candidate_decides(outcomes, overall):
    assert overall_outcome(outcomes) == overall

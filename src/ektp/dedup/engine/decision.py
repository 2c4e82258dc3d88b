"""From scores to a penunggalan outcome. Pure; thresholds come from settings."""

from dataclasses import dataclass

SINGLE = "PRINT_READY_RECORD"
DUPLICATE = "DUPLICATE_RECORD"
ADJUDICATE = "ADJUDICATE_RECORD"


@dataclass(frozen=True)
class Thresholds:
    face_match: float  # L2 distance at or below: the same face
    face_review: float  # at or below: a face worth a human look
    finger_match: float  # mean cosine at or above: the same fingers
    finger_review: float


def _face_level(distance: float | None, t: Thresholds) -> int:
    if distance is None:
        return 0
    return 2 if distance <= t.face_match else 1 if distance <= t.face_review else 0


def _finger_level(score: float | None, t: Thresholds) -> int:
    if score is None:
        return 0
    return 2 if score >= t.finger_match else 1 if score >= t.finger_review else 0


def candidate_outcome(face_distance: float | None, finger_score: float | None,
                      demographic_match: bool, t: Thresholds) -> str:
    """Both modalities clearly matching is a duplicate. Any weaker sign (one modality, a
    borderline score, or the same name and birth date under another NIK) goes to a person."""
    face, finger = _face_level(face_distance, t), _finger_level(finger_score, t)
    if face == 2 and finger == 2:
        return DUPLICATE
    if face or finger or demographic_match:
        return ADJUDICATE
    return SINGLE


def overall_outcome(outcomes: list[str]) -> str:
    if DUPLICATE in outcomes:
        return DUPLICATE
    if ADJUDICATE in outcomes:
        return ADJUDICATE
    return SINGLE

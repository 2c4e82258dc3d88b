"""Print queue order and hand-over matching. Pure: no Django."""

import numpy as np


def queue_order(kinds_and_ages: list[tuple[int, str, float]], *, blanks_short: bool) -> list[int]:
    """Ids in print order: oldest first; when blanks are short, first-time applicants (pemula)
    before replacements (domain.md §4 priorities). Items are (id, kind, waiting seconds)."""
    def key(item):
        application_id, kind, waited = item
        first = 0 if kind == "new" else 1
        return (first if blanks_short else 0, -waited, application_id)
    return [item[0] for item in sorted(kinds_and_ages, key=key)]


def finger_match_score(enrolled: dict[int, np.ndarray], presented: dict[int, np.ndarray]) -> float:
    """Mean cosine over the fingers presented that were enrolled (0 when none overlap)."""
    common = [pos for pos in presented if pos in enrolled]
    if not common:
        return 0.0
    return float(np.mean([float(enrolled[p] @ presented[p]) for p in common]))

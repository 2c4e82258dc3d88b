"""``queue_counts``: PRR waiting per print point for the home pages, in one query, equal to the
length of each office's own queue."""

import pytest

from ektp.printing import selectors
from ektp.printing.tests.factories import KOTA_DEPOK, print_point, print_ready

pytestmark = pytest.mark.django_db


def test_counts_match_each_office_queue(office, django_assert_num_queries):
    alak = print_point("UPT-537101", "53.71.01")
    maulafa = print_point("UPT-537102", "53.71.02")
    depok = print_point("DINAS-3276", KOTA_DEPOK)
    for _ in range(2):
        print_ready()  # residents of Namosain, Alak
    offices = [office, alak, maulafa, depok]
    with django_assert_num_queries(1):
        counts = selectors.queue_counts(offices)
    assert counts == {o.pk: len(selectors.queue_ids(o, blanks=0)) for o in offices}
    assert counts == {office.pk: 2, alak.pk: 2, maulafa.pk: 0, depok.pk: 0}


def test_no_office_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.queue_counts([]) == {}

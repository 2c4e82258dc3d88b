import pytest

from ektp.audit.models import AuditEvent
from ektp.audit.services import audit_record
from ektp.regions.models import Region

pytestmark = pytest.mark.django_db


def _event():
    region = Region.objects.get(code="53.71")
    return audit_record(actor=None, action="read", obj=region, nik="5371014101900001",
                        purpose="cek data")


def test_rows_can_be_added_and_show_the_nik_masked():
    event = _event()
    assert event.nik_masked == "5371********0001"
    assert "5371********0001" in str(event)
    assert "5371014101900001" not in str(event)


@pytest.mark.parametrize("attempt", [
    lambda e: e.save(),
    lambda e: e.delete(),
    lambda e: AuditEvent.objects.filter(pk=e.pk).update(action="change"),
    lambda e: AuditEvent.objects.all().delete(),
])
def test_the_log_is_append_only(attempt):
    event = _event()
    with pytest.raises(PermissionError):
        attempt(event)
    assert AuditEvent.objects.get(pk=event.pk).action == "read"

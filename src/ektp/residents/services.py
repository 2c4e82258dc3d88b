"""Every write to the register: families, residents, NIK and KK issuing, life events."""

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ektp.audit.services import audit_record
from ektp.errors import Conflict, DomainError, NotFound
from ektp.regions.models import Region
from ektp.regions.selectors import region_get
from ektp.residents import reference, rules
from ektp.residents.models import Family, Resident, ResidentEvent
from ektp.residents.rules import ResidentRuleError

SEX_LETTER = {reference.LAKI_LAKI: "L", reference.PEREMPUAN: "P"}
# Permendagri 74/2015: static elements change only with an akta, ijazah or medical certificate.
STATIC_FIELDS = frozenset({"birth_place", "birth_date", "blood_type"})
STATIC_DOCUMENTS = frozenset({"akta_lahir", "ijazah", "surat_keterangan_medis"})
DYNAMIC_FIELDS = frozenset({
    "name", "sex", "religion", "marital_status", "occupation", "citizenship", "nationality",
    "kitap_expiry", "mother_name", "father_name",
})
ISSUE_ATTEMPTS = 50
# Value-list fields and the SIAK codes each accepts (reference.py).
REFERENCE_CODES = {
    "sex": reference.JENIS_KELAMIN, "religion": reference.AGAMA,
    "marital_status": reference.STATUS_PERKAWINAN, "blood_type": reference.GOLONGAN_DARAH,
    "occupation": reference.PEKERJAAN, "relationship": reference.SHDK,
}
CITIZENSHIPS = frozenset({"WNI", "WNA"})


def checked(rule: Callable, *args, **kwargs):
    """Run a pure rule, turning its refusal into a DomainError (400 with the same code)."""
    try:
        return rule(*args, **kwargs)
    except ResidentRuleError as exc:
        raise DomainError(exc.message, code=exc.code) from exc


def _village(code: str) -> Region:
    region = region_get(code)
    if region.level != Region.Level.VILLAGE:
        raise DomainError(f"{code} is not a desa/kelurahan", code="region_not_village")
    return region


def _next_serial(prefix: str, model, field: str) -> int:
    taken = model.objects.filter(**{f"{field}__startswith": prefix}).values_list(field, flat=True)
    return max((int(value[12:]) for value in taken), default=0) + 1


def _create_with_serial(prefix: str, model, field: str, **values):
    """Insert with the next free serial; a concurrent insert of the same serial makes the
    unique index refuse ours, and we take the next one (no check-then-act)."""
    for _attempt in range(ISSUE_ATTEMPTS):
        serial = _next_serial(prefix, model, field)
        if serial > 9999:
            raise Conflict(f"No free serial left for {prefix}", code="serial_exhausted")
        try:
            with transaction.atomic():
                return model.objects.create(**{field: rules.format_nik(prefix, serial)}, **values)
        except IntegrityError:
            continue
    raise Conflict("Could not issue a number, try again", code="serial_contention")


def _neighbourhood(value: str, field: str) -> str:
    """RT/RW as the 3 digits printed on the card; anything else is refused, not truncated."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 999):
        raise DomainError(f"{field.upper()} must be a number 1-999", code=f"{field}_invalid")
    return f"{int(text):03d}"


def _create_known(model, *, conflict_code: str, **values):
    """Insert a row whose number was given; the unique index, not a prior read, decides
    whether it is taken, so two concurrent requests cannot both pass."""
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError as exc:
        label = "KK number" if model is Family else "NIK"
        raise Conflict(f"This {label} is already registered", code=conflict_code) from exc


@transaction.atomic
def family_create(*, actor, village_code: str, address: str, rt: str, rw: str,
                  kk_number: str | None = None, recorded_on: date | None = None) -> Family:
    village = _village(village_code)
    values = {"village": village, "address": address.strip().upper(),
              "rt": _neighbourhood(rt, "rt"), "rw": _neighbourhood(rw, "rw")}
    if kk_number:
        info = checked(rules.parse_kk, kk_number)
        return _create_known(Family, kk_number=info.kk, conflict_code="kk_exists", **values)
    recorded_on = recorded_on or timezone.localdate()
    district = village.code.rsplit(".", 1)[0].replace(".", "")
    prefix = f"{district}{recorded_on:%d%m%y}"
    return _create_with_serial(prefix, Family, "kk_number", **values)


def _check_reference_codes(values: dict) -> None:
    for field, choices in REFERENCE_CODES.items():
        if field in values and values[field] not in {code for code, _label in choices}:
            raise DomainError(f"{values[field]!r} is not a SIAK code for {field}",
                              code="reference_code_unknown")
    if "citizenship" in values and values["citizenship"] not in CITIZENSHIPS:
        raise DomainError("Citizenship must be WNI or WNA", code="reference_code_unknown")


def _resident_values(*, name: str, birth_date: date, strict_name: bool, **fields) -> dict:
    today = timezone.localdate()
    checked(rules.validate_birth_date, birth_date, today)
    _check_reference_codes(fields)
    values = dict(fields, birth_date=birth_date, name=checked(rules.validate_name, name,
                                                                   strict=strict_name))
    for parent in ("mother_name", "father_name"):
        if values.get(parent):
            values[parent] = checked(rules.validate_name, values[parent], strict=False)
    return values


@transaction.atomic
def resident_register(*, actor, family_id: int, name: str, birth_date: date, sex: int,
                      nik: str | None = None, strict_name: bool = True, **fields) -> Resident:
    """Register a resident in a family. Without ``nik`` a new one is issued from the family's
    kecamatan, the birth date (+40 for women) and the next free serial."""
    family = Family.objects.select_related("village").filter(pk=family_id).first()
    if family is None:
        raise NotFound("Unknown family", code="family_unknown")
    values = _resident_values(name=name, birth_date=birth_date, sex=sex,
                              strict_name=strict_name, family=family, **fields)
    if nik:
        resident = _register_known_nik(nik, values)
    else:
        district = family.village.code.rsplit(".", 1)[0]
        prefix = rules.compose_nik_prefix(district, birth_date, SEX_LETTER[sex])
        resident = _create_with_serial(prefix, Resident, "nik", **values)
    ResidentEvent.objects.create(resident=resident, kind=ResidentEvent.Kind.REGISTERED,
                                 actor=actor, site=settings.EKTP_SITE_CODE)
    audit_record(actor=actor, action="create", obj=resident, nik=resident.nik)
    return resident


def _register_known_nik(nik: str, values: dict) -> Resident:
    info = checked(rules.parse_nik, nik, recorded_birth_date=values["birth_date"],
                   recorded_sex=SEX_LETTER[values["sex"]])
    return _create_known(Resident, conflict_code="nik_exists", nik=info.nik,
                         nik_warnings=_warning_rows(info), **values)


def _warning_rows(info: rules.NikInfo) -> list[dict]:
    return [{"code": w.code, "message": w.message} for w in info.warnings]


def _locked_resident(resident_id: int) -> Resident:
    resident = Resident.objects.select_for_update().filter(pk=resident_id).first()
    if resident is None:
        raise NotFound("Unknown resident", code="resident_unknown")
    if resident.status == Resident.Status.DECEASED:
        raise Conflict("The resident is recorded as deceased", code="resident_deceased")
    return resident


def _log_event(resident, kind, actor, changes, document_type="", document_ref=""):
    ResidentEvent.objects.create(
        resident=resident, kind=kind, actor=actor, site=settings.EKTP_SITE_CODE,
        changes=changes, document_type=document_type, document_ref=document_ref,
    )
    audit_record(actor=actor, action="change", obj=resident, nik=resident.nik)


@transaction.atomic
def resident_move(*, actor, resident_id: int, document_ref: str, to_village_code: str,
                  address: str = "", rt: str = "1", rw: str = "1",
                  to_kk_number: str | None = None) -> Resident:
    """Pindah datang: the resident joins a family at the destination (an existing KK, or a new
    one: a KK number changes on a move). The NIK never changes."""
    if not document_ref.strip():
        raise DomainError("A move needs the SKPWNI reference", code="document_required")
    resident = _locked_resident(resident_id)
    if to_kk_number:
        family = Family.objects.filter(kk_number=to_kk_number).first()
        if family is None:
            raise NotFound("Unknown KK number", code="family_unknown")
    else:
        family = family_create(actor=actor, village_code=to_village_code, address=address,
                               rt=rt, rw=rw)
    old_family = resident.family
    if family.pk == old_family.pk:
        raise DomainError("The resident is already in this KK", code="move_same_family")
    resident.family = family
    resident.save(update_fields=["family", "updated_at"])
    changes = {"kk_number": [old_family.kk_number, family.kk_number],
               "village": [old_family.village_id, family.village_id]}
    _log_event(resident, ResidentEvent.Kind.MOVED, actor, changes, "skpwni", document_ref)
    return resident


@transaction.atomic
def resident_record_death(*, actor, resident_id: int, died_on: date,
                          document_ref: str) -> Resident:
    if not document_ref.strip():
        raise DomainError("A death needs the akta kematian reference", code="document_required")
    if died_on > timezone.localdate():
        raise DomainError("The date of death cannot be in the future", code="date_future")
    resident = _locked_resident(resident_id)
    if died_on < resident.birth_date:
        raise DomainError("The date of death is before the date of birth",
                          code="death_before_birth")
    resident.status, resident.died_on = Resident.Status.DECEASED, died_on
    resident.save(update_fields=["status", "died_on", "updated_at"])
    _log_event(resident, ResidentEvent.Kind.DIED, actor, {"status": ["active", "deceased"]},
               "akta_kematian", document_ref)
    from ektp.issuance.services import applications_cancel_open

    applications_cancel_open(actor=actor, resident_id=resident.pk, reason="penduduk meninggal")
    return resident


def _validate_changes(changes: dict, document_type: str) -> None:
    unknown = set(changes) - STATIC_FIELDS - DYNAMIC_FIELDS
    if "nik" in unknown:
        raise DomainError("A NIK is never changed", code="nik_immutable")
    if unknown:
        raise DomainError(f"Not a changeable element: {sorted(unknown)}", code="field_unknown")
    if set(changes) & STATIC_FIELDS and document_type not in STATIC_DOCUMENTS:
        raise DomainError(
            "Static elements change only with an akta, ijazah or medical certificate",
            code="static_document_required")


@transaction.atomic
def resident_change_data(*, actor, resident_id: int, changes: dict, document_type: str,
                         document_ref: str) -> Resident:
    """Change data elements (Permendagri 74/2015) with the supporting document's reference."""
    if not changes:
        raise DomainError("Nothing to change", code="no_changes")
    if not document_ref.strip():
        raise DomainError("A change needs its supporting document", code="document_required")
    _validate_changes(changes, document_type)
    resident = _locked_resident(resident_id)
    current = {field: getattr(resident, field) for field in changes}
    merged = {"name": resident.name, "birth_date": resident.birth_date, **changes}
    values = _resident_values(strict_name="name" in changes, **merged)
    diff = {f: [str(current[f]), str(values[f])] for f in changes if current[f] != values[f]}
    for field in changes:
        setattr(resident, field, values[field])
    if {"birth_date", "sex"} & set(changes):
        resident.nik_warnings = _current_nik_warnings(resident)
    resident.save()
    _log_event(resident, ResidentEvent.Kind.DATA_CHANGED, actor, diff, document_type,
               document_ref)
    return resident


def _current_nik_warnings(resident: Resident) -> list[dict]:
    """Mismatch warnings follow the recorded biodata: the NIK stays, the warnings are redone."""
    info = checked(rules.parse_nik, resident.nik, recorded_birth_date=resident.birth_date,
                   recorded_sex=SEX_LETTER[resident.sex])
    return _warning_rows(info)

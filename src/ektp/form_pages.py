"""What the operators' write pages share: a form whose valid POST calls a service, and the
refusals of the services in words an operator reads.

A service refuses with a ``DomainError`` (a stable code, the transaction rolled back, nothing
written); the page shows the form again with the refusal on top, its code in brackets so a
helpdesk can look it up, and answers 400 or 409 (never a redirect, never a half-done write).
"""

from collections.abc import Callable

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ektp.errors import DomainError

# The refusals the supplies, devices and certificate pages can meet, in Indonesian; any other
# code shows the service's own message.
REFUSALS = {
    "stock_insufficient": _("Stok kantor tidak cukup untuk jumlah ini."),
    "blank_serial_exists": _("Sebagian nomor seri blangko ini sudah pernah diterima."),
    "serial_range_required": _("Blangko diterima dengan rentang nomor seri: isi awalan dan "
                               "nomor pertama."),
    "serial_range_invalid": _("Rentang nomor seri tidak sah (paling banyak 7 angka)."),
    "serial_range_blank_only": _("Hanya blangko yang bernomor seri; kosongkan nomor seri "
                                 "untuk ribbon dan film."),
    "earmark_blank_only": _("Hanya blangko yang bisa diperuntukkan khusus; pilih Umum."),
    "request_mismatch": _("Permintaan itu untuk kantor atau barang lain."),
    "transfer_same_office": _("Pilih kantor tujuan yang lain."),
    "idempotency_key_reused": _("Formulir ini sudah dipakai untuk mutasi lain; muat ulang."),
    "card_not_invalid": _("Ada kartu yang belum tercatat tidak terpakai di kantor ini atau "
                          "sudah dimusnahkan."),
    "ba_number_exists": _("Nomor Berita Acara ini sudah tercatat."),
    "witnesses_required": _("Pemusnahan memerlukan minimal satu saksi."),
    "serials_required": _("Pilih kartu yang dimusnahkan."),
    "breakdown_open": _("Kerusakan perangkat ini sudah dilaporkan dan belum selesai."),
    "breakdown_missing": _("Tidak ada kerusakan terbuka pada perangkat ini."),
    "device_illegal_transition": _("Status perangkat tidak dapat diubah seperti itu."),
    "status_changed": _("Data berubah sementara itu; muat ulang halaman."),
    "description_required": _("Jelaskan kerusakannya."),
    "description_too_long": _("Keterangan paling banyak 300 huruf."),
    "note_too_long": _("Catatan paling banyak 300 huruf."),
    "certificate_not_allowed": _("Surat keterangan hanya untuk permohonan yang lolos "
                                 "penunggalan dan belum menerima KTP-el."),
    "certificate_not_active": _("Surat keterangan ini tidak berlaku lagi."),
    "certificate_data_invalid": _("Data penduduk ini tidak dapat dicetak pada surat "
                                  "keterangan."),
    "certificate_contention": _("Register surat keterangan sedang dipakai; coba lagi."),
}


def refusal_text(exc: DomainError) -> str:
    text = REFUSALS.get(exc.code) or exc.message
    return f"{text} ({exc.code})"


def refusal_status(exc: DomainError) -> int:
    """409 for a conflict with the stored state, else 400 (a form is never "not found")."""
    return 409 if exc.status == 409 else 400


def form_page(request, template: str, context: dict, form: forms.Form,
              perform: Callable[[dict], HttpResponse]) -> HttpResponse:
    """GET: the form. POST: ``perform(cleaned_data)`` (a service call, then a redirect) when
    the form is valid; else the form again with what is wrong, answered 400 or 409."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return perform(form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, forms.ValidationError(refusal_text(exc), code=exc.code))
                status = refusal_status(exc)
        else:
            status = 400
    return render(request, template, {**context, "form": form}, status=status)

"""Property tests of the packet format: canonical encoding, hash, signature, sealing."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ektp.stations import packets

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
BOX = X25519PrivateKey.generate()

scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
payloads = st.dictionaries(st.text(max_size=8), json_values, max_size=5)
codes = st.from_regex(r"[A-Z0-9][A-Z0-9.-]{1,23}", fullmatch=True)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))


def body_of(payload, *, station="KPG-ALAK-01", seq=1, moment=None, kind="print_result"):
    return packets.make_body(station=station, seq=seq, kind=kind, payload=payload,
                             occurred_at=moment or datetime(2026, 11, 25, 8, tzinfo=UTC))


@given(json_values)
def test_canonical_round_trip(value):
    encoded = packets.canonical(value)
    assert packets.canonical(packets.decode(encoded)) == encoded
    assert packets.decode(encoded) == value


@given(st.dictionaries(st.text(max_size=8), scalars, max_size=6))
def test_key_order_does_not_change_the_encoding(mapping):
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert packets.canonical(mapping) == packets.canonical(reversed_mapping)


@given(payloads, codes, st.integers(1, packets.MAX_SEQUENCE), moments,
       st.sampled_from(packets.KINDS))
def test_signed_packet_verifies_after_encode_and_decode(payload, station, seq, moment, kind):
    envelope = packets.sign_body(body_of(payload, station=station, seq=seq, moment=moment,
                                         kind=kind), KEY)
    wire = packets.canonical(envelope)
    assert packets.verify_envelope(packets.decode(wire), KEY.public_key()) == envelope["body"]


@settings(max_examples=60)
@given(payloads, st.data())
def test_any_change_to_a_packet_is_refused(payload, data):
    envelope = packets.sign_body(body_of(payload), KEY)
    wire = bytearray(packets.canonical(envelope))
    position = data.draw(st.integers(0, len(wire) - 1))
    wire[position] = data.draw(st.integers(0, 255).filter(lambda b: b != wire[position]))
    try:
        decoded = packets.decode(bytes(wire))
        body = packets.verify_envelope(decoded, KEY.public_key())
    except packets.PacketError as error:
        assert error.code in {packets.MALFORMED, packets.WRONG_HASH, packets.BAD_SIGNATURE}
    else:
        # Only a change that leaves the same JSON value (e.g. an escape spelled otherwise).
        assert packets.canonical(body) == packets.canonical(envelope["body"])


@given(payloads)
def test_another_stations_key_is_refused(payload):
    envelope = packets.sign_body(body_of(payload), KEY)
    with pytest.raises(packets.PacketError) as refused:
        packets.verify_envelope(envelope, OTHER.public_key())
    assert refused.value.code == packets.BAD_SIGNATURE


def test_changed_content_with_the_old_hash_is_wrong_hash():
    envelope = packets.sign_body(body_of({"blank_serial": "KTP25-0000001"}), KEY)
    envelope["body"]["payload"]["blank_serial"] = "KTP25-0000002"
    with pytest.raises(packets.PacketError) as refused:
        packets.verify_envelope(envelope, KEY.public_key())
    assert refused.value.code == packets.WRONG_HASH


@given(st.binary(max_size=2048), st.text(max_size=20))
def test_sealed_part_opens_only_with_its_binding(secret, other_id):
    aad = packets.canonical(["p", "1"])
    blob = packets.seal_to(BOX.public_key(), secret, associated_data=aad)
    assert packets.open_sealed(BOX, blob, associated_data=aad) == secret
    with pytest.raises(packets.PacketError):
        packets.open_sealed(BOX, blob, associated_data=packets.canonical(["p", other_id + "x"]))
    with pytest.raises(packets.PacketError):
        packets.open_sealed(X25519PrivateKey.generate(), blob, associated_data=aad)


@pytest.mark.parametrize("text", [
    b'{"a":1,"a":2}', b'{"a":NaN}', b'{"a":Infinity}', b"\xff\xfe", b"[1,", b""])
def test_strict_decoding(text):
    with pytest.raises(packets.PacketError) as refused:
        packets.decode(text)
    assert refused.value.code == packets.MALFORMED


@pytest.mark.parametrize("change", [
    {"v": 2}, {"id": "not-a-uuid"}, {"id": str(uuid.uuid4()).upper()}, {"station": "x"},
    {"seq": 0}, {"seq": True}, {"seq": 2**63}, {"occurred_at": "yesterday"},
    {"occurred_at": "2026-11-25T08:00:00"}, {"kind": "sms"}, {"payload": []},
    {"sealed": "***"}])
def test_malformed_bodies(change):
    body = {**body_of({}), **change}
    with pytest.raises(packets.PacketError) as refused:
        packets.check_body(body)
    assert refused.value.code == packets.MALFORMED


def test_missing_or_extra_fields_are_malformed():
    body = body_of({})
    for broken in ({k: v for k, v in body.items() if k != "seq"}, {**body, "extra": 1}):
        with pytest.raises(packets.PacketError):
            packets.check_body(broken)
    with pytest.raises(packets.PacketError):
        packets.check_envelope({"body": body, "hash": "00", "sig": ""})


def test_times_keep_the_instant_in_utc():
    moment = datetime(2026, 11, 25, 16, 0, tzinfo=UTC) + timedelta(microseconds=5)
    wita = moment.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Makassar"))
    assert packets.utc_text(wita) == "2026-11-25T16:00:00.000005Z"
    assert packets.parse_utc(packets.utc_text(wita)) == moment
    assert json.loads(packets.canonical({"t": packets.utc_text(moment)}))["t"].endswith("Z")


def test_request_signatures_cover_path_and_body():
    signature = packets.sign_message(KEY, packets.REQUEST_DOMAIN, "/a", b"{}")
    packets.verify_message(KEY.public_key(), packets.REQUEST_DOMAIN, "/a", b"{}", signature)
    for path, body in (("/b", b"{}"), ("/a", b"{ }")):
        with pytest.raises(packets.PacketError):
            packets.verify_message(KEY.public_key(), packets.REQUEST_DOMAIN, path, body,
                                   signature)

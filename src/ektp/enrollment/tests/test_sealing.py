"""Sealing of templates at rest: AES-256-GCM round trips, tamper detection, key loading."""

import base64
import os
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from ektp.enrollment.sealing import (
    KEY_BYTES,
    SealError,
    load_key,
    row_binding,
    seal,
    seal_vector,
    unseal,
    unseal_vector,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(reversed(range(32)))
AD = row_binding(42, "face")


def test_round_trip():
    blob = seal(b"photo bytes", key=KEY, associated_data=AD)
    assert unseal(blob, key=KEY, associated_data=AD) == b"photo bytes"


def test_blob_layout_and_fresh_nonce():
    first = seal(b"same", key=KEY, associated_data=AD)
    second = seal(b"same", key=KEY, associated_data=AD)
    assert first[0] == 1 and len(first) == 1 + 12 + len(b"same") + 16
    assert first[1:13] != second[1:13]  # a repeated nonce would break GCM


def test_plaintext_not_visible_in_blob():
    secret = b"NIK 3171012345678901"
    assert secret not in seal(secret, key=KEY, associated_data=AD)


@pytest.mark.parametrize("index", [0, 1, 12, 13, -1])
def test_tampered_byte_refused(index):
    blob = bytearray(seal(b"template", key=KEY, associated_data=AD))
    blob[index] ^= 0x01
    with pytest.raises(SealError) as caught:
        unseal(bytes(blob), key=KEY, associated_data=AD)
    assert caught.value.code == "template_unreadable"


def test_truncated_blob_refused():
    blob = seal(b"template", key=KEY, associated_data=AD)
    for length in (0, 5, 28, len(blob) - 1):
        with pytest.raises(SealError):
            unseal(blob[:length], key=KEY, associated_data=AD)


def test_wrong_key_refused():
    blob = seal(b"template", key=KEY, associated_data=AD)
    with pytest.raises(SealError):
        unseal(blob, key=OTHER_KEY, associated_data=AD)


@pytest.mark.parametrize("other", [row_binding(43, "face"), row_binding(42, "finger_1"), b""])
def test_blob_copied_to_another_row_or_modality_refused(other):
    blob = seal(b"template", key=KEY, associated_data=AD)
    with pytest.raises(SealError):
        unseal(blob, key=KEY, associated_data=other)


def test_row_binding_unambiguous():
    assert row_binding("1,2", "face") != row_binding("1", "2,face")
    assert row_binding(7, "face") == row_binding("7", "face")


def test_vector_round_trip_is_float32():
    vector = np.random.default_rng(0).normal(size=128).astype(np.float32)
    blob = seal_vector(vector, key=KEY, associated_data=AD)
    restored = unseal_vector(blob, key=KEY, associated_data=AD, dim=128)
    assert restored.dtype == np.float32 and restored.flags.writeable
    np.testing.assert_array_equal(restored, vector)


def test_vector_of_wrong_dimension_refused():
    blob = seal_vector(np.ones(64), key=KEY, associated_data=AD)
    with pytest.raises(SealError):
        unseal_vector(blob, key=KEY, associated_data=AD, dim=128)


def test_vector_must_be_one_dimensional():
    with pytest.raises(ValueError):
        seal_vector(np.ones((2, 64)), key=KEY, associated_data=AD)


def test_short_key_is_a_programming_error():
    with pytest.raises(ValueError):
        seal(b"x", key=b"short", associated_data=AD)


# Key loading


def test_key_from_setting(tmp_path):
    text = base64.b64encode(KEY).decode()
    assert load_key(text, tmp_path / "key") == KEY
    assert load_key(base64.urlsafe_b64encode(KEY).decode() + "\n", tmp_path / "key") == KEY
    assert not (tmp_path / "key").exists()  # the file is only used without a setting


@pytest.mark.parametrize(
    "bad",
    [
        "not base64 at all!",
        base64.b64encode(b"x" * 16).decode(),
        base64.b64encode(b"x" * 33).decode(),
    ],
    ids=["not-base64", "16-bytes", "33-bytes"],
)
def test_bad_key_setting_raises_value_error(tmp_path, bad):
    with pytest.raises(ValueError, match="32 bytes"):
        load_key(bad, tmp_path / "key")


def test_key_file_created_private_then_reused(tmp_path):
    key_file = tmp_path / "keys" / "sealing.key"
    key = load_key("", key_file)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_key("", key_file) == key
    assert os.listdir(key_file.parent) == ["sealing.key"]  # no temporary file left behind


def test_corrupt_key_file_raises_value_error(tmp_path):
    key_file = tmp_path / "sealing.key"
    key_file.write_text("garbage\n")
    key_file.chmod(0o600)
    with pytest.raises(ValueError, match="key file"):
        load_key("", key_file)


def test_threads_creating_key_at_once_get_the_same_key(tmp_path):
    key_file = tmp_path / "sealing.key"
    start = threading.Barrier(8)
    keys = []

    def create():
        start.wait()
        keys.append(load_key("", key_file))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_processes_creating_key_at_once_get_the_same_key(tmp_path):
    key_file = tmp_path / "sealing.key"
    start_at = time.time() + 1.0  # every process waits for the same instant, then races
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from ektp.enrollment.sealing import load_key\n"
        "time.sleep(max(0.0, float(sys.argv[1]) - time.time()))\n"
        "print(load_key('', Path(sys.argv[2])).hex())\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(start_at), str(key_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
    assert all(worker.returncode == 0 for worker in workers)
    assert keys == {load_key("", key_file).hex()}

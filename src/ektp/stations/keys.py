"""Key files. A station holds its own Ed25519 key (signs packets and requests). Central holds
an Ed25519 key (signs its answers; stations pin it) and an X25519 key (stations seal
biometrics to it). Files are created on first use, mode 0600, as the Suket key is."""

from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings

from ektp.issuance.suket_signing import load_or_create_key_file
from ektp.stations import packets


def _setting_path(name: str, default: str) -> Path:
    return Path(getattr(settings, name, "") or settings.DATA_DIR / default)


def station_private_key():
    return _ed25519_at(_setting_path("EKTP_STATION_KEY_FILE", "station-signing.pem"))


def central_private_key():
    return _ed25519_at(_setting_path("EKTP_CENTRAL_KEY_FILE", "central-signing.pem"))


def central_box_private_key() -> X25519PrivateKey:
    return _x25519_at(_setting_path("EKTP_CENTRAL_BOX_KEY_FILE", "central-box.pem"))


@lru_cache(maxsize=8)
def _ed25519_at(path: Path):
    return load_or_create_key_file(path)


@lru_cache(maxsize=8)
def _x25519_at(path: Path) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        return _create_x25519(path)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{path} does not hold an X25519 private key")
    return key


def _create_x25519(path: Path) -> X25519PrivateKey:
    import os

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = X25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)  # of two processes exactly one key wins
        except FileExistsError:
            _x25519_at.cache_clear()
            return _x25519_at(path)
    finally:
        temp.unlink(missing_ok=True)
    return key


def public_text(private_key) -> str:
    return packets.b64(packets.raw_public(private_key.public_key()))


def central_public_keys() -> dict:
    sign_pub = public_text(central_private_key())
    return {"central_sign_key": sign_pub,
            "central_box_key": public_text(central_box_private_key()),
            "central_key_id": packets.key_fingerprint(packets.unb64(sign_pub))}

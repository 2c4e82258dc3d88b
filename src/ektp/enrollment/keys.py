"""The key that seals biometric data at rest, resolved once per process."""

from functools import lru_cache

from django.conf import settings

from ektp.enrollment.sealing import load_key


@lru_cache(maxsize=1)
def biometric_key() -> bytes:
    return load_key(settings.EKTP_BIOMETRIC_KEY, settings.DATA_DIR / "biometric.key")

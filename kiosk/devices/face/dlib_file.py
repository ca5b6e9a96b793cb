"""Reads dlib's ResNet face descriptor file (`dlib_face_recognition_resnet_model_v1.dat`) into
typed layers: the weights and the geometry each layer was saved with, in input-to-output order.

dlib writes a network with its own serialization (dlib/serialize.h, dlib/dnn/*.h): integers as a
size byte (high bit = negative) and that many little-endian bytes, floats as an integer mantissa and
exponent, strings as a length and bytes, booleans as '0'/'1', tensors as version 2, four sizes and
raw little-endian float32. A layer wrapper writes its version before its inner network, so the file
is a run of version numbers (one per wrapper, outermost first) followed by the input layer and then
each layer's details from the input to the output. Only the layer kinds of the face descriptor are
understood; anything else is refused with the kind named, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DlibFileError(ValueError):
    """The file is not a dlib network of the kinds this reader understands."""


@dataclass(frozen=True)
class InputLayer:
    mean_rgb: tuple[float, float, float]  # subtracted from each channel, then divided by 256
    size: tuple[int, int]


@dataclass(frozen=True)
class Conv:
    weights: np.ndarray  # (out, in, kh, kw) float32, cross-correlation like ONNX Conv
    bias: np.ndarray  # (out,)
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Affine:
    gamma: np.ndarray  # (channels,)
    beta: np.ndarray


@dataclass(frozen=True)
class Relu:
    pass


@dataclass(frozen=True)
class Pool:
    kind: str  # "max" or "avg"
    window: tuple[int, int]  # (0, 0) = over the whole image
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class AddPrev:
    """A residual sum; which earlier output it adds is not in the file (tags write only a version):
    the descriptor's blocks add their own input, pooled when the block halves the size."""


@dataclass(frozen=True)
class FullyConnected:
    weights: np.ndarray  # (inputs, outputs): dlib multiplies a row of inputs by this
    bias: np.ndarray | None


Layer = Conv | Affine | Relu | Pool | AddPrev | FullyConnected


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DlibFileError(f"the file ends at byte {len(self.data)} inside a value at {self.pos}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:
        head = self._take(1)[0]
        size, negative = head & 0x0F, bool(head & 0x80)
        if size > 8 or head & 0x70:
            raise DlibFileError(f"no dlib integer at byte {self.pos - 1} (head byte {head:#04x})")
        value = int.from_bytes(self._take(size), "little")
        return -value if negative else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        return float(np.ldexp(float(mantissa), exponent))

    def string(self) -> str:
        n = self.int()
        if not 0 <= n < 256:
            raise DlibFileError(f"no dlib string at byte {self.pos} (length {n})")
        return self._take(n).decode("ascii", errors="replace")

    def bool(self) -> bool:
        c = self._take(1)
        if c not in (b"0", b"1"):
            raise DlibFileError(f"no dlib boolean at byte {self.pos - 1} ({c!r})")
        return c == b"1"

    def tensor(self) -> np.ndarray:
        version = self.int()
        if version != 2:
            raise DlibFileError(f"tensor version {version} at byte {self.pos} (only version 2 is known)")
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, int, int, int]:
        version = self.int()
        if version != 1:
            raise DlibFileError(f"alias tensor version {version} at byte {self.pos}")
        n, k, r, c = (self.int() for _ in range(4))
        return n, k, r, c

    def peek_string(self, text: str) -> bool:
        """Whether the string `text` comes next (length written as one byte)."""
        encoded = text.encode()
        return self.data[self.pos:self.pos + 2 + len(encoded)] == bytes([1, len(encoded)]) + encoded


def _conv(r: _Reader) -> Conv:
    params = r.tensor().ravel()
    r.int()  # number of filters (also in the filters' shape)
    kh, kw, sy, sx, py, px = (r.int() for _ in range(6))
    filters, biases = r.alias(), r.alias()
    for _ in range(4):
        r.float()  # learning-rate and weight-decay multipliers
    n_filters = int(np.prod(filters))
    weights = params[:n_filters].reshape(filters)
    if weights.shape[2:] != (kh, kw):
        raise DlibFileError(f"convolution filters {weights.shape} do not match the window {kh}x{kw}")
    bias = params[n_filters:n_filters + int(np.prod(biases))].copy()
    return Conv(weights.copy(), bias, (sy, sx), (py, px))


def _affine(r: _Reader) -> Affine:
    params = r.tensor().ravel()
    gamma, beta = r.alias(), r.alias()
    r.int()  # mode (convolutional)
    n = int(np.prod(gamma))
    return Affine(params[:n].copy(), params[n:n + int(np.prod(beta))].copy())


def _pool(kind: str) -> Callable[[_Reader], Pool]:
    def read(r: _Reader) -> Pool:
        kh, kw, sy, sx, py, px = (r.int() for _ in range(6))
        return Pool(kind, (kh, kw), (sy, sx), (py, px))
    return read


def _fc(r: _Reader) -> FullyConnected:
    outputs, inputs = r.int(), r.int()
    params = r.tensor().ravel()
    r.alias()
    r.alias()
    has_bias = r.int() == 0  # dlib's FC_HAS_BIAS = 0, FC_NO_BIAS = 1
    for _ in range(4):
        r.float()
    weights = params[:inputs * outputs].reshape(inputs, outputs).copy()
    bias = params[inputs * outputs:inputs * outputs + outputs].copy() if has_bias else None
    return FullyConnected(weights, bias)


# layer version string -> reader of what follows it (a trailer of booleans and tensors follows each)
_DETAILS = {
    "con_4": _conv,
    "affine_": _affine,
    "relu_": lambda r: Relu(),
    "max_pool_2": _pool("max"),
    "avg_pool_2": _pool("avg"),
    "add_prev_": lambda r: AddPrev(),
    "fc_2": _fc,
}


def read_network(path: str | Path) -> tuple[InputLayer, list[Layer]]:
    """The input layer and the layers of a dlib metric-loss network file, input first."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DlibFileError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return _parse(_Reader(data))
    except DlibFileError as exc:
        raise DlibFileError(f"{path}: {exc}") from None
    except (ValueError, IndexError) as exc:  # sizes that do not fit the data
        raise DlibFileError(f"{path}: damaged dlib network ({exc})") from None


def _parse(r: _Reader) -> tuple[InputLayer, list[Layer]]:
    try:
        header = (r.int(), r.string())
    except DlibFileError:
        header = (0, "")
    if header != (1, "loss_metric_2"):
        raise DlibFileError("not a dlib metric-learning network (no loss_metric_2 header)")
    r.float()
    r.float()  # margin and distance threshold: training settings
    wrappers, innermost = 0, 0
    while not r.peek_string("input_rgb_image_sized"):
        innermost = r.int()
        if innermost not in (1, 2, 3):
            raise DlibFileError(f"unexpected layer wrapper version at byte {r.pos}")
        wrappers += 1
        if wrappers > 10_000:
            raise DlibFileError("no input layer found")
    r.string()
    mean = (r.float(), r.float(), r.float())
    size = (r.int(), r.int())
    inp = InputLayer(mean, size)
    layers: list[Layer] = []
    first = True
    while r.pos < len(r.data):
        kind = r.string()
        read = _DETAILS.get(kind)
        if read is None:
            raise DlibFileError(f"layer kind {kind!r} at byte {r.pos} is not one the face descriptor uses")
        layers.append(read(r))
        for _ in range(3):
            r.bool()  # set up, gradient stale, output disabled
        r.tensor()
        r.tensor()  # gradient and cached output: empty in a saved network
        r.tensor()  # params gradient (the innermost wrapper's grad_final)
        if first and innermost >= 3:
            r.int()  # the input wrapper's sample expansion factor
        first = False
    if first:
        raise DlibFileError("the network holds no layers")
    return inp, layers


"""dlib's ResNet face descriptor run by onnxruntime: the same weights, the same arithmetic, about a
third of dlib's time on a 2-core station (bench/face.py measures both side by side).

`build_onnx(path)` turns the layers `dlib_file.read_network` reads into an ONNX graph: each
convolution with its affine (batch-norm) layer folded in, ReLU, pools, and dlib's residual sums,
which add tensors of different sizes by zero-filling the smaller one (a stride-2 block's 3x3 window
can give one row fewer than the 2x2 pool beside it), so the smaller side is padded at its end.
`ResnetDescriptor.compute(chip)` takes the 150 px RGB chip dlib's `compute_face_descriptor` takes
and returns the same 128 numbers (within float rounding; tests/face/test_resnet_onnx.py compares).
onnxruntime lets go of the GIL while it computes, so the screen thread keeps drawing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kiosk.devices.face.dlib_file import AddPrev, Affine, Conv, DlibFileError, FullyConnected, Pool, Relu, read_network

OPSET = 17


def _out_size(size: int, window: int, stride: int, pad: int) -> int:
    return 1 + (size + 2 * pad - window) // stride


def build_onnx(path: str | Path) -> bytes:
    """The ONNX model (serialized) of the dlib network file at `path`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inp, layers = read_network(path)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    counter = iter(range(1_000_000))

    def name(prefix: str) -> str:
        return f"{prefix}{next(counter)}"

    def const(value: np.ndarray, prefix: str = "w") -> str:
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32) if value.dtype != np.int64 else value, n))
        return n

    def node(op: str, inputs: list[str], **attrs: object) -> str:
        out = name(op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def pad_to(value: str, shape: tuple[int, int, int], target: tuple[int, int, int]) -> str:
        """`value` zero-filled at its end up to `target` (channels, rows, columns), as dlib adds."""
        if shape == target:
            return value
        pads = np.array([0, 0, 0, 0, 0, *(t - s for s, t in zip(shape, target))], dtype=np.int64)
        return node("Pad", [value, const(pads, "pads")], mode="constant")

    height, width = inp.size
    mean = np.array(inp.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1)
    cur = node("Mul", [node("Sub", ["chip", const(mean)]), const(np.array(1 / 256, dtype=np.float32))])
    shape = (3, height, width)  # channels, rows, columns of `cur`
    block_input, block_shape, skip, skip_shape, convs = cur, shape, None, shape, 0
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, Conv):
            if convs == 0:
                block_input, block_shape, skip = cur, shape, None
            convs += 1
            w, b = layer.weights, layer.bias
            if i + 1 < len(layers) and isinstance(layers[i + 1], Affine):
                aff = layers[i + 1]
                assert isinstance(aff, Affine)
                w = w * aff.gamma[:, None, None, None]
                b = b * aff.gamma + aff.beta
                i += 1
            (sy, sx), (py, px) = layer.stride, layer.padding
            kh, kw = w.shape[2:]
            cur = node("Conv", [cur, const(w), const(b)], kernel_shape=[kh, kw], strides=[sy, sx], pads=[py, px, py, px])
            shape = (w.shape[0], _out_size(shape[1], kh, sy, py), _out_size(shape[2], kw, sx, px))
        elif isinstance(layer, Affine):  # an affine layer not after a convolution: scale and shift
            c = layer.gamma.shape[0]
            cur = node("Add", [node("Mul", [cur, const(layer.gamma.reshape(1, c, 1, 1))]), const(layer.beta.reshape(1, c, 1, 1))])
        elif isinstance(layer, Relu):
            cur = node("Relu", [cur])
        elif isinstance(layer, Pool) and layer.window == (0, 0):
            cur = node("GlobalAveragePool", [cur])
            shape = (shape[0], 1, 1)
        elif isinstance(layer, Pool) and layer.kind == "max":
            (kh, kw), (sy, sx), (py, px) = layer.window, layer.stride, layer.padding
            cur = node("MaxPool", [cur], kernel_shape=[kh, kw], strides=[sy, sx], pads=[py, px, py, px])
            shape = (shape[0], _out_size(shape[1], kh, sy, py), _out_size(shape[2], kw, sx, px))
            convs = 0  # the residual blocks start after the stem's pool
        elif isinstance(layer, Pool):  # the average pool of a down-sampling block's shortcut
            (kh, kw), (sy, sx), (py, px) = layer.window, layer.stride, layer.padding
            skip = node("AveragePool", [block_input], kernel_shape=[kh, kw], strides=[sy, sx], pads=[py, px, py, px])
            skip_shape = (block_shape[0], _out_size(block_shape[1], kh, sy, py), _out_size(block_shape[2], kw, sx, px))
        elif isinstance(layer, AddPrev):
            other, other_shape = (skip, skip_shape) if skip is not None else (block_input, block_shape)
            target = tuple(max(a, b) for a, b in zip(shape, other_shape))
            cur = node("Add", [pad_to(cur, shape, target), pad_to(other, other_shape, target)])
            shape, convs = target, 0
        elif isinstance(layer, FullyConnected):
            flat = node("Flatten", [cur], axis=1)
            cur = node("MatMul", [flat, const(layer.weights)])
            if layer.bias is not None:
                cur = node("Add", [cur, const(layer.bias)])
        else:  # pragma: no cover - read_network only returns the kinds above
            raise DlibFileError(f"no ONNX form for {layer!r}")
        i += 1
    nodes.append(helper.make_node("Identity", [cur], ["descriptor"]))
    graph = helper.make_graph(
        nodes, "dlib_face_descriptor",
        [helper.make_tensor_value_info("chip", TensorProto.FLOAT, ["n", 3, height, width])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["n", None])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="kiosk")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


class ResnetDescriptor:
    """The descriptor network in an onnxruntime session (not shared between threads without a lock:
    `FaceModels` holds one)."""

    def __init__(self, path: str | Path, threads: int = 2) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(build_onnx(path), opts, providers=["CPUExecutionProvider"])

    def compute(self, chip_rgb: np.ndarray) -> np.ndarray:
        """The 128-d descriptor of one 150x150 RGB uint8 chip."""
        if chip_rgb.ndim != 3 or chip_rgb.shape[2] != 3:
            raise ValueError(f"a face chip is an RGB image (rows, columns, 3), not {chip_rgb.shape}")
        batch = np.ascontiguousarray(chip_rgb.transpose(2, 0, 1)[None], dtype=np.float32)
        (out,) = self._session.run(["descriptor"], {"chip": batch})
        return out[0].astype(np.float32)

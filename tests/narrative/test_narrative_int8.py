"""The int8 rewrite: the packaged model's products run as integer kernels, vectors barely move."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

import narrative.reader as reader_module
from narrative.int8 import integer_matmuls

SENTENCES = [
    "Mum was injecting heroin in the bathroom while the baby cried.",
    "The baby was alert, smiling and responsive throughout.",
    "Dad hit mum in the face in front of the children.",
]


def test_every_weight_product_of_the_packaged_model_is_rewritten():
    path = reader_module.packaged_files().model
    model, rewritten = integer_matmuls(onnx.load(str(path)))
    assert rewritten == 36  # 6 layers x (query, key, value, attention output, 2 feed-forward)
    ops = [node.op_type for node in model.graph.node]
    # Query, key and value read the same input: one product per layer, split in three.
    assert ops.count("MatMulInteger") == 24 and ops.count("Split") == 6
    assert ops.count("MatMul") == 12  # attention's own products (scores, values) stay float
    onnx.checker.check_model(model)


def test_a_float_weight_product_is_left_alone():
    weights = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0, 0.0, 0.0, 1.0])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "plain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [weights],
    )
    model, rewritten = integer_matmuls(helper.make_model(graph))
    assert rewritten == 0 and [n.op_type for n in model.graph.node] == ["MatMul"]


def test_products_of_one_input_side_by_side_equal_them_one_by_one():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    nodes, initializers, outputs = [], [], []
    for name, width in (("p", 3), ("q", 2)):
        q = rng.integers(-127, 128, size=(4, width), dtype=np.int8)
        scale = rng.uniform(0.01, 0.1, size=(width,)).astype(np.float32)
        initializers += [
            onnx.numpy_helper.from_array(q, f"{name}_q"),
            onnx.numpy_helper.from_array(scale, f"{name}_scale"),
        ]
        nodes += [
            helper.make_node("Cast", [f"{name}_q"], [f"{name}_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{name}_f", f"{name}_scale"], [f"{name}_w"]),
            helper.make_node("MatMul", ["x", f"{name}_w"], [name]),
        ]
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [5, width]))
    graph = helper.make_graph(
        nodes,
        "two",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 4])],
        outputs,
        initializers,
    )
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    separate = _run(original.SerializeToString(), x)
    model, rewritten = integer_matmuls(original)
    ops = [node.op_type for node in model.graph.node]
    assert rewritten == 2 and ops.count("MatMulInteger") == 1 and "Split" in ops
    together = _run(model.SerializeToString(), x)
    for a, b in zip(separate, together, strict=True):
        assert a.shape == b.shape
        assert np.abs(a - b).max() < 0.05 * np.abs(a).max()  # only the input's 8-bit rounding


def _run(model: bytes, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})


def test_int8_vectors_stay_close_to_the_float32_ones(reader, monkeypatch):
    monkeypatch.setattr(reader_module, "session_model", lambda path: path.read_bytes())
    float32 = reader_module.load(reader_module.packaged_files())
    cosine = (reader.embed(SENTENCES) * float32.embed(SENTENCES)).sum(axis=1)
    assert np.all(cosine > 0.98)
    assert np.all(cosine < 0.99999)  # really another execution, not the float32 one again

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
    assert ops.count("MatMulInteger") == 36
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


def test_int8_vectors_stay_close_to_the_float32_ones(reader, monkeypatch):
    monkeypatch.setattr(reader_module, "session_model", lambda path: path.read_bytes())
    float32 = reader_module.load(reader_module.packaged_files())
    cosine = (reader.embed(SENTENCES) * float32.embed(SENTENCES)).sum(axis=1)
    assert np.all(cosine > 0.98)
    assert np.all(cosine < 0.99999)  # really another execution, not the float32 one again

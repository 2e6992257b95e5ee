"""Attention and GELU fused into onnxruntime's own kernels: the same hidden states, faster."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

import narrative.reader as reader_module
from narrative.fusion import fuse
from narrative.int8 import integer_matmuls

SENTENCES = [
    "Mum was injecting heroin in the bathroom while the baby cried.",
    "The baby was alert.",
    "Dad hit mum in the face in front of the children after drinking all afternoon.",
]


def _packaged() -> onnx.ModelProto:
    return integer_matmuls(onnx.load(str(reader_module.packaged_files().model)))[0]


def _hidden(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        model.SerializeToString(),
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=reader_module.UNFUSED,
    )
    return session.run(None, feeds)[0]


def test_every_attention_and_gelu_of_the_packaged_model_is_fused():
    model, attentions, gelus = fuse(_packaged())
    assert (attentions, gelus) == (6, 6)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("MultiHeadAttention") == 6 and ops.count("Gelu") == 6
    for gone in ("Softmax", "Erf", "IsNaN", "Where", "GatherND", "Transpose"):
        assert gone not in ops
    attention = next(n for n in model.graph.node if n.op_type == "MultiHeadAttention")
    attributes = {a.name: helper.get_attribute_value(a) for a in attention.attribute}
    assert attributes["num_heads"] == 12
    assert abs(attributes["scale"] - 32**-0.5) < 1e-6
    # The query, key and value biases are added by the attention, not by Adds of their own.
    assert attention.input[3] and len(attention.input) == 5
    split = {out for n in model.graph.node if n.op_type == "Split" for out in n.output}
    assert not [n for n in model.graph.node if n.op_type == "Add" and set(n.input) & split]


def test_fused_hidden_states_equal_the_exported_graphs_on_padded_sentences():
    tokenizer = reader_module.load(reader_module.packaged_files())._tokenizer
    tokens = [e.ids for e in tokenizer.encode_batch(SENTENCES)]
    ids = np.zeros((len(tokens), max(map(len, tokens))), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, sentence in enumerate(tokens):
        ids[row, : len(sentence)], mask[row, : len(sentence)] = sentence, 1
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    exported = _hidden(_packaged(), feeds)
    fused = _hidden(fuse(_packaged())[0], feeds)
    real = mask.astype(bool)  # padding positions are never pooled
    assert np.abs(exported[real] - fused[real]).max() < 1e-3


def test_a_graph_without_the_patterns_is_left_alone():
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
        "plain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    model, attentions, gelus = fuse(helper.make_model(graph))
    assert (attentions, gelus) == (0, 0)
    assert [n.op_type for n in model.graph.node] == ["Softmax"]

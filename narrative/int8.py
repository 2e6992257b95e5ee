"""Run the packaged model's int8 weights as int8 matrix products, not as float32 ones.

The packaged file stores each weight matrix as int8 with a float scale per output column and
turns it back into float32 inside the graph (``Cast`` then ``Mul``), so onnxruntime folds it to a
float32 matrix at load and every product runs in float32. Here, in memory and before the session
is built, each such ``MatMul`` becomes ``DynamicQuantizeLinear`` of its input (per call, uint8)
times the same int8 weights (``MatMulInteger``), rescaled by both scales; onnxruntime fuses the
pattern into one integer kernel (VNNI where the CPU has it). The weights are the file's own; only
the activations are rounded to 8 bits, which moves each sentence's vector slightly, so the
thresholds are calibrated on this form (``narrative.calibrate``).
"""

from __future__ import annotations

from typing import Any


def integer_matmuls(model: Any) -> tuple[Any, int]:
    """Rewrite an ``onnx.ModelProto``'s int8-weight MatMuls in place; the model and how many."""
    from onnx import TensorProto, helper

    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    rewritten, dropped, nodes = 0, set(), []
    for node in graph.node:
        found = _int8_weight(node, producer, initializers, readers)
        if found is None:
            nodes.append(node)
            continue
        weights, scale, mul, cast = found
        a, out, tag = node.input[0], node.output[0], f"{node.name or node.output[0]}_int8"
        nodes += [
            helper.make_node(
                "DynamicQuantizeLinear", [a], [f"{tag}_a", f"{tag}_as", f"{tag}_az"], f"{tag}_q"
            ),
            helper.make_node(
                "MatMulInteger", [f"{tag}_a", weights, f"{tag}_az"], [f"{tag}_y"], f"{tag}_mm"
            ),
            helper.make_node(
                "Cast", [f"{tag}_y"], [f"{tag}_yf"], f"{tag}_cast", to=TensorProto.FLOAT
            ),
            helper.make_node("Mul", [f"{tag}_as", scale], [f"{tag}_s"], f"{tag}_scale"),
            helper.make_node("Mul", [f"{tag}_yf", f"{tag}_s"], [out], f"{tag}_out"),
        ]
        dropped |= {id(mul), id(cast)}
        rewritten += 1
    kept = [n for n in nodes if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    return model, rewritten


def _int8_weight(
    node: Any, producer: dict[str, Any], initializers: dict[str, Any], readers: dict[str, int]
) -> tuple[str, str, Any, Any] | None:
    """``(int8 weights, scale, Mul, Cast)`` when ``node`` is MatMul(x, Cast(int8) * scale)."""
    from onnx import TensorProto

    if node.op_type != "MatMul":
        return None
    mul = producer.get(node.input[1])
    if mul is None or mul.op_type != "Mul" or readers.get(node.input[1]) != 1:
        return None
    cast = producer.get(mul.input[0])
    scale = initializers.get(mul.input[1])
    if cast is None or cast.op_type != "Cast" or scale is None or readers.get(mul.input[0]) != 1:
        return None
    weights = initializers.get(cast.input[0])
    if weights is None or weights.data_type != TensorProto.INT8 or len(weights.dims) != 2:
        return None
    # A scale per output column (or one for all): what the rescaling after the product needs.
    if len(scale.dims) > 2 or (scale.dims and scale.dims[-1] not in (1, weights.dims[1])):
        return None
    return weights.name, scale.name, mul, cast

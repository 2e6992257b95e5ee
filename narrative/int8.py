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
    """Rewrite an ``onnx.ModelProto``'s int8-weight MatMuls in place; the model and how many.

    Products of the same input (an attention's query, key and value) become one product of
    their weights side by side, split afterwards: one larger integer kernel runs faster than
    three small ones, and every column's result is the same.
    """
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    found: dict[int, tuple[str, str, Any, Any]] = {}
    by_input: dict[str, list[Any]] = {}
    for node in graph.node:
        match = _int8_weight(node, producer, initializers, readers)
        if match is not None:
            found[id(node)] = match
            by_input.setdefault(node.input[0], []).append(node)
    rewritten, dropped, nodes = 0, set(), []
    for node in graph.node:
        if id(node) not in found:
            nodes.append(node)
            continue
        group = by_input[node.input[0]]
        if node is not group[0]:
            continue  # written with the first product of the same input
        matches = [found[id(member)] for member in group]
        weights, scale = matches[0][0], matches[0][1]
        if len(group) > 1:
            weights, scale = _side_by_side(graph, initializers, node, matches)
        widths = [initializers[m[0]].dims[1] for m in matches]
        nodes += _integer_product(graph, group, widths, weights, scale)
        for match in matches:
            dropped |= {id(match[2]), id(match[3])}
        rewritten += len(group)
    kept = [n for n in nodes if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    return model, rewritten


def _tag(node: Any) -> str:
    return f"{node.name or node.output[0]}_int8"


def _side_by_side(
    graph: Any, initializers: dict[str, Any], first: Any, matches: list[tuple[str, str, Any, Any]]
) -> tuple[str, str]:
    """New initializers: the products' int8 weights side by side, and a scale per column."""
    import numpy as np
    from onnx import numpy_helper

    weights = [numpy_helper.to_array(initializers[m[0]]) for m in matches]
    scales = [
        np.broadcast_to(numpy_helper.to_array(initializers[m[1]]).reshape(-1), (w.shape[1],))
        for m, w in zip(matches, weights, strict=True)
    ]
    tag = _tag(first)
    added = [
        numpy_helper.from_array(np.concatenate(weights, axis=1), f"{tag}_weights"),
        numpy_helper.from_array(np.concatenate(scales).astype(np.float32), f"{tag}_scales"),
    ]
    for initializer in added:
        graph.initializer.append(initializer)
        initializers[initializer.name] = initializer
    return added[0].name, added[1].name


def _integer_product(
    graph: Any, group: list[Any], widths: list[int], weights: str, scale: str
) -> list[Any]:
    """Nodes computing ``group``'s products as one integer product (then split if several)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    first = group[0]
    a, tag = first.input[0], _tag(first)
    out = first.output[0] if len(group) == 1 else f"{tag}_all"
    nodes = [
        helper.make_node(
            "DynamicQuantizeLinear", [a], [f"{tag}_a", f"{tag}_as", f"{tag}_az"], f"{tag}_q"
        ),
        helper.make_node(
            "MatMulInteger", [f"{tag}_a", weights, f"{tag}_az"], [f"{tag}_y"], f"{tag}_mm"
        ),
        helper.make_node("Cast", [f"{tag}_y"], [f"{tag}_yf"], f"{tag}_cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{tag}_as", scale], [f"{tag}_s"], f"{tag}_scale"),
        helper.make_node("Mul", [f"{tag}_yf", f"{tag}_s"], [out], f"{tag}_out"),
    ]
    if len(group) > 1:
        split = numpy_helper.from_array(np.array(widths, dtype=np.int64), f"{tag}_widths")
        graph.initializer.append(split)
        outputs = [member.output[0] for member in group]
        nodes.append(helper.make_node("Split", [out, split.name], outputs, f"{tag}_split", axis=-1))
    return nodes


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

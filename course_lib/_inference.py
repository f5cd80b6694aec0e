"""Running a Keras model over arrays, batch by batch.

``Model.predict`` builds a ``tf.data`` pipeline on every call and traces again for every new model, which costs
a few tenths of a second each time: more than the model itself on the small batches that evaluation, sample
grids and the app ask for. ``predict_on_batch`` on slices runs the same compiled graph without the pipeline.
"""
from __future__ import annotations

import numpy as np


def run_model(model, inputs, *, batch_size: int = 256) -> np.ndarray:
    """``model``'s outputs for ``inputs`` (an array, or a list of arrays of equal length), ``batch_size`` rows
    at a time, as one NumPy array (inference: dropout off, batch norm with its moving statistics)."""
    arrays = [np.asarray(x) for x in inputs] if isinstance(inputs, (list, tuple)) else [np.asarray(inputs)]
    n = len(arrays[0])
    if any(len(x) != n for x in arrays):
        raise ValueError(f"the model's inputs have different lengths: {[len(x) for x in arrays]}")
    if n == 0:
        raise ValueError("nothing to run the model on: the inputs are empty")
    parts = []
    for start in range(0, n, batch_size):
        batch = [x[start: start + batch_size] for x in arrays]
        parts.append(np.asarray(model.predict_on_batch(batch if len(batch) > 1 else batch[0])))
    return np.concatenate(parts)

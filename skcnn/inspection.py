"""What the network sees: output shapes, parameters and receptive fields.

:func:`describe` walks a network layer by layer and reports, for each layer,
its output shape, its number of parameters and its receptive field: the span
of input positions that can affect one of its units. With a feature
transformer in front, the receptive field is also given in seconds and hertz.

Definitions
-----------
Receptive field, in input positions (frames, bins, or samples for 1-D networks)
    Through a layer of kernel ``k``, stride ``s`` and dilation ``d``, a unit
    sees ``r_out = r_in + (d * (k - 1)) * j_in`` positions, where ``j_in`` is
    the distance between neighbouring units of the layer's input in input
    positions, and ``j_out = j_in * s``. Convolutions and pooling count;
    padding does not widen it. After flattening, dense units see the whole
    input.
In seconds and hertz
    The transformer in front describes its own axes
    (``feature_span(n_bins, n_frames)``): the seconds of audio a block of
    frames covers, the widest span in hertz of a block of bins (or none on a
    cepstral axis such as MFCCs'), and semitones on a constant-Q axis. Any
    transformer with that method works here; see
    :meth:`skcnn.SpectrogramTransformer.feature_span`.
"""

import warnings
from numbers import Real

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from torch import nn

from .modules._frame import FrequencyPool
from .modules._cnn import GlobalPool
from .modules._layers import SwapAxes
from .segments import _BaseSegments

__all__ = ["describe", "describe_module", "NetworkDescription", "receptive_field_seconds"]

_CONV = (nn.Conv1d, nn.Conv2d)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
_GLOBAL = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d,
           nn.AdaptiveMaxPool2d, nn.Flatten, nn.Linear, GlobalPool)

# A target pattern is "far" larger than the receptive field beyond this ratio.
_TARGET_RATIO = 2.0


def _pair(value, ndim):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def receptive_field_seconds(rf_frames, *, sr, n_fft, hop_length):
    """Span in seconds of ``rf_frames`` consecutive STFT frames.

    Examples
    --------
    The least bittern exercise: 8 frames of 1024 samples, hop 512, 44.1 kHz.

    >>> round(receptive_field_seconds(8, sr=44100, n_fft=1024, hop_length=512), 4)
    0.1045
    """
    return ((rf_frames - 1) * hop_length + n_fft) / sr


class NetworkDescription:
    """Layer-by-layer table of a network, as returned by :func:`describe`.

    Attributes
    ----------
    rows : list of dict
        One dict per layer: ``layer``, ``output_shape`` (without the batch
        axis), ``n_params``, ``rf_frames``, ``rf_bins`` and, when a feature
        transformer is known, ``rf_seconds`` and ``rf_hertz``.
    n_params : int
        Total number of parameters.
    receptive_field : dict
        The receptive field of the last convolution or pooling layer (the
        widest pattern the convolutional part can see): ``rf_frames``,
        ``rf_bins``, ``rf_seconds``, ``rf_hertz``. For a per-frame network
        (:class:`skcnn.modules.FrameCNN`) that is its per-frame output
        layer: ``rf_seconds`` is how much audio around a frame one frame's
        output sees. For the U-Net of :class:`skcnn.modules.MaskCNN` the
        rows follow the layers in call order, so the decoder's rows
        overstate their receptive field (the skip connections are not
        followed).
    note : str or None
        What the frequency axis is, e.g. that MFCCs are cepstral.
    segments : list of dict
        For a network inside :class:`~skcnn.SegmentClassifier` or
        :class:`~skcnn.SegmentRegressor`, one dict per wrapper (outermost
        first): ``wrapper``, ``segment_length`` and ``hop_length`` in
        samples (the fitted ``segment_length_`` and ``hop_length_``, or
        those the parameters give), ``sr``, ``segment_seconds``,
        ``hop_seconds`` and ``aggregate``. Empty otherwise.
    """

    columns = ("layer", "output_shape", "n_params", "rf_frames", "rf_bins",
               "rf_seconds", "rf_hertz", "rf_semitones")

    def __init__(self, rows, receptive_field, note=None):
        self.rows = rows
        self.receptive_field = receptive_field
        self.n_params = sum(row["n_params"] for row in rows)
        self.note = note
        self.segments = []

    def covers(self, target_seconds=None, target_hertz=None):
        """Whether the convolutional receptive field spans the target pattern.

        Parameters
        ----------
        target_seconds, target_hertz : float, default=None
            Duration and bandwidth of the pattern looked for.

        Returns
        -------
        covers : bool
            False when the receptive field is more than twice smaller than
            either target; targets that cannot be converted (no transformer,
            or a cepstral axis) are not judged.
        """
        return not self._shortfalls(target_seconds, target_hertz)

    def _shortfalls(self, target_seconds, target_hertz):
        for name, target in (("target_seconds", target_seconds), ("target_hertz", target_hertz)):
            # NaN compares False: an unchecked NaN target would be 'covered' by any network
            number = isinstance(target, Real) and not isinstance(target, bool)
            if target is not None and not (number and 0 < target < np.inf):
                raise ValueError(f"{name}={target!r} must be a finite positive number, or None")
        out = []
        for key, target, unit in (("rf_seconds", target_seconds, "s"),
                                  ("rf_hertz", target_hertz, "Hz")):
            have = self.receptive_field.get(key)
            if target is not None and have is not None and have * _TARGET_RATIO < target:
                out.append(f"{have:.4g} {unit} against the {target:.4g} {unit} looked for")
        return out

    def __repr__(self):
        return f"<NetworkDescription: {len(self.rows)} layers, {self.n_params} parameters>"

    def __str__(self):
        columns = [c for c in self.columns if any(row.get(c) is not None for row in self.rows)]
        cells = [[_format(row.get(c)) for c in columns] for row in self.rows]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
        lines.append(f"Total parameters: {self.n_params:,}")
        rf = self.receptive_field
        unbounded = rf.get("rf_frames") is not None and np.isinf(rf["rf_frames"])
        parts = [("unbounded in frames (a recurrent layer sees the whole clip)" if np.isinf(rf[k])
                  else f"{rf[k]:g} {k[3:]}")
                 for k in ("rf_frames", "rf_bins") if rf.get(k) is not None]
        if rf.get("rf_seconds") is not None and not np.isinf(rf["rf_seconds"]):
            parts.append(f"{rf['rf_seconds']:.4g} s")
        if rf.get("rf_hertz") is not None:
            parts.append(f"{rf['rf_hertz']:.4g} Hz")
        if rf.get("rf_semitones") is not None:
            parts.append(f"{rf['rf_semitones']:.4g} semitones")
        if parts:
            what = "Receptive field" if unbounded else "Receptive field of the convolutional part"
            lines.append(f"{what}: " + " x ".join(parts))
        if self.note:
            lines.append(self.note)
        for seg in self.segments:
            lines.append(
                f"{seg['wrapper']} cuts recordings into segments of {seg['segment_length']} samples "
                f"({seg['segment_seconds']:.4g} s at {seg['sr']:g} Hz), every {seg['hop_length']} "
                f"samples ({seg['hop_seconds']:.4g} s), and pools their outputs per recording "
                f"(aggregate={seg['aggregate']!r})"
            )
        return "\n".join(lines)


def _format(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _leaf_calls(module, x):
    """Run ``x`` through ``module``; return the leaf layers in call order with outputs."""
    calls = []

    def hook(layer, inputs, output):
        if isinstance(layer, nn.RNNBase):  # (output, state), batch first: report (features, frames)
            calls.append((layer, tuple(output[0].shape[1:])[::-1]))
        else:
            calls.append((layer, tuple(output.shape[1:])))

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if not list(m.children())]
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(x)
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    return calls


def describe_module(module, input_shape, *, features=None):
    """Describe a torch module fed with samples of ``input_shape``.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    input_shape : tuple of int
        One sample's shape without the batch axis: ``(channels, length)`` or
        ``(channels, n_bins, n_frames)``.
    features : transformer with ``feature_span``, default=None
        The transformer that made the input, for seconds and hertz.

    Returns
    -------
    description : NetworkDescription

    Examples
    --------
    The course notes' least bittern exercise (44.1 kHz, frame 1024, hop 512):

    >>> from torch import nn
    >>> from skcnn import SpectrogramTransformer
    >>> net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3))
    >>> spec = SpectrogramTransformer(sr=44100, n_fft=1024, hop_length=512)
    >>> table = describe_module(net, (1, 513, 87), features=spec)
    >>> row = table.rows[-1]
    >>> row["rf_frames"], row["rf_bins"], round(row["rf_seconds"], 4), round(row["rf_hertz"], 1)
    (8, 8, 0.1045, 344.5)
    """
    input_shape = tuple(int(s) for s in input_shape)
    ndim = len(input_shape) - 1
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    calls = _leaf_calls(module, torch.zeros((1,) + input_shape, device=device))
    names = {}
    rf, jump = [1] * ndim, [1] * ndim
    full = list(input_shape[1:])
    last_conv = None
    rows = []
    seen = set()
    axes = list(range(ndim))  # the input axes a layer's spatial axes are
    for layer, shape in calls:
        kind = type(layer).__name__.lower()
        names[kind] = names.get(kind, 0) + 1
        if isinstance(layer, _CONV + _POOL):
            kernel = _pair(layer.kernel_size, len(axes))
            stride = _pair(layer.stride, len(axes))
            dilation = _pair(getattr(layer, "dilation", 1), len(axes))
            for i, a in enumerate(axes):
                rf[a] += dilation[i] * (kernel[i] - 1) * jump[a]
                jump[a] *= stride[i]
        elif isinstance(layer, FrequencyPool):
            # a per-frame network: every bin, then 1-D layers over the frames
            rf[0], axes = full[0], [ndim - 1]
        elif isinstance(layer, SwapAxes) and len(axes) == 2:
            axes = axes[::-1]  # the layers after it see time first (PANNs)
        elif isinstance(layer, nn.RNNBase):
            rf[-1] = np.inf  # a recurrent layer over the frames: each output sees them all
        elif isinstance(layer, nn.Linear) and len(shape) > 1:
            pass  # applied at each position (each frame): it widens nothing
        elif isinstance(layer, GlobalPool) and layer.mode == "time":
            rf[-1] = full[-1]  # pooled over the frames only: each bin keeps its field
        elif isinstance(layer, _GLOBAL):
            rf = list(full)
        n_params = 0 if id(layer) in seen else sum(p.numel() for p in layer.parameters())
        seen.add(id(layer))
        row = {"layer": f"{kind}_{names[kind]}", "output_shape": shape, "n_params": n_params}
        row.update(_rf_columns(rf, ndim, features))
        rows.append(row)
        if isinstance(layer, _CONV + _POOL + (nn.RNNBase,)):
            last_conv = row
    receptive_field = {k: v for k, v in (last_conv or {}).items() if k.startswith("rf_")}
    note = None
    if features is not None and features.feature_span(1, 1)["frequency_axis"] == "cepstral":
        note = (f"The second axis of {type(features).__name__}'s output is cepstral "
                "(quefrency), not frequency: rf_bins counts coefficients and has no "
                "span in hertz.")
    return NetworkDescription(rows, receptive_field, note)


def _count(positions):
    """An int, or inf for a field unbounded in time (after a recurrent layer)."""
    return positions if np.isinf(positions) else int(positions)


def _rf_columns(rf, ndim, features):
    if ndim == 1:
        return {"rf_frames": _count(rf[0]), "rf_bins": None}
    columns = {"rf_frames": _count(rf[1]), "rf_bins": int(rf[0])}
    if features is not None:
        unbounded = np.isinf(rf[1])
        span = features.feature_span(int(rf[0]), 1 if unbounded else int(rf[1]))
        columns["rf_seconds"] = np.inf if unbounded else span["seconds"]
        columns["rf_hertz"] = span["hertz"]
        columns["rf_semitones"] = span.get("semitones")
    return columns


def _split_pipeline(pipeline):
    """(front end as a Pipeline or None, its time-frequency step or None, final estimator)."""
    front = pipeline[:-1] if len(pipeline) > 1 else None
    features = None
    for _, step in reversed(pipeline.steps[:-1]):
        if hasattr(step, "feature_span"):
            features = step
            break
    return front, features, pipeline[-1]


def _module_and_shape(estimator, X, n_outputs):
    """The estimator's fitted module, or one built for ``X`` when unfitted."""
    if getattr(estimator, "module_", None) is not None and hasattr(estimator, "input_shape_"):
        return estimator.module_, estimator.input_shape_
    if X is None:
        raise ValueError(
            f"{type(estimator).__name__} is not fitted: pass example input X so "
            "that describe can build the network for its shape."
        )
    X = np.asarray(X, dtype=np.float32)
    shape = tuple(int(s) for s in (X.shape[1:] if X.ndim > 2 else (1,) + X.shape[1:]))
    return estimator.build_module(shape, n_outputs), shape


def describe(estimator, features=None, X=None, *, n_outputs=2, target_seconds=None,
             target_hertz=None):
    """Layer-by-layer shapes, parameters and receptive fields of a CNN.

    Parameters
    ----------
    estimator : CNNClassifier, CNNRegressor, Pipeline, SegmentClassifier or SegmentRegressor
        Fitted, or unfitted with example input ``X``. A pipeline's last step
        is the network and its time-frequency transformer, if any, gives
        ``features``. A segment wrapper is described through the estimator
        it wraps, fed with segments (``X`` holds recordings, cut as the
        wrapper cuts them), and the description's ``segments`` states the
        segment length and hop.
    features : transformer with ``feature_span``, default=None
        The transformer in front of the network, for seconds and hertz
        (any of skcnn's time-frequency transformers).
    X : array-like, default=None
        Example input: raw clips when a transformer (``features`` or a
        pipeline's) is known, the network's input otherwise. Needed for an
        unfitted estimator.
    n_outputs : int, default=2
        Output units of an unfitted network (a fitted one knows its own).
    target_seconds, target_hertz : float, default=None
        Duration and bandwidth of the pattern the network should find; a
        ``UserWarning`` is raised when the convolutional receptive field is
        more than twice smaller than either.

    Returns
    -------
    description : NetworkDescription
        ``rows`` (one dict per layer), ``n_params``, ``receptive_field``;
        ``print`` it for an aligned table with totals.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import MFCCTransformer, CNNClassifier
    >>> from skcnn.inspection import describe
    >>> clips = np.zeros((2, 8000), dtype=np.float32)
    >>> table = describe(CNNClassifier(), MFCCTransformer(sr=8000), X=clips)
    >>> [row["output_shape"] for row in table.rows if "conv" in row["layer"]]
    [(16, 13, 16), (32, 7, 8), (64, 4, 4), (128, 2, 2)]
    """
    description = _describe(estimator, features, X, n_outputs)
    shortfalls = description._shortfalls(target_seconds, target_hertz)
    if shortfalls:
        warnings.warn(
            "The network's receptive field is far smaller than the pattern looked for: "
            + "; ".join(shortfalls)
            + ". Add blocks, larger kernels or pooling, or a larger hop_length.",
            UserWarning,
            stacklevel=2,
        )
    return description


def _segment_lengths(wrapper):
    """Samples per segment and between segment starts: as fitted, else as the parameters give."""
    if hasattr(wrapper, "estimator_"):
        return wrapper.segment_length_, wrapper.hop_length_
    wrapper._validate_params()
    return wrapper._lengths()


def _describe(estimator, features, X, n_outputs):
    """:func:`describe` without the warning; segment wrappers describe the network they wrap."""
    if isinstance(estimator, _BaseSegments):
        # The wrapped estimator (a fitted clone, or the template) sees segments, not recordings.
        length, hop = _segment_lengths(estimator)
        if X is not None:
            X, _ = estimator._segments(X, length, hop)
        wrapped = estimator.estimator_ if hasattr(estimator, "estimator_") else estimator.estimator
        description = _describe(wrapped, features, X, n_outputs)
        description.segments.insert(0, {
            "wrapper": type(estimator).__name__, "segment_length": length, "hop_length": hop,
            "sr": estimator.sr, "segment_seconds": length / estimator.sr,
            "hop_seconds": hop / estimator.sr, "aggregate": estimator.aggregate,
        })
        return description
    front = None
    if isinstance(estimator, Pipeline):
        front, pipe_features, estimator = _split_pipeline(estimator)
        features = features if features is not None else pipe_features
    elif features is not None:
        front = features
    if X is not None and front is not None:
        X = front.transform(X)
    module, input_shape = _module_and_shape(estimator, X, n_outputs)
    return describe_module(module, input_shape, features=features)

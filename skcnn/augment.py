"""Train-only augmentations of whole batches of torch tensors.

An augmentation takes a batch ``X`` of shape (n_clips, channels, n_frames)
(waveforms, 1-D feature sequences) or (n_clips, channels, n_bins, n_frames)
(spectrograms, MFCCs, CQTs), draws one random change per clip with the
``torch.Generator`` it is handed, and returns a new batch: the input is never
changed in place. Every draw is one vectorised call over the batch, on the
batch's device; no Python loop runs over clips.

Pass one to an estimator as ``augment=``: ``CNNClassifier`` and
``CNNRegressor`` apply it to each training batch only, never to prediction,
scoring or the early-stopping validation split. Several are chained with
:class:`Compose`.

Why scikit-learn here, in a "torch only" module: each augmentation subclasses
``sklearn.base.BaseEstimator`` for ``get_params``/``set_params``, ``clone``
and ``repr``, so that a search reaches its parameters through the estimator
(``GridSearchCV(pipe, {"cnn__augment__max_time": [0.1, 0.2]})``), and checks
its parameters with scikit-learn's ``validate_parameter_constraints``, as the
estimators do. Nothing else of scikit-learn runs on a batch.

Writing your own: subclass :class:`Augmentation`, give it keyword parameters
stored unchanged in ``__init__``, a ``_parameter_constraints`` dict, and
implement ``_augment(X, y, sample_weight, generator)``; set
``mixes_targets = True`` if it changes the targets.
"""

from collections import Counter
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator

from .utils._private import Interval, StrOptions, validate_parameter_constraints

__all__ = ["Augmentation", "SpecAugment", "FrequencyWarp", "TimeShift", "RandomGain",
           "AddNoise", "Mixup", "Compose"]


# ----------------------------------------------------------------- draws
def _draw_device(generator, X):
    return X.device if generator is None else generator.device


def _uniform(shape, generator, X):
    """U[0, 1) of ``shape``, drawn on the generator's device, on X's device."""
    u = torch.rand(shape, generator=generator, device=_draw_device(generator, X))
    return u.to(X.device)


def _noise(generator, X, power=False):
    """N(0, 1) draws of X's shape and dtype on X's device, or with ``power``
    Exp(1) draws (a white noise's power per bin)."""
    draw = torch.rand if power else torch.randn
    z = draw(X.shape, generator=generator, device=_draw_device(generator, X), dtype=X.dtype)
    return (-torch.log1p(-z) if power else z).to(X.device)


def _per_clip(values, X):
    """``values`` of shape (n_clips,) shaped to broadcast against X."""
    return values.to(X.dtype).reshape((-1,) + (1,) * (X.ndim - 1))


def _clip_mean(X):
    """Mean of each clip's channel, shaped to broadcast against X."""
    return X.mean(dim=tuple(range(2, X.ndim)), keepdim=True)


# ------------------------------------------------------------------ base
class Augmentation(BaseEstimator):
    """Base class of batch augmentations.

    Calling an augmentation checks its parameters and the batch's shape, then
    returns ``(X, y, sample_weight)`` augmented; augmentations that do not
    mix targets (``mixes_targets = False``) return ``y`` and
    ``sample_weight`` as they were given.
    """

    #: Whether the augmentation changes the targets (and then needs float
    #: targets: one-hot probabilities for a classifier, values for a regressor).
    mixes_targets = False
    _parameter_constraints = {}

    def check(self, shape=None):
        """Check the parameters and, if given, that batches of ``shape`` can be
        augmented; a ValueError names what is wrong. Nothing changes.

        Parameters
        ----------
        shape : tuple of int or None, default=None
            A batch's shape, (n_clips, channels, n_frames) or
            (n_clips, channels, n_bins, n_frames).

        Returns
        -------
        self : object
            The augmentation.
        """
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        self._check_parameters()
        if shape is not None:
            shape = tuple(int(s) for s in shape)
            if len(shape) not in (3, 4):
                raise ValueError(
                    f"{type(self).__name__} augments batches of shape (n_clips, "
                    "channels, n_frames) or (n_clips, channels, n_bins, n_frames); "
                    f"got shape {shape}"
                )
            self._check_shape(shape)
        return self

    def _check_parameters(self):
        """Hook: checks of several parameters together."""

    def _check_shape(self, shape):
        """Hook: refuse batch shapes the augmentation cannot handle."""

    def __call__(self, X, y=None, sample_weight=None, *, generator=None):
        """Augment a batch.

        Parameters
        ----------
        X : torch.Tensor of shape (n_clips, channels, n_frames) or \
(n_clips, channels, n_bins, n_frames)
            The batch, floating point; it is not changed.
        y : torch.Tensor of shape (n_clips,) or (n_clips, n_outputs) or None
            The targets; float when the augmentation mixes targets.
        sample_weight : torch.Tensor of shape (n_clips,) or None
            Weights of the clips in the loss.
        generator : torch.Generator or None, default=None
            The source of every random draw (None: torch's global
            generator). Draws are made on the generator's device and end up
            on X's device.

        Returns
        -------
        X, y, sample_weight : torch.Tensor or None
            The augmented batch (same shape, dtype and device as ``X``) and
            its targets and weights.
        """
        if not (torch.is_tensor(X) and X.is_floating_point()):
            raise ValueError(
                f"{type(self).__name__} augments floating-point torch tensors; got "
                f"{type(X).__name__} of dtype {getattr(X, 'dtype', None)}"
            )
        self.check(X.shape)
        return self._augment(X, y, sample_weight, generator)

    def _augment(self, X, y, sample_weight, generator):
        raise NotImplementedError


# ----------------------------------------------------------- SpecAugment
def _bands(n_clips, n_masks, size, max_fraction, generator, X):
    """(n_clips, size) bool: per clip, the union of ``n_masks`` bands, each of
    a width drawn from {0, ..., floor(max_fraction * size)} and a start drawn
    so that it fits; None when nothing can be masked."""
    max_width = int(max_fraction * size)
    if n_masks == 0 or max_width == 0:
        return None
    u = _uniform((2, n_clips, n_masks), generator, X)
    width = (u[0] * (max_width + 1)).long().clamp_(max=max_width)
    start = torch.minimum((u[1] * (size - width + 1)).long(), size - width)
    position = torch.arange(size, device=X.device)
    inside = ((position >= start[..., None])
              & (position < (start + width)[..., None]))
    return inside.any(dim=1)


class SpecAugment(Augmentation):
    """Random frequency and time masks on each clip (SpecAugment's masking).

    Each clip gets its own ``freq_masks`` bands of frequency bins and
    ``time_masks`` bands of frames. A band's width is drawn uniformly from
    0 to ``max_freq`` (``max_time``) of the axis, rounded down, and its start
    uniformly where it fits, as in Park et al. (2019). Masked values are set
    to the mean of the clip's channel (taken before masking), not to zero:
    on a dB map 0 dB may be loud, and the mean keeps the map's level. The
    masks are the same for every channel of a clip.

    On 1-D input (n_clips, channels, n_frames) there is no frequency axis:
    with ``freq_masks=0`` only time masks are drawn; otherwise a ValueError
    names the class and the shape.

    Parameters
    ----------
    freq_masks : int, default=2
        Number of frequency masks per clip.
    time_masks : int, default=2
        Number of time masks per clip.
    max_freq : float, default=0.125
        Largest width of a frequency mask, as a fraction of the bins.
    max_time : float, default=0.125
        Largest width of a time mask, as a fraction of the frames.

    See Also
    --------
    TimeShift : Shifts clips in time instead of hiding parts of them.

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import SpecAugment
    >>> X = torch.randn(8, 1, 64, 100)
    >>> g = torch.Generator().manual_seed(0)
    >>> Xa, _, _ = SpecAugment(max_freq=0.25)(X, generator=g)
    >>> Xa.shape == X.shape, bool((Xa != X).any())
    (True, True)
    """

    _parameter_constraints = {
        "freq_masks": [Interval(Integral, 0, None, closed="left")],
        "time_masks": [Interval(Integral, 0, None, closed="left")],
        "max_freq": [Interval(Real, 0, 1, closed="both")],
        "max_time": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, freq_masks=2, time_masks=2, max_freq=0.125, max_time=0.125):
        self.freq_masks = freq_masks
        self.time_masks = time_masks
        self.max_freq = max_freq
        self.max_time = max_time

    def _check_shape(self, shape):
        if len(shape) == 3 and self.freq_masks != 0:
            raise ValueError(
                f"SpecAugment(freq_masks={self.freq_masks}) masks frequency bins "
                "of 2-D maps of shape (n_clips, channels, n_bins, n_frames); "
                f"input of shape {shape} is 1-D (n_clips, channels, n_frames) "
                "and has no frequency axis. Set freq_masks=0 for time masks only."
            )

    def _augment(self, X, y, sample_weight, generator):
        n = X.shape[0]
        masked = None
        times = _bands(n, self.time_masks, X.shape[-1], self.max_time, generator, X)
        if times is not None:
            masked = times.reshape((n,) + (1,) * (X.ndim - 2) + (X.shape[-1],))
        if X.ndim == 4:
            bins = _bands(n, self.freq_masks, X.shape[-2], self.max_freq, generator, X)
            if bins is not None:
                bins = bins[:, None, :, None]
                masked = bins if masked is None else masked | bins
        if masked is None:
            return X, y, sample_weight
        return torch.where(masked, _clip_mean(X), X), y, sample_weight


# --------------------------------------------------------- FrequencyWarp
class FrequencyWarp(Augmentation):
    """Stretch or squeeze each clip's frequency axis by a random factor.

    A clip's factor ``a`` is drawn uniformly from ``[1 - max_warp, 1 +
    max_warp]`` and its bin ``b`` takes the value at bin ``b / a``
    (linear interpolation between the two nearest bins; bins whose source
    lies above the top bin repeat the top bin): ``a > 1`` moves every
    pattern up in frequency, ``a < 1`` down, as a longer or shorter vocal
    tract moves a voice's formants. It is vocal tract length perturbation
    (Jaitly and Hinton, 2013), the augmentation speech recognisers use to
    generalise to unseen speakers, done on the maps instead of inside the
    front end. On a linear-frequency spectrogram it scales the frequencies
    exactly; on a mel axis (linear below about 1 kHz, logarithmic above) it
    is an approximation of it; on a constant-Q axis it also stretches the
    intervals between harmonics. MFCCs have no frequency axis to warp.

    Leaving one FSDD speaker out, it brought most of the frame
    classifier's gain in frame macro-F1 over SpecAugment alone on the two
    hardest speakers (:ref:`results <results_frames>`), so
    :class:`skcnn.CNNFrameClassifier`'s ``augment='auto'`` includes it.

    Parameters
    ----------
    max_warp : float, default=0.15
        Largest relative change of the frequency scale, in [0, 1).

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import FrequencyWarp
    >>> X = torch.arange(8.0).reshape(1, 1, 8, 1).expand(3, 1, 8, 2)
    >>> g = torch.Generator().manual_seed(0)
    >>> Xw, _, _ = FrequencyWarp(max_warp=0.2)(X, generator=g)
    >>> Xw.shape == X.shape, bool((Xw[:, :, 0] == 0).all())  # bin 0 stays
    (True, True)
    """

    #: It moves the bins of X but not those of per-pixel targets (masks);
    #: the mask regressor refuses it.
    moves_bins = True

    _parameter_constraints = {"max_warp": [Interval(Real, 0, 1, closed="left")]}

    def __init__(self, *, max_warp=0.15):
        self.max_warp = max_warp

    def _check_shape(self, shape):
        if len(shape) == 3:
            raise ValueError(
                "FrequencyWarp warps the frequency bins of 2-D maps of shape (n_clips, "
                f"channels, n_bins, n_frames); input of shape {shape} is 1-D (n_clips, "
                "channels, n_frames) and has no frequency axis"
            )

    def _augment(self, X, y, sample_weight, generator):
        n, n_bins = X.shape[0], X.shape[2]
        if self.max_warp == 0 or n_bins == 1:
            return X, y, sample_weight
        factor = 1 + (2 * _uniform((n,), generator, X) - 1) * self.max_warp
        # out[:, :, b] = X[:, :, b / factor], linearly interpolated
        bins = torch.arange(n_bins, device=X.device, dtype=X.dtype)
        source = (bins[None, :] / factor[:, None].to(X.dtype)).clamp_(0, n_bins - 1)
        below = source.floor().long().clamp_(max=n_bins - 2)
        frac = (source - below.to(X.dtype))[:, None, :, None]

        def at(index):
            return X.gather(2, index[:, None, :, None].expand(X.shape))

        return torch.lerp(at(below), at(below + 1), frac), y, sample_weight


# ------------------------------------------------------------- TimeShift
class TimeShift(Augmentation):
    """Shift each clip along its last (time) axis by a random number of frames.

    The shift of a clip is drawn uniformly from the integers between
    ``-floor(max_shift * n_frames)`` and ``+floor(max_shift * n_frames)``; a
    positive shift delays the clip. With ``circular=True`` what leaves one end
    comes back at the other (no content is lost); otherwise the vacated
    frames hold the mean of the clip's channel, as :class:`SpecAugment`'s
    masks do.

    Parameters
    ----------
    max_shift : float, default=0.25
        Largest shift, as a fraction of the frames.
    circular : bool, default=True
        Whether to roll the clip (True) or shift it and fill the gap (False).

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import TimeShift
    >>> X = torch.arange(10.0).reshape(1, 1, 10)
    >>> g = torch.Generator().manual_seed(0)
    >>> Xs, _, _ = TimeShift(max_shift=0.5)(X, generator=g)
    >>> sorted(Xs.flatten().tolist()) == X.flatten().tolist()
    True
    """

    #: It moves frames of X but not of per-frame targets; the per-frame
    #: estimators refuse it.
    moves_frames = True

    _parameter_constraints = {
        "max_shift": [Interval(Real, 0, 1, closed="both")],
        "circular": ["boolean"],
    }

    def __init__(self, *, max_shift=0.25, circular=True):
        self.max_shift = max_shift
        self.circular = circular

    def _augment(self, X, y, sample_weight, generator):
        n, n_frames = X.shape[0], X.shape[-1]
        most = int(self.max_shift * n_frames)
        if most == 0:
            return X, y, sample_weight
        u = _uniform((n,), generator, X)
        shift = (u * (2 * most + 1)).long().clamp_(max=2 * most) - most
        # out[..., t] = X[..., t - shift]
        source = torch.arange(n_frames, device=X.device) - shift[:, None]
        view = (n,) + (1,) * (X.ndim - 2) + (n_frames,)
        if self.circular:
            index = (source % n_frames).reshape(view).expand(X.shape)
            return X.gather(-1, index), y, sample_weight
        index = source.clamp(0, n_frames - 1).reshape(view).expand(X.shape)
        inside = ((source >= 0) & (source < n_frames)).reshape(view)
        return torch.where(inside, X.gather(-1, index), _clip_mean(X)), y, sample_weight


# ------------------------------------------------------------ RandomGain
_GAIN_SCALE = {"amplitude": 20.0, "power": 10.0}


class RandomGain(Augmentation):
    """Change each clip's level by a random gain in dB.

    The gain ``g`` of a clip is drawn uniformly from ``[-max_db, max_db]``.
    ``domain`` says what the values are: 'db' (a dB map: ``g`` is added),
    'amplitude' (waveforms, magnitude maps: multiplied by ``10**(g/20)``) or
    'power' (power maps: multiplied by ``10**(g/10)``).

    Parameters
    ----------
    max_db : float, default=6.0
        Largest gain, in dB, either way.
    domain : {'db', 'amplitude', 'power'}, default='db'
        What the input's values are.

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import RandomGain
    >>> X = torch.full((4, 1, 8, 8), -30.0)
    >>> g = torch.Generator().manual_seed(0)
    >>> Xg, _, _ = RandomGain(max_db=6.0)(X, generator=g)
    >>> bool(((Xg - X).abs() <= 6.0).all())
    True
    """

    _parameter_constraints = {
        "max_db": [Interval(Real, 0, None, closed="left")],
        "domain": [StrOptions({"db", "amplitude", "power"})],
    }

    def __init__(self, *, max_db=6.0, domain="db"):
        self.max_db = max_db
        self.domain = domain

    def _augment(self, X, y, sample_weight, generator):
        gain = _per_clip((2 * _uniform((X.shape[0],), generator, X) - 1) * self.max_db, X)
        if self.domain == "db":
            return X + gain, y, sample_weight
        return X * 10.0 ** (gain / _GAIN_SCALE[self.domain]), y, sample_weight


# -------------------------------------------------------------- AddNoise
class AddNoise(Augmentation):
    """Add white noise at a random signal-to-noise ratio per clip.

    The SNR of a clip is drawn uniformly from ``snr_db`` (a pair (low, high),
    or one number for a fixed SNR) and is relative to the clip's own mean
    power over all its values. By ``domain``:

    - 'amplitude' (waveforms): Gaussian noise of power
      ``mean(x**2) / 10**(snr/10)`` is added.
    - 'power' (power maps): white noise's power per bin, exponentially
      distributed with mean ``mean(x) / 10**(snr/10)``, is added.
    - 'db' (dB maps of power, ``10*log10``): the same noise power is added in
      the linear domain and the result goes back to dB,
      ``x' = 10*log10(10**(x/10) + noise)``.

    Parameters
    ----------
    snr_db : float or tuple of (float, float), default=(10, 30)
        The SNR in dB, or the range it is drawn from.
    domain : {'amplitude', 'power', 'db'}, default='amplitude'
        What the input's values are.

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import AddNoise
    >>> X = torch.randn(16, 1, 4000)
    >>> g = torch.Generator().manual_seed(0)
    >>> Xn, _, _ = AddNoise(snr_db=20)(X, generator=g)
    >>> snr = 10 * torch.log10((X ** 2).mean() / ((Xn - X) ** 2).mean())
    >>> round(float(snr))
    20
    """

    _parameter_constraints = {
        "snr_db": [Real, tuple, list],
        "domain": [StrOptions({"amplitude", "power", "db"})],
    }

    def __init__(self, *, snr_db=(10, 30), domain="amplitude"):
        self.snr_db = snr_db
        self.domain = domain

    def _snr_range(self):
        return (self.snr_db,) * 2 if isinstance(self.snr_db, Real) else tuple(self.snr_db)

    def _check_parameters(self):
        pair = self._snr_range()
        if not (len(pair) == 2 and all(isinstance(v, Real) and np.isfinite(v) for v in pair)
                and pair[0] <= pair[1]):
            raise ValueError(
                f"snr_db={self.snr_db!r} must be a finite number or a pair "
                "(low, high) of them with low <= high"
            )

    def _augment(self, X, y, sample_weight, generator):
        low, high = map(float, self._snr_range())
        snr = low + (high - low) * _uniform((X.shape[0],), generator, X)
        share = _per_clip(10.0 ** (-snr / 10), X)   # noise power / signal power
        axes = tuple(range(1, X.ndim))
        if self.domain == "amplitude":
            power = (X ** 2).mean(dim=axes, keepdim=True)
            return X + _noise(generator, X) * (power * share).sqrt(), y, sample_weight
        if self.domain == "power":
            power = X.mean(dim=axes, keepdim=True)
            return X + _noise(generator, X, power=True) * power * share, y, sample_weight
        top = X.amax(dim=axes, keepdim=True)   # for range: powers relative to the peak
        linear = 10.0 ** ((X - top) / 10)
        noisy = linear + _noise(generator, X, True) * linear.mean(dim=axes, keepdim=True) * share
        return top + 10 * torch.log10(noisy), y, sample_weight


# ----------------------------------------------------------------- Mixup
class Mixup(Augmentation):
    """Mix each clip with another clip of the batch, targets and weights alike.

    Clip ``i`` becomes ``lam_i * x_i + (1 - lam_i) * x_j`` with ``j`` a
    random permutation of the batch and ``lam_i ~ Beta(alpha, alpha)``, one
    per clip (Zhang et al., 2018); the targets and sample weights are mixed
    with the same ``lam_i`` and ``j``. The targets must be floats: the
    estimators hand one-hot class probabilities (classifier) or the values
    (regressor).

    ``torch.distributions`` cannot draw with a ``torch.Generator``, so the
    ``lam_i`` are drawn with a NumPy generator seeded from one integer drawn
    with the torch generator: the same torch generator state gives the same
    ``lam_i``. That is one small copy to the batch's device per batch.

    Parameters
    ----------
    alpha : float, default=0.2
        Both shape parameters of the Beta distribution; small values keep
        most mixes close to one of the two clips.

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import Mixup
    >>> X = torch.randn(6, 1, 8, 8)
    >>> y = torch.nn.functional.one_hot(torch.arange(6) % 2, 2).float()
    >>> g = torch.Generator().manual_seed(0)
    >>> Xm, ym, _ = Mixup(alpha=0.4)(X, y, generator=g)
    >>> torch.allclose(ym.sum(dim=1), torch.ones(6))
    True
    """

    mixes_targets = True
    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, *, alpha=0.2):
        self.alpha = alpha

    def _augment(self, X, y, sample_weight, generator):
        if y is None or not (torch.is_tensor(y) and y.is_floating_point()):
            raise ValueError(
                "Mixup mixes the targets too: y must be a float tensor (one-hot "
                f"class probabilities or values), got {getattr(y, 'dtype', y)!r}"
            )
        n = X.shape[0]
        device = _draw_device(generator, X)
        seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator, device=device))
        lam = np.random.default_rng(seed).beta(self.alpha, self.alpha, size=n)
        lam = torch.as_tensor(lam, device=X.device)
        partner = torch.randperm(n, generator=generator, device=device).to(X.device)

        def mix(t):
            weight = lam.to(t.dtype).reshape((-1,) + (1,) * (t.ndim - 1))
            return weight * t + (1 - weight) * t[partner]

        return mix(X), mix(y), None if sample_weight is None else mix(sample_weight)


# --------------------------------------------------------------- Compose
class Compose(Augmentation):
    """Apply several augmentations in order.

    Parameters
    ----------
    augmentations : list of Augmentation or of (str, Augmentation)
        The augmentations, applied first to last. Their parameters are
        reached as ``<name>__<parameter>``: a name given in a pair, or else
        the class name in lower case (``specaugment``), numbered
        (``timeshift-1``, ``timeshift-2``) when a class comes twice, as in
        ``sklearn.pipeline.make_pipeline``.

    Examples
    --------
    >>> import torch
    >>> from skcnn.augment import Compose, Mixup, SpecAugment, TimeShift
    >>> augment = Compose([SpecAugment(), TimeShift(), Mixup()])
    >>> augment.set_params(specaugment__max_time=0.2).augmentations[0]
    SpecAugment(max_time=0.2)
    >>> augment.mixes_targets
    True
    >>> X, y = torch.randn(4, 1, 16, 32), torch.eye(4)
    >>> Xa, ya, _ = augment(X, y, generator=torch.Generator().manual_seed(0))
    >>> Xa.shape, ya.shape
    (torch.Size([4, 1, 16, 32]), torch.Size([4, 4]))
    """

    _parameter_constraints = {"augmentations": [list, tuple]}

    def __init__(self, augmentations):
        self.augmentations = augmentations

    @property
    def mixes_targets(self):
        return any(step.mixes_targets for _, step in self._named_steps())

    def _named_steps(self):
        """(name, augmentation) pairs; names as the class docstring says."""
        steps = [item if isinstance(item, tuple) else (None, item)
                 for item in self.augmentations]
        counts = Counter(type(step).__name__.lower() for name, step in steps if name is None)
        seen, named = Counter(), []
        for name, step in steps:
            if name is None:
                name = type(step).__name__.lower()
                seen[name] += 1
                name = f"{name}-{seen[name]}" if counts[name] > 1 else name
            named.append((name, step))
        return named

    def _check_parameters(self):
        for item in self.augmentations:
            pair = isinstance(item, tuple)
            step = item[1] if pair and len(item) == 2 else item
            if (pair and (len(item) != 2 or not isinstance(item[0], str)
                          or "__" in item[0])) or not isinstance(step, Augmentation):
                raise ValueError(
                    f"augmentations={self.augmentations!r} must hold augmentations "
                    "of skcnn.augment or (name, augmentation) pairs with names "
                    f"without '__'; got {item!r}"
                )
        names = [name for name, _ in self._named_steps()]
        if len(set(names)) != len(names):
            raise ValueError(f"augmentations have repeated names {names}; name them apart")
        for _, step in self._named_steps():
            step.check()

    def _check_shape(self, shape):
        for _, step in self._named_steps():
            step.check(shape)

    def _augment(self, X, y, sample_weight, generator):
        for _, step in self._named_steps():
            X, y, sample_weight = step(X, y, sample_weight, generator=generator)
        return X, y, sample_weight

    def get_params(self, deep=True):
        params = super().get_params(deep=False)
        if deep and isinstance(self.augmentations, (list, tuple)):
            for name, step in self._named_steps():
                params[name] = step
                for key, value in step.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        if "augmentations" in params:
            self.augmentations = params.pop("augmentations")
        names = [name for name, _ in self._named_steps()]
        for key in params:
            if key.partition("__")[0] not in names:
                raise ValueError(
                    f"Invalid parameter {key!r} for Compose: valid names are "
                    f"'augmentations' and the steps' {names}"
                )
        items = list(self.augmentations)
        whole = {key: value for key, value in params.items() if "__" not in key}
        for key, value in whole.items():   # whole steps first, then their parameters
            i = names.index(key)
            items[i] = (items[i][0], value) if isinstance(items[i], tuple) else value
        if whole:
            self.augmentations = type(self.augmentations)(items)
        for key, value in params.items():
            if "__" in key:
                name, _, sub = key.partition("__")
                self._named_steps()[names.index(name)][1].set_params(**{sub: value})
        return self

"""Source separation metrics: SI-SDR and its improvement over the mixture."""

import numpy as np

from ._checks import _check_same_shape


def si_sdr(reference, estimate):
    """Scale-invariant signal-to-distortion ratio, in dB (Le Roux et al., 2019).

    Both signals have their mean removed first, as in the paper. With ``s``
    the reference and ``s_hat`` the estimate, ``alpha = <s_hat, s> / <s, s>``,
    ``target = alpha * s``, ``noise = s_hat - target`` and
    ``SI-SDR = 10 log10(|target|^2 / |noise|^2)``, computed in float64. Written
    here since no maintained library ships it without torch.

    Parameters
    ----------
    reference, estimate : array-like of shape (n_samples,) or (n_clips, n_samples)
        The clean sources and their estimates; finite (NaN or infinite values are
        a ValueError naming the argument).

    Returns
    -------
    si_sdr : float or ndarray of shape (n_clips,)
        ``np.inf`` where the noise is exactly zero (an estimate that is a
        scaled copy may instead give a finite value above 200 dB, through
        rounding); ``-np.inf`` where the estimate has no component along the
        reference (including a silent or constant estimate).

    Examples
    --------
    >>> from skcnn.metrics import si_sdr
    >>> s, noise = [1.0, -1.0, 1.0, -1.0], [0.5, 0.5, -0.5, -0.5]  # orthogonal, 1/4 the power
    >>> round(si_sdr(s, [a + b for a, b in zip(s, noise)]), 4)  # 10 log10(4)
    6.0206
    """
    s, s_hat = _check_signals(reference, estimate, "estimate")
    values = _si_sdr(s, s_hat)
    return float(values[0]) if np.ndim(reference) == 1 else values


def _check_signals(reference, other, name):
    """Reference and estimate (or mixture, named ``name``) as finite 2-D float64 arrays."""
    s, s_hat = _check_same_shape(reference, other, ("reference", name))
    if s.ndim not in (1, 2) or s.shape[-1] == 0:
        raise ValueError(f"reference has shape {s.shape}; it must be (n_samples,) or (n_clips, n_samples)")
    s, s_hat = (np.atleast_2d(x.astype(np.float64)) for x in (s, s_hat))
    for label, x in (("reference", s), (name, s_hat)):
        broken = ~np.isfinite(x).all(axis=1)
        if broken.any():
            where = f" (clip {int(np.flatnonzero(broken)[0])})" if s.shape[0] > 1 else ""
            raise ValueError(f"{label} holds NaN or infinite values{where}; SI-SDR needs finite signals")
    return s, s_hat


def _si_sdr(s, s_hat):
    """SI-SDR in dB of each row of checked 2-D float64 arrays."""
    s, s_hat = s - s.mean(axis=1, keepdims=True), s_hat - s_hat.mean(axis=1, keepdims=True)
    energy = np.einsum("ij,ij->i", s, s)
    if (energy == 0).any():
        raise ValueError(f"reference clip {int(np.flatnonzero(energy == 0)[0])} is silent (zero once "
                         "its mean is removed); SI-SDR needs a reference with energy")
    target = (np.einsum("ij,ij->i", s_hat, s) / energy)[:, None] * s
    noise = s_hat - target
    target_energy, noise_energy = np.einsum("ij,ij->i", target, target), np.einsum("ij,ij->i", noise, noise)
    with np.errstate(divide="ignore", invalid="ignore"):  # inf: no noise; -inf: no target
        return 10 * np.log10(np.where(target_energy == 0, 0.0, target_energy / noise_energy))


def si_sdr_improvement(reference, estimate, mixture):
    """SI-SDR of the estimate less SI-SDR of the mixture, in dB, per clip.

    Parameters
    ----------
    reference, estimate, mixture : array-like of shape (n_samples,) or (n_clips, n_samples)
        The clean sources, their estimates, and the mixtures they came from;
        finite, as for :func:`si_sdr`.

    Returns
    -------
    improvement : float or ndarray of shape (n_clips,)

    Examples
    --------
    >>> from skcnn.metrics import si_sdr_improvement
    >>> s, n = [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]
    >>> mixture = [a + b for a, b in zip(s, n)]          # 0 dB
    >>> estimate = [a + 0.5 * b for a, b in zip(s, n)]   # 6.02 dB
    >>> round(si_sdr_improvement(s, estimate, mixture), 4)
    6.0206
    """
    s, s_hat = _check_signals(reference, estimate, "estimate")
    _, s_mix = _check_signals(reference, mixture, "mixture")
    values = _si_sdr(s, s_hat) - _si_sdr(s, s_mix)
    return float(values[0]) if np.ndim(reference) == 1 else values

"""
Sound event detection: which digit is spoken in each frame
==========================================================

The second shape of CNN for audio in the course notes classifies every column
of a spectrogram. Here the columns are frames of 3 s soundscapes: one to
three spoken digits of the Free Spoken Digit Dataset placed at random onsets
on white noise at 10 dB SNR (:func:`skcnn.datasets.make_soundscapes`, which
labels every frame strongly, as in DCASE: the digit whose trimmed recording
covers the frame's centre, else 'background'). A mel spectrogram goes into
:class:`skcnn.CNNFrameClassifier` with its convolutional temporal head
(``temporal='conv'``), whose view in time is finite, so that
:func:`skcnn.inspection.describe` says how much audio one frame's output
sees; the speaker of the test soundscapes is held out of training.

Then the same on dense soundscapes, where digits follow each other with 1/8
to 1/2 s between them (``n_events='fill'``), as speech, birdsong and busy
streets do, with the classifier's defaults: a recurrent temporal head (two
bidirectional GRU layers, a CRNN), whose every frame's output sees the whole
soundscape.

Prints the frame-level macro-F1 over the ten digits, the event F1 (onsets
within 200 ms) and how much audio one frame's output sees, and saves
``sound_events.png`` and ``sound_events_dense.png`` (a test soundscape's
spectrogram above its true and predicted event rolls) beside this script,
or in the folder named by ``SKCNN_EXAMPLES_OUT``. About 8 minutes on 2 CPU
cores.

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on 40 training and 10 test soundscapes for 2 epochs, in seconds;
its numbers then mean nothing.
"""

# %%
# Data: 400 training soundscapes from five speakers' digits, 60 test ones from
# the sixth speaker's.
import os
import time
from pathlib import Path

import numpy as np

from skcnn import CNNFrameClassifier, SpectrogramTransformer
from skcnn.datasets import fetch_fsdd, load_fsdd, make_soundscapes
from skcnn.inspection import describe
from skcnn.metrics import event_f1_score, frame_f1_score, rolls_to_events

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
SR, HOP = 8000, 128
shared = HERE.parents[1] / "shared" / "data" / "fsdd"
fsdd = load_fsdd(shared) if shared.is_dir() else fetch_fsdd()
held_out = "jackson"


def soundscapes(keep, n, seed, **scene):
    clips = [clip for clip, k in zip(fsdd.data, keep) if k]
    labels = np.array(fsdd.target_names)[fsdd.target[keep]]
    return make_soundscapes(clips, labels, sr=SR, n_soundscapes=n, duration=3.0,
                            snr_db=10.0, hop_length=HOP, random_state=seed,
                            **(scene or dict(n_events=(1, 3))))


train = soundscapes(fsdd.speaker != held_out, 40 if SMOKE else 400, seed=0)
test = soundscapes(fsdd.speaker == held_out, 10 if SMOKE else 60, seed=1)
print(f"{len(train.data)} training and {len(test.data)} test soundscapes of 3 s; "
      f"{sum(map(len, test.events))} test events by {held_out}")

# %%
# 40 mel bands, 188 frames of 16 ms per soundscape; one label per frame.
front = SpectrogramTransformer(sr=SR, n_fft=512, hop_length=HOP, n_mels=40)
X_train, X_test = front.transform(train.data), front.transform(test.data)
model = CNNFrameClassifier(temporal="conv", time_context=4, max_epochs=2 if SMOKE else 20,
                           random_state=0)
model.fit(X_train, train.target)
field = describe(model, front).receptive_field
print(f"one frame's output sees {field['rf_frames']} frames: "
      f"{field['rf_seconds']:.2f} s of audio around it")

# %%
# Scores on the held-out speaker.
predicted = model.predict(X_test)
background = train.background_label
f1 = frame_f1_score(test.target, predicted, background=background)
events = rolls_to_events(predicted, sr=SR, hop_length=HOP, background=background)
print(f"frame-level macro-F1 over the digits: {f1:.3f}")
print(f"event F1 (onsets within 200 ms): {event_f1_score(test.events, events):.3f}")

# %%
# A figure: one test soundscape, its true and predicted rolls.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is the optional `examples` extra
    plt = None
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figures")
# next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT
out = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))


def plot_rolls(maps, true, predicted, events, title, filename):
    """The spectrogram of the test soundscape with the most events, above its rolls."""
    k = int(np.argmax([len(e) for e in events]))
    names = list(train.target_names)
    fig, axes = plt.subplots(3, 1, figsize=(10, 5.5), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1, 1]})
    seconds = maps.shape[-1] * HOP / SR
    axes[0].imshow(maps[k, 0], origin="lower", aspect="auto", cmap="magma",
                   extent=[0, seconds, 0, maps.shape[2]])
    axes[0].set(ylabel="mel band", title=title)
    colours = plt.get_cmap("tab10").colors
    for ax, roll, name in ((axes[1], true[k], "true"), (axes[2], predicted[k], "predicted")):
        for onset, offset, label in rolls_to_events(roll, sr=SR, hop_length=HOP,
                                                    background=background):
            ax.axvspan(onset, offset, color=colours[names.index(label)], alpha=0.8)
            ax.text((onset + offset) / 2, 0.5, str(label), ha="center", va="center",
                    fontsize=12, color="white", weight="bold")
        ax.set(yticks=[], ylabel=name)
    axes[2].set(xlim=(0, seconds), xlabel="time (s)")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / filename, dpi=120)
    plt.close(fig)
    print(f"figure: {out / filename}")


if plt is not None:
    plot_rolls(X_test, test.target, predicted, test.events,
               f"a 3 s soundscape of {held_out}'s digits at 10 dB SNR", "sound_events.png")

# %%
# Dense scenes: digits one after another, 1/8 to 1/2 s apart, about half the
# frames background. A CRNN (two bidirectional GRU layers over the frames in
# place of the dilated convolutions) reads each frame in the light of the
# whole soundscape. How each head does on every scene kind, leaving each
# speaker out, is on the documentation's results page.
dense = dict(n_events="fill", gap=(0.125, 0.5))
train = soundscapes(fsdd.speaker != held_out, 40 if SMOKE else 400, seed=2, **dense)
test = soundscapes(fsdd.speaker == held_out, 10 if SMOKE else 60, seed=3, **dense)
X_train, X_test = front.transform(train.data), front.transform(test.data)
print(f"dense: {np.mean(test.target == background):.0%} of the test frames are background, "
      f"{np.mean([len(e) for e in test.events]):.1f} events per soundscape")
crnn = CNNFrameClassifier(max_epochs=2 if SMOKE else 20, random_state=0)  # a CRNN
crnn.fit(X_train, train.target)
predicted = crnn.predict(X_test)
f1 = frame_f1_score(test.target, predicted, background=background)
events = rolls_to_events(predicted, sr=SR, hop_length=HOP, background=background)
print(f"dense scenes, CRNN frame-level macro-F1: {f1:.3f}; "
      f"event F1: {event_f1_score(test.events, events):.3f}")
print(f"total time: {time.perf_counter() - start:.1f} s")
if plt is not None:
    plot_rolls(X_test, test.target, predicted, test.events,
               f"a dense 3 s soundscape of {held_out}'s digits", "sound_events_dense.png")

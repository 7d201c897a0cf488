"""Every example runs end to end in smoke mode, prints its summary and saves its figure.

``SKCNN_EXAMPLES_SMOKE=1`` makes each script run its whole path on a few clips for a few
epochs, so these are ordinary tests (seconds each, not ``slow``): they check that the
scripts work, not what they score. The numbers of the full runs, with the commit and the
command that produced them, are on the docs' results page (docs/results.rst).
"""

import ast
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# name -> (data fixture, or "in_place", or None; the summaries "<what>: <number>" it
# prints; the files it saves).
# Scripts on shared data run in place (their path to ../shared holds); the others are
# copied to a temporary folder and run there, so their default output folder (beside the
# script) is what is tested, without writing into the repository.
CASES = {
    "quickstart.py": (None, ["best cross-validated accuracy", "held-out accuracy"],
                      ["quickstart.png"]),
    "regression.py": (None, ["held-out R^2"], ["regression.png"]),
    "constant_q.py": (None, ["constant-Q accuracy an octave up", "mel accuracy an octave up"],
                      ["constant_q.png"]),
    "long_recordings.py": (None, ["per-segment accuracy",
                                  "per-recording accuracy, mean probability",
                                  "per-recording accuracy, majority vote"],
                           ["long_recordings.png"]),
    "pitch_tracking.py": (None, ["raw pitch accuracy"], ["pitch_tracking.png"]),
    "receptive_field.py": ("in_place", ["Receptive field of the convolutional part"],
                           ["receptive_field.png"]),
    "fsdd_cnn.py": ("fsdd_dir", ["official test split accuracy"], []),
    "fsdd_digits.py": ("fsdd_dir", ["official test split accuracy"], ["fsdd_digits.png"]),
    "sound_events.py": ("fsdd_dir", ["frame-level macro-F1 over the digits",
                                     "event F1 (onsets within 200 ms)",
                                     "dense scenes, CRNN frame-level macro-F1"],
                        ["sound_events.png", "sound_events_dense.png"]),
    "separation.py": ("fsdd_dir", ["median SI-SDR improvement"],
                      ["separation.png", "separation_mixture.wav", "separation_estimate.wav",
                       "separation_clean.wav"]),
    "catmeows.py": ("catmeows_dir", ["held-out cats accuracy"], ["catmeows.png"]),
}


def _run(name, tmp_path, in_place):
    """Run an example in smoke mode from an empty working directory, which must stay empty.

    Returns its standard output and the folder its files went to.
    """
    env = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent), MPLBACKEND="Agg",
               SKCNN_EXAMPLES_SMOKE="1")
    env.pop("SKCNN_EXAMPLES_OUT", None)
    if in_place:
        script, out_dir = EXAMPLES / name, tmp_path / "figures"
        env["SKCNN_EXAMPLES_OUT"] = str(out_dir)
    else:
        out_dir = tmp_path / "examples"
        out_dir.mkdir()
        script = Path(shutil.copy(EXAMPLES / name, out_dir))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not list(cwd.iterdir()), "an example wrote into the working directory"
    return result.stdout, out_dir


def _value(stdout, what):
    """The number printed after ``what:``."""
    for line in stdout.splitlines():
        if f"{what}:" in line:
            return float(line.split(f"{what}:")[1].split()[0].rstrip(";,"))
    raise AssertionError(f"no {what!r} in:\n{stdout[-2000:]}")


def test_every_example_is_tested():
    assert sorted(CASES) == sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_is_a_gallery_script(name):
    """sphinx-gallery renders a script with an rst title docstring and ``# %%`` cells."""
    source = (EXAMPLES / name).read_text()
    title, underline = ast.get_docstring(ast.parse(source)).splitlines()[:2]
    assert title and set(underline) == {"="} and len(underline) >= len(title)
    assert source.count("\n# %%\n") >= 2
    assert "SKCNN_EXAMPLES_SMOKE" in source or name == "receptive_field.py"


# a few clips and epochs, but each script trains: 10-60 s apiece on 2 cores, so the
# fast subset (-m "not slow") leaves them to the full run, which CI makes
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_in_smoke_mode(name, tmp_path, request):
    data, summaries, files = CASES[name]
    if data not in (None, "in_place"):
        request.getfixturevalue(data)  # skips when ../shared/data lacks the set
    stdout, out_dir = _run(name, tmp_path, in_place=data is not None)
    for what in summaries:
        assert math.isfinite(_value(stdout, what)), what
    for file in files:  # a real figure or sound, not an empty file
        assert (out_dir / file).stat().st_size > 10_000, file


"""The order of the gallery: from the quick start to the real-data and per-frame examples."""

ORDER = [
    "quickstart.py",
    "regression.py",
    "long_recordings.py",
    "receptive_field.py",
    "constant_q.py",
    "fsdd_cnn.py",
    "fsdd_digits.py",
    "catmeows.py",
    "sound_events.py",
    "pitch_tracking.py",
    "separation.py",
]


class ExampleOrder:
    """sphinx-gallery ``within_subsection_order``: ORDER first, any other file after, by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (ORDER.index(filename) if filename in ORDER else len(ORDER), filename)

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

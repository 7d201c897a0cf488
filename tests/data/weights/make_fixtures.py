"""Writes tests/data/weights/*.pt with skcnn 0.1.0.dev0 (commit 6d961fa), before the package moves."""
import json

import numpy as np


def main():
    from skcnn import CNNClassifier, CNNFrameClassifier, CNNRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 1, 6, 8)).astype("float32")
    X2 = rng.normal(size=(4, 1, 6, 8)).astype("float32")
    out = {}
    y = np.repeat(["cat", "dog", "owl"], 4)
    clf = CNNClassifier(n_filters=(4,), max_epochs=2, random_state=0).fit(X, y)
    clf.save_weights("tests/data/weights/classifier.pt"); out["classifier"] = clf.predict_proba(X2).tolist()
    reg = CNNRegressor(n_filters=(4,), max_epochs=2, random_state=0).fit(X, rng.normal(size=12).astype("float32"))
    reg.save_weights("tests/data/weights/regressor.pt"); out["regressor"] = reg.predict(X2).tolist()
    yf = rng.integers(0, 2, size=(12, 8))
    fc = CNNFrameClassifier(n_filters=(4,), max_epochs=2, random_state=0).fit(X, yf)
    fc.save_weights("tests/data/weights/frame_classifier.pt"); out["frame_classifier"] = fc.predict_proba(X2).tolist()
    np.save("tests/data/weights/inputs.npy", X2)
    json.dump(out, open("tests/data/weights/expected.json", "w"))


if __name__ == "__main__":  # run by hand only: the fixtures are written once
    main()

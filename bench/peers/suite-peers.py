"""Peers for bench/run-suite.ts, on the split files the TypeScript side wrote into one directory.

    suite-peers.py search DIR [--no-logistic-regression] [--fasttext-char-ngrams]
    suite-peers.py final DIR CHOSEN.json [--no-logistic-regression]

DIR holds fit.jsonl and val.jsonl (the training rows split again: every fifth training row is the
validation row), train.jsonl and test.jsonl (all training rows; the held-out rows), labels.json
(every label, the codes of the .svm files), and fit.svm, val.svm, train.svm, test.svm: the same rows
as Nightshift's own hashed features (1-based LIBSVM format).

`search` fits every setting of each peer's grid on fit, scores it on val, and prints one JSON object:
per system the grid (validation accuracy, macro-F1, seconds, convergence warnings) and the chosen
setting (best validation macro-F1; ties: accuracy, then the earlier grid point). The held-out rows
are not read. `final` refits each system's chosen setting (from the search's JSON) on train and
prints its held-out scores: accuracy, macro-F1, featurize and train seconds, ECE, Brier score and
convergence warnings.

Systems, each on its own default features (scikit-learn's HashingVectorizer(2^18): word unigrams,
l2-normalised counts; fastText: its own whitespace tokens after the preprocessing of its tutorial)
and, except fastText, on Nightshift's features:
  SGDClassifier(log_loss): alpha x max_iter;  LogisticRegression (lbfgs): C, max_iter 1000;
  LIBLINEAR -s 0 (Debian liblinear-tools): -c;  fastText supervised, wordNgrams 1 and 2: epoch x lr
  (its training rows shuffled with seed 0: it reads its file in order, and the sets are grouped by label).
With --fasttext-char-ngrams, fastText also runs with its character n-grams (minn 2, maxn 4), the
nearest it has to Nightshift's per-word character n-grams; it is listed with Nightshift's features.

ConvergenceWarnings (scikit-learn) and LIBLINEAR's "reaching max number of iterations" are counted
per fit and reported; none is silenced. A missing fastText skips it with the install command.
"""
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import dump_svmlight_file, load_svmlight_files
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score

SGD_GRID = [{"alpha": a, "max_iter": m} for a in (1e-6, 1e-5, 1e-4) for m in (5, 20, 1000)]
LOGREG_C = (0.1, 1.0, 10.0, 100.0)
LOGREG_MAX_ITER = 1000
LIBLINEAR_GRID = [{"c": c} for c in (0.1, 1.0, 10.0, 100.0)]
FASTTEXT_GRID = [{"epoch": e, "lr": lr} for e in (5, 25) for lr in (0.1, 0.5, 1.0)]
LIBLINEAR_MAX_ITER_WARNING = "reaching max number of iterations"


def load_jsonl(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(row["label"])
    return texts, labels


def calibration(proba, classes, truth, bins=15):
    """Expected calibration error (top-class confidence, 15 equal-width bins) and multi-class Brier score."""
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index.get(t, -1) for t in truth])
    onehot = np.zeros_like(proba)
    known = y >= 0
    onehot[np.arange(len(y))[known], y[known]] = 1
    brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    ece = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for b in range(bins):
        lo, hi = edges[b], edges[b + 1]
        mask = (conf > lo) & (conf <= hi) if b > 0 else (conf >= lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece), brier


def quality(truth, pred):
    return accuracy_score(truth, pred), f1_score(truth, pred, average="macro")


def counting_convergence_warnings(fn):
    """Runs fn() and returns (its result, how many ConvergenceWarnings it raised). Each one is also
    written to stderr, so none is silenced; the count goes into the report."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = fn()
    n = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n += 1
        sys.stderr.write(f"{w.category.__name__}: {w.message}\n")
    return result, n


# ---- the systems: each has fit(params, train) -> model state and predict(model, test) -> (pred, proba, classes)


class Sklearn:
    def __init__(self, name, features, grid, make):
        self.name, self.features, self.grid, self.make = name, features, grid, make

    def fit(self, params, x, y):
        model, n = counting_convergence_warnings(lambda: self.make(params).fit(x, y))
        return model, n

    @staticmethod
    def predict(model, x):
        return model.predict(x), model.predict_proba(x), list(model.classes_)


class Liblinear:
    def __init__(self, features, tmp):
        self.name, self.features, self.grid, self.tmp = "LIBLINEAR -s 0", features, LIBLINEAR_GRID, tmp

    def fit(self, params, svm_file, y):
        model_file = os.path.join(self.tmp, "liblinear.model")
        # Not -q: with it LIBLINEAR prints nothing, its max-iterations warning included.
        run = subprocess.run(
            ["liblinear-train", "-s", "0", "-c", repr(params["c"]), svm_file, model_file], check=True, capture_output=True, text=True
        )
        return model_file, run.stdout.count(LIBLINEAR_MAX_ITER_WARNING)

    @staticmethod
    def predict(model_file, svm_file, classes, tmp):
        pred_file = os.path.join(tmp, "liblinear.pred")
        subprocess.run(["liblinear-predict", "-b", "1", svm_file, model_file, pred_file], check=True, stdout=subprocess.DEVNULL)
        with open(pred_file) as fh:
            header = fh.readline().split()[1:]
            rows = [line.split() for line in fh]
        codes = [int(h) for h in header]
        proba = np.array([[float(v) for v in r[1:]] for r in rows])
        return [classes[int(r[0])] for r in rows], proba, [classes[c] for c in codes]


FASTTEXT_PUNCT = re.compile(r"([.!?,'/()])")


def fasttext_line(text):
    """The preprocessing of fastText's supervised tutorial: spaces around . ! ? , ' / ( ), lowercased;
    newlines become spaces (a row is one line)."""
    return FASTTEXT_PUNCT.sub(r" \1 ", text).lower().replace("\n", " ").replace("\r", " ").replace("\t", " ")


def label_token(label):
    return "__label__" + label.replace(" ", "_")


class FastText:
    def __init__(self, name, extra, tmp):
        self.name, self.features, self.grid, self.extra, self.tmp = name, "own", FASTTEXT_GRID, extra, tmp

    def write(self, texts, labels, name):
        """The training file, rows shuffled (seed 0): fastText reads its file in order and does not
        shuffle, and the sets are stored grouped by label (a model trained on them in that order
        learns mostly the last labels); Nightshift and SGDClassifier shuffle their rows themselves."""
        path = os.path.join(self.tmp, name)
        order = list(range(len(texts)))
        random.Random(0).shuffle(order)
        with open(path, "w", encoding="utf-8") as fh:
            for i in order:
                fh.write(f"{label_token(labels[i])} {fasttext_line(texts[i])}\n")
        return path

    def fit(self, params, train_file):
        import fasttext

        # One thread: fastText is deterministic only then (and Nightshift trains on one).
        return fasttext.train_supervised(
            input=train_file, epoch=params["epoch"], lr=params["lr"], thread=1, seed=0, verbose=0, **self.extra
        )

    @staticmethod
    def predict(model, texts, classes):
        labels, probs = model.predict([fasttext_line(t) for t in texts], k=-1)
        index = {label_token(c): i for i, c in enumerate(classes)}
        proba = np.zeros((len(texts), len(classes)))
        for r, (ls, ps) in enumerate(zip(labels, probs)):
            for l, p in zip(ls, ps):
                proba[r, index[l]] = p
        return [classes[i] for i in proba.argmax(axis=1)], proba, classes


def sgd(params):
    return SGDClassifier(loss="log_loss", random_state=0, **params)


def logreg(params):
    return LogisticRegression(C=params["C"], max_iter=params["max_iter"])


def choose(grid_rows):
    best = None
    for row in grid_rows:
        if row.get("error"):
            continue
        if best is None or (row["macro_f1"], row["accuracy"]) > (best["macro_f1"], best["accuracy"]):
            best = row
    return None if best is None else best["params"]


class Data:
    """The split files of DIR, loaded once; features made on demand."""

    def __init__(self, d):
        self.d = d
        self.labels = json.load(open(os.path.join(d, "labels.json"), encoding="utf-8"))
        self.text = {p: load_jsonl(os.path.join(d, f"{p}.jsonl")) for p in ("fit", "val", "train", "test")}
        self._hashed = {}
        self._svm = None

    def hashed(self, part):
        """scikit-learn's own features of a part, and the seconds they took."""
        if part not in self._hashed:
            t = time.perf_counter()
            x = HashingVectorizer(n_features=2**18).transform(self.text[part][0])
            self._hashed[part] = (x, time.perf_counter() - t)
        return self._hashed[part]

    def own_svm_path(self, part, tmp):
        """scikit-learn's own features of a part as a LIBSVM file for LIBLINEAR, written once."""
        path = os.path.join(tmp, f"own-{part}.svm")
        if not os.path.exists(path):
            code = {c: i for i, c in enumerate(self.labels)}
            dump_svmlight_file(self.hashed(part)[0], [code[c] for c in self.text[part][1]], path, zero_based=False)
        return path

    def svm_path(self, part):
        return os.path.join(self.d, f"{part}.svm")

    def nightshift(self, part):
        if self._svm is None:
            parts = ("fit", "val", "train", "test")
            loaded = load_svmlight_files([self.svm_path(p) for p in parts], zero_based=False)
            self._svm = {}
            for i, p in enumerate(parts):
                x = loaded[2 * i]
                # scikit-learn's solvers take 32-bit sparse indices only.
                x.indices, x.indptr = x.indices.astype(np.int32), x.indptr.astype(np.int32)
                self._svm[p] = x
        return self._svm[part]


def systems(data, tmp, with_logreg, fasttext_char):
    out, skipped = [], []
    for features in ("own", "nightshift"):
        out.append(Sklearn("scikit-learn SGDClassifier(log_loss)", features, SGD_GRID, sgd))
        if with_logreg:
            grid = [{"C": c, "max_iter": LOGREG_MAX_ITER} for c in LOGREG_C]
            out.append(Sklearn("scikit-learn LogisticRegression", features, grid, logreg))
        if shutil.which("liblinear-train") and shutil.which("liblinear-predict"):
            out.append(Liblinear(features, tmp))
        elif features == "own":
            skipped.append("LIBLINEAR skipped: liblinear-train not installed (apt-get install liblinear-tools)")
    try:
        import fasttext  # noqa: F401

        out.append(FastText("fastText wordNgrams 1", {"wordNgrams": 1}, tmp))
        out.append(FastText("fastText wordNgrams 2", {"wordNgrams": 2}, tmp))
        if fasttext_char:
            ft = FastText("fastText wordNgrams 1, char n-grams 2-4", {"wordNgrams": 1, "minn": 2, "maxn": 4}, tmp)
            ft.features = "nightshift"
            out.append(ft)
    except ImportError:
        skipped.append(f"fastText skipped: not installed ({sys.executable} -m pip install fasttext; if it fails to build: fasttext-wheel)")
    return out, skipped


def fit_and_score(system, data, params, train_part, test_part, tmp):
    """Fits one setting on train_part, predicts test_part: (pred, proba, classes, featurize_s, train_s, warnings)."""
    truth = data.text[test_part][1]
    if isinstance(system, FastText):
        t = time.perf_counter()
        train_file = system.write(*data.text[train_part], f"{train_part}.ft")
        featurize_s = time.perf_counter() - t
        t = time.perf_counter()
        try:
            model = system.fit(params, train_file)
        except (RuntimeError, ValueError) as err:  # fastText raises on a NaN loss (a learning rate too high)
            return None, str(err)
        train_s = time.perf_counter() - t
        pred, proba, classes = FastText.predict(model, data.text[test_part][0], data.labels)
        return (pred, proba, classes, featurize_s, train_s, 0), truth
    if isinstance(system, Liblinear):
        if system.features == "own":
            (_, f1s), (_, f2s) = data.hashed(train_part), data.hashed(test_part)
            tr, te = data.own_svm_path(train_part, tmp), data.own_svm_path(test_part, tmp)
            featurize_s = f1s + f2s
        else:
            tr, te = data.svm_path(train_part), data.svm_path(test_part)
            featurize_s = math.nan
        t = time.perf_counter()
        model_file, n_warn = system.fit(params, tr, None)
        train_s = time.perf_counter() - t
        pred, proba, classes = Liblinear.predict(model_file, te, data.labels, tmp)
        return (pred, proba, classes, featurize_s, train_s, n_warn), truth
    if system.features == "own":
        (xtr, f1s), (xte, f2s) = data.hashed(train_part), data.hashed(test_part)
        featurize_s = f1s + f2s
    else:
        xtr, xte = data.nightshift(train_part), data.nightshift(test_part)
        featurize_s = math.nan
    t = time.perf_counter()
    model, n_warn = system.fit(params, xtr, data.text[train_part][1])
    train_s = time.perf_counter() - t
    pred, proba, classes = Sklearn.predict(model, xte)
    return (pred, proba, classes, featurize_s, train_s, n_warn), truth


def key(system):
    return f"{system.features}|{system.name}"


def search(data, tmp, with_logreg, fasttext_char):
    found, skipped = systems(data, tmp, with_logreg, fasttext_char)
    report = {"systems": [], "skipped": skipped}
    for system in found:
        rows = []
        for params in system.grid:
            t = time.perf_counter()
            result, truth = fit_and_score(system, data, params, "fit", "val", tmp)
            seconds = time.perf_counter() - t
            if result is None:
                rows.append({"params": params, "error": truth, "seconds": seconds})
                continue
            pred, _, _, _, _, n_warn = result
            acc, f1 = quality(truth, pred)
            rows.append({"params": params, "accuracy": acc, "macro_f1": f1, "seconds": seconds, "warnings": n_warn})
            sys.stderr.write(f"  {system.features} {system.name} {params}: val macro-F1 {f1:.4f} ({seconds:.1f} s)\n")
        report["systems"].append({"key": key(system), "name": system.name, "features": system.features, "grid": rows, "chosen": choose(rows)})
    return report


def final(data, tmp, chosen_report, with_logreg, fasttext_char):
    found, _ = systems(data, tmp, with_logreg, fasttext_char)
    chosen = {s["key"]: s["chosen"] for s in chosen_report["systems"]}
    out = []
    for system in found:
        params = chosen.get(key(system))
        if params is None:
            continue
        result, truth = fit_and_score(system, data, params, "train", "test", tmp)
        if result is None:
            raise RuntimeError(f"{system.name} {params} failed on the training rows: {truth}")
        pred, proba, classes, featurize_s, train_s, n_warn = result
        acc, f1 = quality(truth, pred)
        ece, brier = calibration(proba, classes, truth)
        out.append({
            "key": key(system),
            "name": system.name,
            "features": system.features,
            "params": params,
            "accuracy": acc,
            "macro_f1": f1,
            "featurize_s": None if math.isnan(featurize_s) else featurize_s,
            "train_s": train_s,
            "ece": ece,
            "brier": brier,
            "warnings": n_warn,
        })
    return out


def main(argv):
    mode, d = argv[1], argv[2]
    with_logreg = "--no-logistic-regression" not in argv
    fasttext_char = "--fasttext-char-ngrams" in argv
    data = Data(d)
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "search":
            print(json.dumps(search(data, tmp, with_logreg, fasttext_char)))
        elif mode == "final":
            chosen = json.load(open(argv[3], encoding="utf-8"))
            print(json.dumps(final(data, tmp, chosen, with_logreg, fasttext_char)))
        else:
            raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)

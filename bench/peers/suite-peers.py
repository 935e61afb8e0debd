"""Peers for bench/run-suite.ts, on one split the TypeScript side wrote (JSONL train and test files).

Features: scikit-learn's HashingVectorizer(2^18) (its defaults: word unigrams, l2-normalised counts).
Peers: SGDClassifier(log_loss), LogisticRegression (defaults), and LIBLINEAR `-s 0` (the Debian
liblinear-tools binaries, when on PATH) on the same features. Prints one JSON object: per peer
accuracy, macro-F1, featurize and train seconds, expected calibration error and Brier score.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import dump_svmlight_file
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score

warnings.filterwarnings("ignore")


def load(path):
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


def scores(name, pred, proba, classes, test_y, featurize_s, train_s):
    ece, brier = calibration(proba, list(classes), test_y)
    return {
        "name": name,
        "accuracy": accuracy_score(test_y, pred),
        "macro_f1": f1_score(test_y, pred, average="macro"),
        "featurize_s": featurize_s,
        "train_s": train_s,
        "ece": ece,
        "brier": brier,
    }


train_x, train_y = load(sys.argv[1])
test_x, test_y = load(sys.argv[2])
hv = HashingVectorizer(n_features=2**18)
t0 = time.perf_counter()
xtr = hv.transform(train_x)
xte = hv.transform(test_x)
featurize_s = time.perf_counter() - t0
out = []

t = time.perf_counter()
sgd = SGDClassifier(loss="log_loss", random_state=0).fit(xtr, train_y)
train_s = time.perf_counter() - t
out.append(scores("scikit-learn SGDClassifier(log_loss)", sgd.predict(xte), sgd.predict_proba(xte), sgd.classes_, test_y, featurize_s, train_s))

if "--no-logistic-regression" not in sys.argv:
    t = time.perf_counter()
    lr = LogisticRegression().fit(xtr, train_y)
    train_s = time.perf_counter() - t
    out.append(scores("scikit-learn LogisticRegression", lr.predict(xte), lr.predict_proba(xte), lr.classes_, test_y, featurize_s, train_s))

if shutil.which("liblinear-train") and shutil.which("liblinear-predict"):
    classes = sorted(set(train_y))
    code = {c: i for i, c in enumerate(classes)}
    with tempfile.TemporaryDirectory() as tmp:
        tr, te, model, pred_file = (os.path.join(tmp, n) for n in ("train.svm", "test.svm", "model", "pred"))
        dump_svmlight_file(xtr, [code[c] for c in train_y], tr, zero_based=False)
        dump_svmlight_file(xte, [code.get(c, -1) for c in test_y], te, zero_based=False)
        t = time.perf_counter()
        subprocess.run(["liblinear-train", "-s", "0", "-q", tr, model], check=True)
        train_s = time.perf_counter() - t
        subprocess.run(["liblinear-predict", "-b", "1", te, model, pred_file], check=True, stdout=subprocess.DEVNULL)
        with open(pred_file) as fh:
            header = fh.readline().split()[1:]
            rows = [line.split() for line in fh]
        order = [header.index(str(i)) for i in range(len(classes))]
        proba = np.array([[float(r[1 + j]) for j in order] for r in rows])
        pred = [classes[int(r[0])] for r in rows]
        out.append(scores("LIBLINEAR -s 0", pred, proba, classes, test_y, featurize_s, train_s))

print(json.dumps(out))

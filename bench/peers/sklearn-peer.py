"""scikit-learn peer for bench/classifier.ts: HashingVectorizer(2^18) + SGDClassifier(log_loss).

Reads the split the TypeScript side wrote (JSONL), prints one JSON object of timings and scores
(featurize and train: wall seconds; hashing throughput: CPU seconds, best of argv[3] runs).
"""
import json
import sys
import time

from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score


def load(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(row["label"])
    return texts, labels


train_x, train_y = load(sys.argv[1])
test_x, test_y = load(sys.argv[2])
hv = HashingVectorizer(n_features=2 ** 18)
t0 = time.perf_counter()
xtr = hv.transform(train_x)
xte = hv.transform(test_x)
t1 = time.perf_counter()
c1 = time.process_time()
clf = SGDClassifier(loss="log_loss", random_state=0).fit(xtr, train_y)
c2 = time.process_time()
t2 = time.perf_counter()
pred = clf.predict(xte)
# Hashing throughput on the whole corpus: CPU seconds of this process (it hashes on one thread),
# best of argv[3] runs (default 3). On a shared machine wall time would measure the neighbours.
all_text = train_x + test_x
best = float("inf")
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
    s = time.process_time()
    hv.transform(all_text)
    best = min(best, time.process_time() - s)
print(json.dumps({
    "accuracy": accuracy_score(test_y, pred),
    "macro_f1": f1_score(test_y, pred, average="macro"),
    "featurize_s": t1 - t0,
    "train_s": t2 - t1,
    "train_cpu_s": c2 - c1,
    "epochs": int(clf.n_iter_),
    "hash_s": best,
}))

"""The MLflow peer of bench/serve.ts: trains scikit-learn's HashingVectorizer + SGDClassifier (log
loss) on the SpamAssassin training split and saves it as an MLflow model, which `mlflow models
serve` then serves. Usage: mlflow-peer.py TRAIN.jsonl MODEL_DIR
"""
import json
import shutil
import sys

import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline


def main() -> None:
    train_file, model_dir = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(train_file, encoding="utf-8") if line.strip()]
    frame = pd.DataFrame({"text": [r["text"] for r in rows]})
    labels = [r["label"] for r in rows]
    # The column transformer hands the "text" column (a Series of strings) to the vectorizer, so the
    # served model takes the same {"text": ...} rows as Nightshift's server.
    pipeline = Pipeline(
        [
            ("features", ColumnTransformer([("text", HashingVectorizer(n_features=2**18, alternate_sign=False), "text")])),
            ("classifier", SGDClassifier(loss="log_loss", random_state=0)),
        ]
    )
    pipeline.fit(frame, labels)
    shutil.rmtree(model_dir, ignore_errors=True)
    mlflow.sklearn.save_model(pipeline, model_dir, signature=infer_signature(frame.head(5), pipeline.predict(frame.head(5))))
    print(json.dumps({"trained": len(rows), "model_dir": model_dir}))


if __name__ == "__main__":
    main()

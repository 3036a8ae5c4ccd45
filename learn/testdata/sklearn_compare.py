"""Cross-validates scikit-learn's TfidfVectorizer + LogisticRegression on a
labelled CSV with the folds Concord used, and prints the accuracy and
macro-F1 as JSON.

    python3 sklearn_compare.py DATA.csv FOLDS [C] [MAX_ITER]

DATA.csv has a header row and label,title,description columns (AG News);
the text is the title and the description joined by a space. FOLDS has one
fold number per data row, as BenchmarkAccuracyCSV writes it. The features
are Concord's (features.py): word unigrams and bigrams and character 3- to
5-grams within words, sublinear tf, smooth idf, unit-length rows."""

import csv
import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from features import vectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

path, folds_path = sys.argv[1], sys.argv[2]
C = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
max_iter = int(sys.argv[4]) if len(sys.argv) > 4 else 100
with open(path, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))[1:]
texts = [r[1] + " " + r[2] for r in rows]
labels = [r[0] for r in rows]
folds = [int(line) for line in open(folds_path)]
assert len(folds) == len(texts), (len(folds), len(texts))
predicted = [None] * len(texts)
for k in sorted(set(folds)):
    train = [i for i, f in enumerate(folds) if f != k]
    test = [i for i, f in enumerate(folds) if f == k]
    v = vectorizer(2, 3, 5)
    x = v.fit_transform([texts[i] for i in train])
    model = LogisticRegression(C=C, max_iter=max_iter, tol=1e-4)
    model.fit(x, [labels[i] for i in train])
    for i, p in zip(test, model.predict(v.transform([texts[i] for i in test]))):
        predicted[i] = p
print(json.dumps({
    "items": len(texts),
    "accuracy": accuracy_score(labels, predicted),
    "macro_f1": f1_score(labels, predicted, average="macro"),
}))

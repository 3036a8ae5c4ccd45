"""Reads {"docs": [...], "word_ngrams": n, "char_min": a, "char_max": b}
on stdin and writes each document's TF-IDF row as {feature: value},
computed by scikit-learn's TfidfVectorizer(sublinear_tf=True)."""

import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from features import vectorizer  # noqa: E402

req = json.load(sys.stdin)
v = vectorizer(req["word_ngrams"], req["char_min"], req["char_max"])
x = v.fit_transform(req["docs"]).tocsr()
names = v.get_feature_names_out()
rows = []
for i in range(x.shape[0]):
    start, end = x.indptr[i], x.indptr[i + 1]
    rows.append({names[j]: float(x.data[k]) for k, j in zip(range(start, end), x.indices[start:end])})
json.dump(rows, sys.stdout)

"""Reference Krippendorff's alpha for interval and ratio data, with numpy.

Reads JSON from stdin: {"units": [[item, annotator, value], ...], "metric":
"interval" or "ratio"}, values being numbers. Writes {"alpha", "do", "de"}.

It follows the pairable-values definition of Krippendorff (2011) directly,
without a coincidence matrix: within each unit with m >= 2 values every
ordered pair of values contributes delta / (m - 1) to the observed
disagreement; every ordered pair of the n pairable values, across units,
contributes to the expected disagreement.

    Do = sum_u sum_{i != j in u} delta(v_i, v_j) / (m_u - 1) / n
    De = sum_{i != j} delta(v_i, v_j) / (n (n - 1))
    alpha = 1 - Do / De
"""
import json
import sys

import numpy as np


def delta(metric, a, b):
    if metric == "interval":
        return (a - b) ** 2
    s = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(s == 0, 0.0, ((a - b) / np.where(s == 0, 1, s)) ** 2)
    return d


def main():
    req = json.load(sys.stdin)
    metric = req["metric"]
    units = {}
    for item, annotator, value in req["units"]:
        units.setdefault(item, {})[annotator] = float(value)
    pairable = [np.array(list(v.values())) for v in units.values() if len(v) >= 2]
    values = np.concatenate(pairable)
    n = len(values)
    do = 0.0
    for v in pairable:
        m = len(v)
        d = delta(metric, v[:, None], v[None, :])
        do += d.sum() / (m - 1)
    do /= n
    d = delta(metric, values[:, None], values[None, :])
    de = d.sum() / (n * (n - 1))
    json.dump({"alpha": 1 - do / de, "do": do, "de": de}, sys.stdout)


main()

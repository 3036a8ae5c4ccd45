#!/usr/bin/python3
"""Dawid-Skene EM written independently of consensus/infer.go, for its tests.

Reads one JSON object on stdin:
  {"items": N, "annotators": J, "categories": K,
   "labels": [[item, annotator, category], ...],
   "gold": [[item, category], ...],
   "confusion_prior": a, "class_prior": b, "iterations": T}
and writes {"posterior": N x K, "class_prior": K, "confusion": J x K x K,
"objective": float}.

The model is the one consensus/doc.go describes, written with dense numpy
tensors instead of per-label codes: counts[i, j, l] is how many times
annotator j gave item i the category l. Start from the vote (gold clamped),
then T iterations of an M-step (MAP estimates with a pseudo-counts added to
every confusion cell and b to every class) and an E-step, then one last
M-step for the reported estimates. Items with neither labels nor gold take
no part in the estimates and get the class prior as their posterior. A
category that no label and no gold gives is never the truth: its class
prior is 0 and it gets no pseudo-count there.
"""
import json
import sys

import numpy as np


def m_step(post, counts, active, used, a, b):
    pa = post[active]
    pi = np.where(used, b + pa.sum(axis=0), 0.0)
    pi = pi / pi.sum()
    # conf[j, k, l] = a + sum_i post[i, k] * counts[i, j, l]
    conf = a + np.einsum("ik,ijl->jkl", pa, counts[active])
    conf = conf / conf.sum(axis=2, keepdims=True)
    return pi, conf


def e_step(pi, conf, counts, labelled, gold, used, a, b):
    with np.errstate(divide="ignore"):
        logpi = np.log(pi)
    logp = logpi[None, :] + np.einsum("ijl,jkl->ik", counts, np.log(conf))
    top = logp.max(axis=1, keepdims=True)
    z = np.exp(logp - top)
    total = z.sum(axis=1, keepdims=True)
    post = z / total
    lse = (top + np.log(total))[:, 0]
    free = labelled & (gold < 0)
    objective = lse[free].sum()
    g = gold >= 0
    objective += logp[np.nonzero(g)[0], gold[g]].sum()
    objective += b * logpi[used].sum() + a * np.log(conf).sum()
    return post, free, objective


def main():
    req = json.load(sys.stdin)
    n, J, K = req["items"], req["annotators"], req["categories"]
    a, b = req["confusion_prior"], req["class_prior"]
    counts = np.zeros((n, J, K))
    for i, j, l in req["labels"]:
        counts[i, j, l] += 1
    gold = np.full(n, -1, dtype=int)
    for i, k in req["gold"]:
        gold[i] = k
    per_item = counts.sum(axis=(1, 2))
    labelled = per_item > 0
    active = labelled | (gold >= 0)
    used = counts.sum(axis=(0, 1)) > 0
    used[gold[gold >= 0]] = True
    if not used.any():
        used[:] = True

    votes = counts.sum(axis=1)
    post = np.where(used, 1.0 / used.sum(), 0.0)[None, :].repeat(n, axis=0)
    post[labelled] = votes[labelled] / per_item[labelled][:, None]
    g = gold >= 0
    post[g] = 0.0
    post[np.nonzero(g)[0], gold[g]] = 1.0

    objective = 0.0
    for _ in range(req["iterations"]):
        pi, conf = m_step(post, counts, active, used, a, b)
        new, free, objective = e_step(pi, conf, counts, labelled, gold, used, a, b)
        post[free] = new[free]
    pi, conf = m_step(post, counts, active, used, a, b)
    post[~active] = pi
    json.dump({"posterior": post.tolist(), "class_prior": pi.tolist(),
               "confusion": conf.tolist(), "objective": float(objective)}, sys.stdout)


if __name__ == "__main__":
    main()

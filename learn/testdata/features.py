"""The features of Concord's learn package, built from scikit-learn's own
n-gram code, so that TfidfVectorizer sees the same terms Concord hashes:
words are maximal runs of \\w in the lower-cased text, word n-grams are
scikit-learn's _word_ngrams over them, and character n-grams are its
_char_wb_ngrams over the same words joined by spaces."""

import re

from sklearn.feature_extraction.text import TfidfVectorizer

WORD = re.compile(r"\w+")


def analyzer(word_ngrams, char_min, char_max):
    words = TfidfVectorizer(ngram_range=(1, max(word_ngrams, 1)))
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(max(char_min, 1), max(char_max, 1)))

    def analyze(text):
        tokens = WORD.findall(text.lower())
        out = []
        if word_ngrams > 0:
            out += ["w:" + g for g in words._word_ngrams(tokens)]
        if char_max > 0 and tokens:
            out += ["c:" + g for g in chars._char_wb_ngrams(" ".join(tokens))]
        return out

    return analyze


def vectorizer(word_ngrams, char_min, char_max):
    return TfidfVectorizer(analyzer=analyzer(word_ngrams, char_min, char_max), sublinear_tf=True)

"""A small interpolated Kneser-Ney n-gram estimator that writes ARPA files for pocketsphinx.

Why our own: the well-kept estimators (KenLM's ``lmplz``, SRILM, MITLM) are not on PyPI or
in Debian here — the ``kenlm`` wheel only queries models — and pocketsphinx's bundled
``pocketsphinx.lm.ArpaBoLM`` uses a fixed discount mass, the crude smoothing the speech notes
measured. NLTK's ``nltk.lm`` has Kneser-Ney but cannot write ARPA. The shop corpus is a few
thousand sentences, so a plain Python estimator is quick (well under a second).

The method is interpolated Kneser-Ney (Chen & Goodman 1998) with one discount per order,
``D = n1 / (n1 + 2 n2)`` from that order's count-of-counts. Lower orders use continuation
counts (the number of distinct words seen before an n-gram), except n-grams that start with
``<s>``, which have no left context and keep their raw counts (as KenLM does). The unigram
level interpolates with the uniform distribution over the vocabulary, so every word has mass.
With interpolation, the ARPA back-off weight of a context is exactly its interpolation weight
``gamma(h) = D * N1+(h .) / c(h)``, and every context's distribution sums to one (tested).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

BOS, EOS = "<s>", "</s>"
Ngram = tuple[str, ...]


@dataclass
class NgramModel:
    """Interpolated probabilities (log10) and back-off weights (log10), ARPA-style."""

    order: int
    logprob: dict[Ngram, float] = field(default_factory=dict)
    backoff: dict[Ngram, float] = field(default_factory=dict)

    @property
    def vocabulary(self) -> set[str]:
        return {g[0] for g in self.logprob if len(g) == 1}

    def log10_prob(self, word: str, history: Iterable[str] = ()) -> float:
        """log10 p(word | history) with ARPA back-off (history clipped to order - 1 words)."""
        context = tuple(history)[-(self.order - 1) :] if self.order > 1 else ()
        penalty = 0.0
        while True:
            gram = (*context, word)
            if gram in self.logprob:
                return penalty + self.logprob[gram]
            if not context:
                return -99.0
            penalty += self.backoff.get(context, 0.0)
            context = context[1:]

    def write_arpa(self, path: Path) -> Path:
        by_order: dict[int, list[Ngram]] = defaultdict(list)
        for gram in self.logprob:
            by_order[len(gram)].append(gram)
        lines = ["\\data\\"]
        lines += [f"ngram {n}={len(by_order[n])}" for n in range(1, self.order + 1)]
        for n in range(1, self.order + 1):
            lines += ["", f"\\{n}-grams:"]
            for gram in sorted(by_order[n]):
                row = f"{self.logprob[gram]:.6f}\t{' '.join(gram)}"
                if n < self.order and gram in self.backoff:
                    row += f"\t{self.backoff[gram]:.6f}"
                lines.append(row)
        lines += ["", "\\end\\", ""]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines))
        return path


def _discount(counts: Iterable[int]) -> float:
    histogram = Counter(c for c in counts if c in (1, 2))
    n1, n2 = histogram[1], histogram[2]
    if n1 == 0 or n2 == 0:
        return 0.5
    return min(0.9, max(0.1, n1 / (n1 + 2 * n2)))


def estimate(sentences: Iterable[list[str]], order: int = 3) -> NgramModel:
    """Estimate an interpolated Kneser-Ney model of ``order`` from tokenised sentences."""
    if order < 1:
        raise ValueError("order must be at least 1")
    raw: list[Counter[Ngram]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        if not sentence:
            continue
        padded = [BOS, *sentence, EOS]
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                gram = tuple(padded[i : i + n])
                if gram == (BOS,):
                    continue
                raw[n][gram] += 1
    if not raw[1]:
        raise ValueError("no sentences to estimate from")

    # Adjusted counts: raw at the highest order and for n-grams starting with <s>,
    # continuation counts (distinct left neighbours) below.
    adjusted: list[Counter[Ngram]] = [Counter() for _ in range(order + 1)]
    adjusted[order] = Counter(raw[order])
    for n in range(order - 1, 0, -1):
        left: Counter[Ngram] = Counter(g[1:] for g in raw[n + 1])
        for gram, count in raw[n].items():
            adjusted[n][gram] = count if gram[0] == BOS else left.get(gram, count)

    model = NgramModel(order)
    vocabulary = {g[0] for g in raw[1]}
    uniform = 1.0 / len(vocabulary)
    probs: dict[Ngram, float] = {}
    for n in range(1, order + 1):
        counts = adjusted[n]
        discount = _discount(counts.values())
        totals: Counter[Ngram] = Counter()
        types: Counter[Ngram] = Counter()
        for gram, count in counts.items():
            totals[gram[:-1]] += count
            types[gram[:-1]] += 1
        gammas = {h: discount * types[h] / totals[h] for h in totals}
        for gram, count in counts.items():
            history = gram[:-1]
            lower = uniform if n == 1 else probs[gram[1:]]
            probs[gram] = max(count - discount, 0.0) / totals[history] + gammas[history] * lower
        if n > 1:
            for history, gamma in gammas.items():
                model.backoff[history] = math.log10(gamma) if gamma > 0 else -99.0
        else:
            # Mass given to the uniform distribution is kept by every word already; the
            # unigram level has no back-off of its own.
            pass
    for gram, p in probs.items():
        model.logprob[gram] = math.log10(p)
    model.logprob[(BOS,)] = -99.0  # never predicted, but ARPA lists it as a context
    model.backoff.setdefault((BOS,), 0.0)
    return model

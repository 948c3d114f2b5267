"""Is a candidate's gain over a baseline more than noise? Paired scores from repeated k-fold
cross-validation, tested the way overlapping training sets require.

Fold scores are not independent: any two folds' training sets share most of their rows, so the
plain standard error of the paired differences is too small and a t-test on it finds gains in
noise. The corrected resampled t-test (Nadeau & Bengio 2003; Bouckaert & Frank 2004) inflates
the variance of the mean difference over J runs from ``var(d) / J`` to

    (1/J + n_test/n_train) * var(d)

where n_test/n_train is a fold's held-out size over its training size; the statistic
``mean(d) / sqrt(that)`` has J - 1 degrees of freedom. It is exact when the runs' differences are
equicorrelated with correlation n_test / (n_test + n_train), the model behind the correction.

The t distribution comes from scipy's ufuncs (``scipy.special.stdtr``/``stdtrit``): the same
functions scipy.stats.t uses, without its per-call overhead, so thousands of simulated decisions
take seconds.

Several candidates compared with one baseline are a family: Holm's step-down correction keeps the
chance of choosing any useless candidate at ``alpha``. The distributions come from scipy and Holm
from statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["t_sf", "t_ppf", "PairedTest", "corrected_variance", "paired_test", "holm", "minimal_detectable_gain", "futile"]


def t_sf(t: float, df: int) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    from scipy.special import stdtr

    return float(stdtr(df, -t))


def t_ppf(q: float, df: int) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


@dataclass(frozen=True)
class PairedTest:
    """The corrected resampled t-test of ``mean(d) > 0`` over ``runs`` paired differences."""

    runs: int
    gain: float  # mean paired difference (candidate - baseline)
    sd: float  # sample sd of the differences
    se: float  # corrected standard error of the mean difference
    t: float
    p: float  # one-sided: the gain is above zero
    low: float  # two-sided confidence interval of the gain at ``confidence``
    high: float
    confidence: float

    @property
    def df(self) -> int:
        return self.runs - 1


def corrected_variance(diffs: Sequence[float], test_train_ratio: float) -> float:
    """(1/J + n_test/n_train) * var(d), var with J - 1 in the denominator (nan for J < 2)."""
    j = len(diffs)
    if j < 2:
        return float("nan")
    mean = sum(diffs) / j
    var = sum((d - mean) ** 2 for d in diffs) / (j - 1)
    return (1 / j + test_train_ratio) * var


def paired_test(diffs: Sequence[float], test_train_ratio: float, confidence: float = 0.95,
                min_sd: float = 0.0) -> PairedTest:
    """The corrected test of the differences; with fewer than two runs nothing can be said (p = 1,
    an unbounded interval).

    ``min_sd`` floors the sample sd of the differences: scores of a held-out fold are discrete (an
    accuracy moves by 1/n_test), so two runs can tie exactly, and a spread of zero from a tie is
    not certainty. tune passes one held-out row's worth of score."""
    if test_train_ratio < 0:
        raise ValueError(f"test_train_ratio must be >= 0, got {test_train_ratio}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    j = len(diffs)
    gain = sum(diffs) / j if j else float("nan")
    if j < 2:
        return PairedTest(j, gain, float("nan"), float("nan"), float("nan"), 1.0, -math.inf, math.inf, confidence)
    if min_sd < 0:
        raise ValueError(f"min_sd must be >= 0, got {min_sd}")
    var = corrected_variance(diffs, test_train_ratio)
    sd = max(math.sqrt(var / (1 / j + test_train_ratio)), min_sd)
    se = math.sqrt((1 / j + test_train_ratio)) * sd
    if se == 0:  # every run gave the same difference and no floor was given
        p = 0.0 if gain > 0 else 1.0
        return PairedTest(j, gain, 0.0, 0.0, math.copysign(math.inf, gain) if gain else 0.0, p, gain, gain, confidence)
    t = gain / se
    p = t_sf(t, j - 1)
    half = t_ppf(0.5 + confidence / 2, j - 1) * se
    return PairedTest(j, gain, sd, se, t, p, gain - half, gain + half, confidence)


def holm(pvalues: Sequence[float], alpha: float) -> tuple[list[bool], list[float]]:
    """Holm-Bonferroni over the family: (rejected, adjusted p) per p-value, in the given order."""
    if not pvalues:
        return [], []
    from statsmodels.stats.multitest import multipletests

    reject, adjusted, _, _ = multipletests(list(pvalues), alpha=alpha, method="holm")
    return [bool(r) for r in reject], [float(p) for p in adjusted]


def minimal_detectable_gain(variance_of_diffs: float, runs: int, test_train_ratio: float, alpha: float,
                            candidates: int, power: float = 0.8) -> float:
    """The smallest true gain the test would detect with probability ``power``:

        D = (t[1 - alpha/m, J-1] + t[power, J-1]) * sqrt((1/J + n_test/n_train) * var(d))

    with m candidates (alpha/m is the level Holm asks of the first, smallest p-value) and J runs.
    nan when the variance is unknown (fewer than two runs)."""
    if runs < 2 or not math.isfinite(variance_of_diffs):
        return float("nan")
    df = runs - 1
    factor = t_ppf(1 - alpha / max(candidates, 1), df) + t_ppf(power, df)
    return factor * math.sqrt((1 / runs + test_train_ratio) * variance_of_diffs)


def futile(test: PairedTest, planned_runs: int, test_train_ratio: float, alpha: float) -> bool:
    """True when the candidate cannot become significant within ``planned_runs``, even at the most
    lenient level Holm can give it (``alpha``, its last step) and even if its true gain were the
    upper bound of its current interval: the racing rule's futility stop."""
    if test.runs < 2 or not math.isfinite(test.high) or planned_runs <= test.runs:
        return False
    var = test.sd ** 2
    if var == 0:
        return test.high <= 0
    se_final = math.sqrt((1 / planned_runs + test_train_ratio) * var)
    return test.high / se_final < t_ppf(1 - alpha, planned_runs - 1)

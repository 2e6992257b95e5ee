"""Statistics: Wilson intervals, Mantel–Haenszel, p-value adjustment, AUC by group."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency, false_discovery_control
from sklearn.metrics import roc_auc_score

from fairness import adjust_pvalues, mantel_haenszel, wilson_interval
from fairness.adjust import UNKNOWN_ADJUSTMENT
from fairness.rates import auc_by_group


def test_wilson_matches_published_values():
    lower, upper = wilson_interval(np.array([5, 0]), np.array([10, 10]))
    assert lower[0] == pytest.approx(0.2366, abs=1e-4)
    assert upper[0] == pytest.approx(0.7634, abs=1e-4)
    assert lower[1] == 0.0
    assert upper[1] == pytest.approx(0.2775, abs=1e-4)


def test_wilson_always_contains_the_estimate_and_is_nan_without_data():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 500, 1000)
    k = rng.integers(0, n + 1)
    lower, upper = wilson_interval(k, n)
    assert np.all((lower <= k / n) & (k / n <= upper))
    assert np.all(np.isnan(wilson_interval(np.array([0]), np.array([0]))[0]))


def _mh_by_loops(events, totals, ref):
    """An independent, scalar implementation of the MH risk ratio and CMH statistic."""
    out = []
    for g in range(events.shape[0]):
        r = s = num = e = v = observed = 0.0
        for k in range(events.shape[1]):
            a, n1, c, n0 = events[g, k], totals[g, k], events[ref, k], totals[ref, k]
            if n1 == 0 or n0 == 0:
                continue
            n = n1 + n0
            m1 = a + c
            r += a * n0 / n
            s += c * n1 / n
            num += (n1 * n0 * m1 - a * c * n) / n**2
            observed += a
            e += n1 * m1 / n
            v += n1 * n0 * m1 * (n - m1) / (n**2 * (n - 1))
        out.append((r / s, num / (r * s), (observed - e) ** 2 / v))
    return out


def test_mantel_haenszel_matches_a_scalar_implementation():
    rng = np.random.default_rng(1)
    totals = rng.integers(0, 80, (4, 6))
    totals[:, 0] = 50  # every group has the first stratum
    events = rng.binomial(totals, 0.3)
    result = mantel_haenszel(events, totals, 0)
    for g, (ratio, var_log, chi2) in enumerate(_mh_by_loops(events, totals, 0)):
        assert result.ratio[g] == pytest.approx(ratio, rel=1e-12)
        assert result.value[g] / result.reference_value[g] == pytest.approx(ratio, rel=1e-12)
        half = 1.959963984540054 * math.sqrt(var_log)
        if g:
            assert result.ratio_lower[g] == pytest.approx(ratio * math.exp(-half), rel=1e-9)
            assert result.p_value[g] == pytest.approx(_chi2_sf(chi2), rel=1e-9)
        assert result.value_lower[g] <= result.value[g] <= result.value_upper[g]


def _chi2_sf(x: float) -> float:
    return math.erfc(math.sqrt(x / 2))  # chi-square survival function with 1 df


def test_one_stratum_cmh_is_pearson_scaled_by_n_minus_1_over_n():
    events = np.array([[30], [45]])
    totals = np.array([[100], [110]])
    result = mantel_haenszel(events, totals, 1)
    table = np.array([[30, 70], [45, 65]])
    pearson = chi2_contingency(table, correction=False).statistic
    n = table.sum()
    assert result.p_value[0] == pytest.approx(_chi2_sf(pearson * (n - 1) / n), rel=1e-9)
    assert result.ratio[0] == pytest.approx((30 / 100) / (45 / 110))
    # One stratum: the standardised rates are the crude rates.
    assert result.value[0] == pytest.approx(0.30)
    assert result.reference_value[0] == pytest.approx(45 / 110)


def test_holm_with_known_p_values():
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_benjamini_hochberg_with_known_p_values_and_scipy():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert adjust_pvalues(p, "fdr_bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    rng = np.random.default_rng(2)
    many = rng.random(200) ** 3
    assert adjust_pvalues(many, "fdr_bh") == pytest.approx(false_discovery_control(many))


def test_adjustment_skips_nan_and_rejects_unknown_methods():
    adjusted = adjust_pvalues([0.01, np.nan, 0.02], "holm")
    assert np.isnan(adjusted[1])
    assert adjusted[[0, 2]] == pytest.approx([0.02, 0.02])
    with pytest.raises(ValueError, match=UNKNOWN_ADJUSTMENT):
        adjust_pvalues([0.5], "bonferroni")  # type: ignore[arg-type]


def test_auc_by_group_matches_sklearn_with_ties():
    rng = np.random.default_rng(3)
    n = 3000
    codes = rng.integers(0, 3, n)
    score = np.round(rng.random(n), 1)  # heavy ties
    label = rng.random(n) < score * 0.8
    auc, variance, positives, negatives = auc_by_group(codes, score, label, 3)
    for g in range(3):
        mask = codes == g
        assert auc[g] == pytest.approx(roc_auc_score(label[mask], score[mask]), abs=1e-12)
        assert positives[g] == label[mask].sum()
        assert negatives[g] == (~label[mask]).sum()
        assert variance[g] > 0

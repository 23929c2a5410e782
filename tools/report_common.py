"""What the report's sections share: verdict names, the claim row, and the statistics behind the verdicts.

Imported by tools/reproduce_report.py and tools/phenomena.py (plain functions on numpy arrays; no file access).
"""

import math

REPRODUCED, NOT_REPRODUCED, REFUTED, NO_DATA = "reproduced", "not reproduced", "refuted", "no data"
# A pattern whose mechanism needs a condition the runs did not reach (a fitted network, positive costs at init):
# neither reproduced nor refuted, reported with the measured condition.
PREMISE_ABSENT = "premise absent"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, REFUTED, PREMISE_ABSENT, NO_DATA)


def mean_sem(values):
    import numpy as np

    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        return float("nan"), float("nan"), 0
    sem = values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else float("nan")
    return float(values.mean()), float(sem), int(values.size)


def p_above_zero(mean, sem):
    """One-sided p-value of 'the true mean is <= 0' (normal approximation, fine for hundreds of batches)."""
    if not sem > 0:
        return float("nan")
    return 0.5 * math.erfc(mean / sem / math.sqrt(2.0))


def slope_t(x, y):
    """Least-squares slope of y on x, its standard error and t = slope / se."""
    import numpy as np

    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 3 or np.ptp(x) == 0:
        return float("nan"), float("nan"), float("nan")
    a, b = np.polyfit(x, y, 1)
    residual = y - (a * x + b)
    se = math.sqrt(residual.var(ddof=2) / ((x - x.mean()) ** 2).sum()) if x.size > 2 else float("nan")
    return float(a), float(se), float(a / se) if se > 0 else float("inf") * np.sign(a)


def fmt(value, digits=3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 1e-2 and abs(value) < 1e4:
        return f"{value:.{digits}f}"
    return f"{value:.{digits - 1}e}"


def pm(mean, sem):
    return f"{fmt(mean)} ± {fmt(sem)}"


def p_text(p):
    return "n/a" if p is None or math.isnan(p) else (f"{p:.1e}" if p < 1e-3 else f"{p:.3f}")



def claim(number, statement, criterion, measured, verdict, runs, experiments):
    return {"number": number, "claim": statement, "criterion": criterion, "measured": measured, "verdict": verdict,
            "runs": sorted({r.id for r in runs}), "experiments": experiments}


def no_data(number, statement, criterion, experiments):
    return claim(number, statement, criterion, f"no result files of {', '.join(experiments)}", NO_DATA, [],
                 experiments)

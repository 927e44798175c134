#!/usr/bin/env python3
"""Reference values for RR artifact correction, independent of Haven's Go code.

Run: python3 rr_reference.py ../../../../shared/biosignals/hrv_noisy_rri.hrm

Standard library only (no numpy/pandas/scipy were installable where these
values were produced). Two families of results per file:

1. "library" — line-by-line transcriptions of two maintained open-source
   implementations, so their output on the file can be reproduced without
   their dependencies:
   * hrvanalysis (Aura-healthcare/hrv-analysis, commit 316b646a, file
     hrvanalysis/preprocessing.py, GPL-3.0): get_nn_intervals() =
     remove_outliers (300-2000 ms) -> linear interpolation -> remove_ectopic_beats
     (malik, kamath, karlsson, acar) -> linear interpolation. Its malik/kamath
     loop accepts the beat after a rejected one unconditionally
     ("previous_outlier"), which the papers do not say; we reproduce it.
   * hrv (rhenanbartels/hrv, commit 14807c8c, hrv/filters.py, BSD-3-Clause):
     quotient() deletes RR[i] when RR[i]/RR[i+1] or RR[i+1]/RR[i] is outside
     [0.8, 1.2], for i = 0 .. n-3 (it never tests the last pair); RMSSD is then
     taken on the shortened series.

2. "paper" — each rule written straight from its paper, applied after the same
   300-2000 ms gate and linear interpolation, rejected beats linearly
   interpolated. These are what Haven's Go rules must equal beat for beat:
   * malik: |RR[i]-RR[i-1]| > 0.2*RR[i-1], RR[i-1] the previous interval as
     recorded (Malik M. et al. 1989, Eur Heart J 10:1060-1074).
   * kamath: RR[i]-RR[i-1] > 0.325*RR[i-1] or RR[i-1]-RR[i] > 0.245*RR[i-1]
     (Kamath M.V., Fallen E.L. 1995, "Correction of the heart rate variability
     signal for ectopics and missing beats", in Malik & Camm (eds), Heart Rate
     Variability, Futura, 75-85).
   * karlsson: |RR[i]-m| > 0.2*m, m the mean of RR[i-1] and RR[i+1]
     (Karlsson M. et al. 2012, Biomed Eng Online 11:2).
   * acar: |RR[i]-m| > 0.2*m, m the mean of the accepted intervals among the
     previous 9 (Acar B. et al. 2000, Comput Methods Programs Biomed 63:123-131); the
     first 9 are taken as they are.
   * quotient: RR[i] rejected when RR[i]/RR[i-1] or RR[i-1]/RR[i] is outside
     [0.8, 1.2] (Piskorski J., Guzik P. 2005, Comput Methods Sci Technol
     11:39-48), every pair tested.
"""
import json
import math
import sys

NAN = float("nan")


def read_rr(path):
    text = open(path, encoding="latin-1").read()
    if "[HRData]" in text:
        text = text.split("[HRData]", 1)[1]
    out = []
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0].startswith("["):
            break
        out.append(float(f[0]))
    return out


def rmssd(x):
    d = [(x[i + 1] - x[i]) ** 2 for i in range(len(x) - 1)]
    return math.sqrt(sum(d) / len(d))


def interp(x):
    """pandas Series.interpolate(method='linear', limit_direction='forward')
    after hrvanalysis' leading back-fill: interior NaN runs linear by index,
    leading run takes the first value, trailing run the last."""
    x = list(x)
    n = len(x)
    idx = [i for i, v in enumerate(x) if not math.isnan(v)]
    if not idx:
        return x
    for i in range(idx[0]):
        x[i] = x[idx[0]]
    for a, b in zip(idx, idx[1:]):
        for k in range(a + 1, b):
            x[k] = x[a] + (x[b] - x[a]) * (k - a) / (b - a)
    for i in range(idx[-1] + 1, n):
        x[i] = x[idx[-1]]
    return x


def gate(rr):
    return [v if 300 <= v <= 2000 else NAN for v in rr]


# ---- 1. transcriptions of maintained implementations ----

def hrvanalysis_within(a, b, method):
    if method == "malik":
        return abs(a - b) <= 0.2 * a
    if method == "kamath":
        return 0 <= (b - a) <= 0.325 * a or 0 <= (a - b) <= 0.245 * a
    raise ValueError(method)


def hrvanalysis_ectopic(rr, method):
    if method == "karlsson":
        nn, n = [rr[0]], 0
        for i in range(len(rr)):
            if i == len(rr) - 2:
                nn.append(rr[i + 1])
                break
            m = (rr[i] + rr[i + 2]) / 2
            if abs(m - rr[i + 1]) < 0.2 * m:
                nn.append(rr[i + 1])
            else:
                nn.append(NAN)
                n += 1
        return nn, n
    if method == "acar":
        nn, n = [], 0
        for i, v in enumerate(rr):
            if i < 9:
                nn.append(v)
                continue
            last = [u for u in nn[-9:] if not math.isnan(u)]
            m = sum(last) / len(last)
            if abs(m - v) < 0.2 * m:
                nn.append(v)
            else:
                nn.append(NAN)
                n += 1
        return nn, n
    nn, n, prev_out = [rr[0]], 0, False
    for i in range(len(rr) - 1):
        if prev_out:
            nn.append(rr[i + 1])
            prev_out = False
            continue
        if hrvanalysis_within(rr[i], rr[i + 1], method):
            nn.append(rr[i + 1])
        else:
            nn.append(NAN)
            n += 1
            prev_out = True
    return nn, n


def hrvanalysis(rr, method):
    g = gate(rr)
    gated = sum(1 for v in g if math.isnan(v))
    nn, n = hrvanalysis_ectopic(interp(g), method)
    return {"rmssd": rmssd(interp(nn)), "ectopic": n, "gated": gated}


def rhenanbartels_quotient(rr):
    L = len(rr) - 1
    drop = set()
    for i in range(L - 1):
        q = rr[i] / rr[i + 1]
        r = rr[i + 1] / rr[i]
        if q < 0.8 or q > 1.2 or r < 0.8 or r > 1.2:
            drop.add(i)
    kept = [v for i, v in enumerate(rr) if i not in drop]
    return {"rmssd": rmssd(kept), "deleted": len(drop)}


# ---- 2. the papers' definitions ----

def paper(rr, rule):
    g = gate(rr)
    rej = [math.isnan(v) for v in g]
    x = interp(g)
    n = len(x)
    if rule == "malik":
        for i in range(1, n):
            if abs(x[i] - x[i - 1]) > 0.2 * x[i - 1]:
                rej[i] = True
    elif rule == "kamath":
        for i in range(1, n):
            d = x[i] - x[i - 1]
            if d > 0.325 * x[i - 1] or -d > 0.245 * x[i - 1]:
                rej[i] = True
    elif rule == "karlsson":
        for i in range(1, n - 1):
            m = (x[i - 1] + x[i + 1]) / 2
            if abs(x[i] - m) > 0.2 * m:
                rej[i] = True
    elif rule == "acar":
        for i in range(9, n):
            acc = [x[j] for j in range(i - 9, i) if not rej[j]]
            if not acc:
                continue
            m = sum(acc) / len(acc)
            if abs(x[i] - m) > 0.2 * m:
                rej[i] = True
    elif rule == "quotient":
        for i in range(1, n):
            q = x[i] / x[i - 1]
            if q < 0.8 or q > 1.2 or 1 / q < 0.8 or 1 / q > 1.2:
                rej[i] = True
    else:
        raise ValueError(rule)
    y = interp([NAN if r else v for v, r in zip(g, rej)])
    k = sum(rej)
    return {"rmssd": rmssd(y), "corrected": k, "share": k / n}


def main():
    rr = read_rr(sys.argv[1])
    out = {"n": len(rr), "raw_rmssd": rmssd(rr), "library": {}, "paper": {}}
    for m in ("malik", "kamath", "karlsson", "acar"):
        out["library"]["hrvanalysis." + m] = hrvanalysis(rr, m)
    out["library"]["hrv.quotient"] = rhenanbartels_quotient(rr)
    for r in ("malik", "kamath", "karlsson", "acar", "quotient"):
        out["paper"][r] = paper(rr, r)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

"""BG/NBD + Gamma-Gamma fit times: Shopkeeper vs the Python reference `lifetimes` 0.11.3, side by side
on the same CDNOW summaries (the 1/10 sample and the full master file, calibration to 1997-09-30,
weeks).

Setup (once; lifetimes 0.11.3 needs pandas < 2):
    python3 -m venv /tmp/lt
    /tmp/lt/bin/pip install lifetimes==0.11.3 numpy==1.26.4 pandas==1.5.3 scipy==1.11.4
    cargo xtask data && cargo build --release -p shopkeeper-cli
Run:
    /tmp/lt/bin/python benches/fit_vs_lifetimes.py

Both sides time the fits alone (not reading the file or summarising it); each side runs 3 times and
the best time counts. The script checks that both found the same maximum (parameters to 3 digits).
"""
import re
import subprocess
import sys
import time
import warnings

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

warnings.filterwarnings("ignore")
ROOT = __file__.rsplit("/benches/", 1)[0]
CLI = f"{ROOT}/target/release/shopkeeper"


def summaries(path):
    rows = []
    for line in open(path):
        fields = line.split()
        if not fields or not fields[0].isdigit():
            continue  # the master file's header
        date = next(f for f in fields[1:] if len(f) == 8)
        rows.append((fields[0], date, float(fields[-1])))
    df = pd.DataFrame(rows, columns=["id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df = df[df["date"] <= "1997-09-30"]
    s = summary_data_from_transaction_data(df, "id", "date", monetary_value_col="amount",
                                           observation_period_end="1997-09-30", freq="D")
    for c in ["recency", "T"]:
        s[c] = s[c] / 7.0
    return s


def lifetimes_fit(s):
    best, params = None, None
    for _ in range(3):
        start = time.perf_counter()
        bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
        repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
        gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        params = (bg.params_, gg.params_)
    return best, params


def shopkeeper_fit(path):
    best, out = None, ""
    for _ in range(3):
        out = subprocess.run([CLI, "fit", path, "--format", "cdnow", "--calibration-end", "1997-09-30",
                              "--out", "/tmp/shopkeeper-bench-models.json"],
                             check=True, capture_output=True, text=True).stdout
        ms = sum(float(m) for m in re.findall(r"evaluations\), ([0-9.]+) ms", out))
        best = ms / 1e3 if best is None else min(best, ms / 1e3)
    return best, out


print(f"{'data':<20}{'customers':>10}{'lifetimes (s)':>15}{'shopkeeper (s)':>16}{'ratio':>8}")
for name in ["CDNOW_sample.txt", "CDNOW_master.txt"]:
    path = f"{ROOT}/target/data/{name}"
    s = summaries(path)
    theirs, (bg, gg) = lifetimes_fit(s)
    ours, out = shopkeeper_fit(path)
    for key, value in list(bg.items()) + list(gg.items()):
        key = {"v": "gamma"}.get(key, key)
        mine = float(re.search(rf"\b{key} = ([0-9.]+)", out).group(1))
        if abs(mine - value) > 2e-3 * max(1.0, abs(value)):
            sys.exit(f"{name}: {key} differs: lifetimes {value:.4f}, shopkeeper {mine:.4f}")
    print(f"{name:<20}{len(s):>10}{theirs:>15.3f}{ours:>16.4f}{theirs / ours:>7.0f}x")

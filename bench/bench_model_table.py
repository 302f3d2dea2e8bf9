"""``churnguard model train`` on public churn tables, next to what a user would otherwise fit.

For each table: 5-fold cross-validated ROC AUC and PR AUC of churnguard's model and its logistic
baseline (exactly what ``churnguard model train --json`` reports), and, on the same folds and
the same columns, scikit-learn's ``HistGradientBoostingClassifier`` with its defaults (the
gradient boosting a user reaches for first), plus seconds for each.

The tables are public and not shipped with churnguard. ``--export DIR`` writes three of them from
the R package *modeldata* (Debian: ``apt-get install r-cran-modeldata``), which carries them:

* ``wa_churn`` — IBM Watson telco customer churn, 7,043 rows, target ``churn`` (Yes/No);
* ``mlc_churn`` — the C50 / BigML telecom churn table, 5,000 rows, target ``churn`` (yes/no);
* ``attrition`` — IBM HR employee attrition, 1,470 rows, target ``Attrition`` (Yes/No).

    PYTHONPATH=src python bench/bench_model_table.py --export /tmp/tables
    PYTHONPATH=src python bench/bench_model_table.py /tmp/tables/wa_churn.csv:churn \\
        /tmp/tables/mlc_churn.csv:churn /tmp/tables/attrition.csv:Attrition
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from churnguard.compute.predict import TabularChurnModel, learn_preprocessing
from churnguard.service.model import read_table

R_EXPORT = """
library(modeldata)
for (name in c("wa_churn", "mlc_churn", "attrition")) {
  data(list = name)
  write.csv(get(name), file.path("{dir}", paste0(name, ".csv")), row.names = FALSE, na = "")
}
"""


def export(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["Rscript", "-e", R_EXPORT.replace("{dir}", str(directory))], check=True)
    print(f"wrote {', '.join(p.name for p in sorted(directory.glob('*.csv')))} to {directory}")


def hist_gradient_boosting(path: Path, target: str, folds: int = 5, seed: int = 0) -> dict:
    """scikit-learn's HistGradientBoostingClassifier, defaults, on churnguard's columns and folds."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    df = read_table(path, None, None)
    prep, y = learn_preprocessing(df, target)
    X = prep.transform(df)
    for c in prep.categorical:
        X[c] = X[c].astype("category")
    roc, pr = [], []
    t0 = time.perf_counter()
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        m = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
        p = m.fit(X.iloc[train], y.iloc[train]).predict_proba(X.iloc[test])[:, 1]
        roc.append(roc_auc_score(y.iloc[test], p))
        pr.append(average_precision_score(y.iloc[test], p))
    return {"roc_auc": round(float(np.mean(roc)), 4), "pr_auc": round(float(np.mean(pr)), 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tables", nargs="*", help="FILE:TARGET")
    ap.add_argument("--export", type=Path, help="write the public tables (needs R's modeldata) and stop")
    args = ap.parse_args()
    if args.export:
        export(args.export)
        return
    out = []
    for spec in args.tables:
        file, target = spec.rsplit(":", 1)
        path = Path(file)
        t0 = time.perf_counter()
        report = TabularChurnModel().cross_validate(read_table(path, None, None), target)
        seconds = round(time.perf_counter() - t0, 1)
        row = {
            "table": path.name, "n_rows": report["n_rows"], "positive_rate": report["positive_rate"],
            "model": report["model"], "baseline": report["baseline"], "churnguard_seconds": seconds,
            "sklearn_hist_gradient_boosting": hist_gradient_boosting(path, target),
        }
        out.append(row)
        print(f"{path.name:16s} rows {row['n_rows']:>6,}  model {report['model']['roc_auc']:.3f}/"
              f"{report['model']['pr_auc']:.3f}  baseline {report['baseline']['roc_auc']:.3f}/"
              f"{report['baseline']['pr_auc']:.3f}  HistGB {row['sklearn_hist_gradient_boosting']['roc_auc']:.3f}/"
              f"{row['sklearn_hist_gradient_boosting']['pr_auc']:.3f}  ({seconds} s)", flush=True)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

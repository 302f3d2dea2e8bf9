"""Synthetic tables shaped like the public churn tables people try first (telco, bank)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def telco(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Like the telco customer churn CSV: customerID, 'No internet service', TotalCharges blanks, Churn Yes/No."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.35, 0.45, 0.2])
    tenure = rng.integers(0, 72, n)
    monthly = np.round(np.where(internet == "No", 20, np.where(internet == "DSL", 55, 85)) + rng.normal(0, 8, n), 2)
    security = np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n))
    logit = -1.0 + 1.6 * (contract == "Month-to-month") - 0.04 * tenure + 0.6 * (internet == "Fiber optic") \
        - 0.5 * (security == "Yes")
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    total = np.round(monthly * tenure, 2).astype(str)
    total[tenure == 0] = " "
    return pd.DataFrame({
        "customerID": [f"{rng.integers(1000, 9999)}-{''.join(rng.choice(list('ABCDEFGHJK'), 5))}{i}" for i in range(n)],
        "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": rng.choice(["0", "1"], n, p=[0.84, 0.16]),
        "tenure": tenure.astype(str),
        "InternetService": internet,
        "OnlineSecurity": security,
        "Contract": contract,
        "MonthlyCharges": monthly.astype(str),
        "TotalCharges": total,
        "Churn": np.where(churn, "Yes", "No"),
    })


def bank(n: int = 800, seed: int = 1) -> pd.DataFrame:
    """Like the bank churn table: RowNumber, CustomerId, Surname that must not leak, Exited 1/0."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    active = rng.integers(0, 2, n)
    products = rng.choice([1, 2, 3, 4], n, p=[0.5, 0.45, 0.04, 0.01])
    geo = rng.choice(["France", "Germany", "Spain"], n, p=[0.5, 0.25, 0.25])
    logit = -2.5 + 0.06 * (age - 40) - 0.9 * active + 1.5 * (products >= 3) + 0.7 * (geo == "Germany")
    exited = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    surnames = [f"Name{i}" for i in range(400)]
    return pd.DataFrame({
        "RowNumber": np.arange(1, n + 1).astype(str),
        "CustomerId": (15_600_000 + rng.choice(100_000, n, replace=False)).astype(str),
        "Surname": rng.choice(surnames, n),
        "CreditScore": rng.integers(350, 850, n).astype(str),
        "Geography": geo,
        "Gender": rng.choice(["Female", "Male"], n),
        "Age": age.astype(str),
        "Balance": np.round(np.where(rng.random(n) < 0.35, 0, rng.normal(120000, 30000, n)), 2).astype(str),
        "NumOfProducts": products.astype(str),
        "IsActiveMember": active.astype(str),
        "EstimatedSalary": np.round(rng.uniform(10, 200000, n), 2).astype(str),
        "Exited": exited.astype(str),
    })

"""Tiny row builders for hand-built measure cases."""

from __future__ import annotations

from datetime import date


def D(s: str) -> date:  # noqa: N802 - reads like a literal
    """``D("2024-03-31")``."""
    return date.fromisoformat(s)


def tx(customer_id: str, day: str, amount: float = 10.0, quantity: float | None = 1.0, **kw) -> dict:
    """One transaction row."""
    return {"customer_id": customer_id, "occurred_at": D(day), "amount": amount, "quantity": quantity, **kw}


def contract(contract_id: str, customer_id: str, start: str, end: str, value: float = 1200.0,
             cancelled: str | None = None) -> dict:
    """One contract row."""
    return {"contract_id": contract_id, "customer_id": customer_id, "start_at": D(start), "end_at": D(end),
            "recurring_value": value, "cancelled_at": D(cancelled) if cancelled else None}


def customer(customer_id: str, segment: str | None = None, **kw) -> dict:
    """One customer row."""
    return {"customer_id": customer_id, "segment": segment, **kw}

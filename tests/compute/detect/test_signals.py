"""Each warning rule fires on the customer it describes, with its evidence, and can be switched off."""

from __future__ import annotations

from detect_rows import D, contact, contract, customer, days, put, tx

from churnguard.compute.detect import Records, customer_profile, evaluate_signals, seasonal_index

AS_OF = D("2024-12-31")


def weekly(cid, start="2023-06-05", stop="2024-12-31", amount=100.0, **kw):
    return [tx(cid, d, amount, **kw) for d in days(start, *range(0, 700, 7)) if d <= D(stop)]


def build(ws):
    rows = []
    for cid in ("quiet", "unsub", "complainer", "unhappy", "g2", "steady"):
        rows += weekly(cid)
    rows += weekly("g1", stop="2024-08-20")
    rows += weekly("dropping", stop="2024-10-01") + weekly("dropping", start="2024-10-07", amount=15.0)
    # price: 10 units at 10 a unit, then 8 units at 11.5 a unit
    rows += [tx(c, d, 100.0, product="P", quantity=10.0) for c in ("pricey", "steady2") for d in days("2023-08-07", *range(0, 330, 14))]
    rows += [tx("pricey", d, 92.0, product="P", quantity=8.0) for d in days("2024-07-08", *range(0, 170, 14))]
    rows += [tx("steady2", d, 100.0, product="P", quantity=10.0) for d in days("2024-07-08", *range(0, 170, 14))]
    contacts = [contact(c, d) for c in ("quiet", "steady") for d in days("2024-01-01", *range(0, 300, 7))]
    contacts += [contact("steady", d) for d in days("2024-10-28", *range(0, 60, 7))]
    contacts += [contact("unsub", "2024-11-01", "unsubscribe"), contact("asked", "2024-12-01", "renewal_inquiry")]
    put(
        ws,
        customers=[customer("g1", group_id="G1"), customer("g2", group_id="G1")],
        transactions=rows,
        interactions=contacts,
        contracts=[contract("k1", "renew", "2024-01-21", "2025-01-20"), contract("k2", "asked", "2024-01-21", "2025-01-20")],
        complaints=[{"complaint_id": "q1", "customer_id": "complainer", "opened_at": D("2024-12-01"), "category": "delivery"}],
        surveys=[{"customer_id": "unhappy", "answered_at": D("2024-06-01"), "satisfaction": 4},
                 {"customer_id": "unhappy", "answered_at": D("2024-11-01"), "satisfaction": 2}],
    )


def signals(ws, settings):
    r = Records.from_store(ws.store)
    prof = customer_profile(r, settings, AS_OF)
    idx = seasonal_index(r, settings.churn, AS_OF, 545)
    return evaluate_signals(prof, settings, idx, language="en")


def fired(sig, cid):
    return set(filter(None, sig.loc[cid, "signals"].split(",")))


def text(sig, cid, rule):
    return next(e["text"] for e in sig.loc[cid, "evidence"] if e["signal"] == rule)


def test_each_rule_fires_with_its_evidence(ws, settings):
    build(ws)
    sig = signals(ws, settings)
    assert fired(sig, "quiet") == {"contact_drop"}
    assert text(sig, "quiet", "contact_drop") == "no contact for 71 days (usually every 7)"
    assert fired(sig, "renew") == {"renewal_silence"}
    assert text(sig, "renew", "renewal_silence") == "contract ends in 20 days (2025-01-20) and no renewal inquiry"
    assert fired(sig, "asked") == set()
    assert fired(sig, "unsub") == {"unsubscribed"}
    assert text(sig, "unsub", "unsubscribed") == "unsubscribed 60 days ago"
    assert fired(sig, "complainer") == {"complaint"}
    assert text(sig, "complainer", "complaint") == "complaint open 30 days (delivery)"
    assert fired(sig, "unhappy") == {"satisfaction"}
    assert text(sig, "unhappy", "satisfaction") == "satisfaction fell from 4 to 2 of 5"
    assert fired(sig, "g2") == {"chain"}
    assert text(sig, "g2", "chain").startswith("1 related customer(s) in group G1 lost in the last 90 days (latest g1")
    assert "g1" not in sig.index  # lost customers are not warned about
    assert fired(sig, "dropping") == {"spend_trend"}
    assert fired(sig, "pricey") == {"price_exposure"}
    assert text(sig, "pricey", "price_exposure") == (
        "prices it pays rose 15% and it buys 20% fewer units per line (price-sensitive)"
    )
    assert fired(sig, "steady") == set() and fired(sig, "steady2") == set()
    assert sig.loc["quiet", "signal_count"] == 1


def test_a_rule_switched_off_never_fires(ws, settings):
    build(ws)
    settings.signals.unsubscribed = False
    settings.signals.chain = False
    sig = signals(ws, settings)
    assert not sig["sig_unsubscribed"].any() and not sig["sig_chain"].any()
    assert fired(sig, "unsub") == set() and fired(sig, "g2") == set()
    assert fired(sig, "quiet") == {"contact_drop"}

"""Who works which customer: a list handed out to people within their capacity.

Pure: a frame in, names out (reads nothing, opens nothing). The rule, the one a worklist and an
investigation's interviews share:

1. in the list's order, a customer goes to its own CSM (``csm``) while that person has room;
2. otherwise round robin among the people with room, in name order (the turn moves on after
   each customer handed out this way), so the load spreads evenly and the same list always
   gives the same answer;
3. when nobody has room the customer stays unassigned (None) and is counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Assignment:
    """Who got each row (``interviewer``, aligned with the frame's rows; None: nobody had room),
    how many each person got, and how many stayed unassigned."""

    interviewer: list[str | None]
    counts: dict[str, int]
    unassigned: int

    def to_dict(self) -> dict:
        """``{"counts": {person: n}, "unassigned": n}``."""
        return {"counts": dict(self.counts), "unassigned": self.unassigned}


def people_of(*names: Iterable[object]) -> list[str]:
    """The distinct non-empty names of ``names`` (e.g. the customers' CSMs and the CSM users'
    ``csm_name``), sorted."""
    seen = {str(n).strip() for group in names for n in group if isinstance(n, str) and n.strip()}
    return sorted(seen)


def assign(frame: pd.DataFrame, people: Iterable[str], capacity: int) -> Assignment:
    """Hand out the rows of ``frame`` (in its order; its ``csm`` column is each customer's own
    CSM, may be missing) to ``people``, at most ``capacity`` each.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "csm": ["王芳", None, "王芳", None]})
    >>> r = assign(f, ["张伟", "王芳"], capacity=2)
    >>> r.interviewer, r.unassigned
    (['王芳', '张伟', '王芳', '张伟'], 0)
    """
    if capacity < 1:
        raise ValueError(f"capacity must be at least 1 (got {capacity})")
    order = sorted(set(people))
    load = {p: 0 for p in order}
    own = frame["csm"].tolist() if "csm" in frame.columns else [None] * len(frame)
    turn = 0
    out: list[str | None] = []
    for csm in own:
        if isinstance(csm, str) and csm in load and load[csm] < capacity:
            who: str | None = csm
        else:
            who = None
            for step in range(len(order)):
                k = (turn + step) % len(order)
                if load[order[k]] < capacity:
                    who, turn = order[k], k + 1
                    break
        if who is not None:
            load[who] += 1
        out.append(who)
    counts = {p: n for p, n in load.items() if n}
    return Assignment(out, counts, sum(1 for w in out if w is None))

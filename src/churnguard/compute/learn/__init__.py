"""Learn from defectors: why they leave and what they have in common.

- :mod:`.reason_table`: the reason of each defector as of a date (the newest recorded one, an
  inferred one only where none is recorded) and the reason table (defectors, lost value,
  share, controllable or not, trend by quarter);
- :mod:`.text`: reasons suggested from free text (complaints, interview notes, survey
  comments) by a character n-gram classifier trained on the workspace's own recorded reasons;
- :mod:`.surveys`, :mod:`.complaints`: satisfaction by level against later churn, the
  complaint register, the silent-majority and word-of-mouth estimates;
- :mod:`.profile_defectors`: how the defectors of a period differ from those who stayed.

Pure functions over :class:`~churnguard.store.records.Records` and data frames: they open
nothing and write nothing (the service layer stores what they suggest).
"""

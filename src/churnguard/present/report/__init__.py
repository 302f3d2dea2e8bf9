"""The exportable report: the overview's figures, charts and tables in one file.

``churnguard report --out FILE.html`` writes a self-contained page (styles and Plotly's script
inlined: it opens offline and can be mailed); ``--out FILE.xlsx`` writes the tables, one sheet
each, as numbers with formats. Both read the same stored figures as the pages
(:mod:`churnguard.service.results`), in the language asked for, and are written atomically.
"""

from churnguard.present.report.build import ReportOptions, ReportResult, write_report

__all__ = ["ReportOptions", "ReportResult", "write_report"]

"""The web pages: server-rendered Jinja2 templates, Plotly charts served locally."""

"""The HTTP plumbing the API and the pages share: request dependencies (workspace, user, role,
language), error handlers, security headers and CSRF, uploads. :mod:`churnguard.present.app`
puts them together with the routes of :mod:`~churnguard.present.api` and
:mod:`~churnguard.present.web` into one app; this package imports neither.
"""

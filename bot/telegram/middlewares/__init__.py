"""Update-level middlewares, outermost first: in flight, dedup, errors, session, user, i18n."""

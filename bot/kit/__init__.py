"""The shared kit one floor below the features: rendering, keyboards, calendar, texts, filters,
callback data, the middlewares (unit of work, error boundary), rate pacing and the update claim.

Features import the kit; the kit imports no feature.
"""

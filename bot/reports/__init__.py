"""The desk's dashboards: staff reports (per programme, town and period) and a caseload view.

Not a feature of its own: it owns no table. Each figure is an aggregate query in the feature it
belongs to (bot/<feature>/figures.py: people, assessment, plans, booking, broadcasts); this
package only assembles them (dashboard.py), lays them out as tables with downloads
(bot/kit/sheets.py, shared with the other downloads: CSV and XLSX, formula-like cells
neutralized) and draws charts as inline SVG on the server (charts.py). web/ holds the pages.
Nothing but web/ imports aiohttp or jinja2.
"""

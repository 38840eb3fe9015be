"""The desk's plan pages: a young person's whole plan on one page, and the CSV import."""

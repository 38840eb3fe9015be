"""The desk's pages about people: the table, a person's page, and what staff change there."""

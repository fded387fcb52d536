"""FranceConnect routes (filled in below)."""
ROUTES: list = []

"""The pages the browser tests visit: every public page, and every page of a driver's file."""

PUBLIC_PAGES = [
    "/",
    "/aide",
    "/accessibilite",
    "/mentions-legales",
    "/donnees-personnelles",
    "/connexion",
    "/inscription",
    "/verifier",
]
NOT_FOUND_PAGE = "/cette-page-n-existe-pas"
DRIVER_PAGES = ["/solde", "/historique", "/calendrier", "/permis", "/releve", "/simulation"]
# Showcase drivers whose files put the pages in different states (tests/fixtures/browser.py).
DRIVERS = ["martin", "bernard", "dubois", "bensaid"]
# Without JavaScript the markup is the same; two contrasting files are enough.
DRIVERS_WITHOUT_JS = ["martin", "bernard"]

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
DRIVER_PAGES = ["/solde", "/historique", "/calendrier", "/permis", "/releve"]
# Two drivers with different files: a full licence with a cancelled decision, a probationary one.
DRIVERS = ["martin", "durand"]

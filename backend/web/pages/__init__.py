"""One module per page; ROUTES is what create_app mounts."""

from backend.web.pages import balance, calendar, health, history, home, info, licence, simulation

ROUTES = [
    home.home,
    health.health,
    health.ready,
    balance.balance,
    history.history,
    calendar.calendar,
    calendar.calendar_ics,
    licence.licence,
    *simulation.ROUTES,  # app: « Et si… ? »
    *info.ROUTES,  # design: /aide /accessibilite /mentions-legales /donnees-personnelles
]

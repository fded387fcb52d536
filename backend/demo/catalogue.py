"""Data the demo feed is drawn from: names, places, and common offences with their real points.

Points and classes follow reference/law-research.md §3.5 (sources there); NATINF codes only
where §3.6 found them. Point values that changed are dated: the value applies to offences
committed on or after `since` (harsher changes are not retroactive, law-research §3.7).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

FAMILY_NAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
    "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
    "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFEVRE", "FAURE", "ANDRE",
    "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA",
    "PERRIN", "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON",
    "NGUYEN", "BENSAID", "DIALLO", "DA SILVA", "KOWALSKI", "LE GALL", "N'DIAYE", "MARCHAND-LEROUX", "ÉTIENNE", "HAMDI",
)

GIVEN_NAMES = {
    "female": ("Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Marie", "Nathalie",
               "Isabelle", "Sylvie", "Catherine", "Sophie", "Céline", "Aurélie", "Hélène", "Élodie", "Fatima",
               "Anne", "Christine", "Valérie", "Lucie", "Zoé", "Amina", "Louise", "Jeanne", "Agnès"),
    "male": ("Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Maxime", "Alexandre", "Pierre", "Jean", "Michel",
             "Philippe", "Alain", "Patrick", "Christophe", "Stéphane", "Karim", "Mehdi", "Antoine", "Mathieu",
             "Sébastien", "Olivier", "François", "Jérôme", "Yanis", "Théo", "Louis", "Benoît", "Gaël"),
}

# (INSEE commune code, name, département shown in places)
COMMUNES = (
    ("75056", "Paris", "75"), ("13055", "Marseille", "13"), ("69123", "Lyon", "69"), ("31555", "Toulouse", "31"),
    ("06088", "Nice", "06"), ("44109", "Nantes", "44"), ("67482", "Strasbourg", "67"), ("34172", "Montpellier", "34"),
    ("33063", "Bordeaux", "33"), ("59350", "Lille", "59"), ("35238", "Rennes", "35"), ("51454", "Reims", "51"),
    ("76351", "Le Havre", "76"), ("42218", "Saint-Étienne", "42"), ("83137", "Toulon", "83"),
    ("38185", "Grenoble", "38"), ("21231", "Dijon", "21"), ("49007", "Angers", "49"), ("30189", "Nîmes", "30"),
    ("69266", "Villeurbanne", "69"), ("63113", "Clermont-Ferrand", "63"), ("72181", "Le Mans", "72"),
    ("13001", "Aix-en-Provence", "13"), ("29019", "Brest", "29"), ("37261", "Tours", "37"), ("80021", "Amiens", "80"),
    ("87085", "Limoges", "87"), ("74010", "Annecy", "74"), ("66136", "Perpignan", "66"), ("57463", "Metz", "57"),
    ("25056", "Besançon", "25"), ("45234", "Orléans", "45"), ("76540", "Rouen", "76"), ("14118", "Caen", "14"),
    ("54395", "Nancy", "54"), ("2A004", "Ajaccio", "2A"), ("2B033", "Bastia", "2B"), ("64445", "Pau", "64"),
    ("17300", "La Rochelle", "17"), ("86194", "Poitiers", "86"), ("84007", "Avignon", "84"),
    ("29232", "Quimper", "29"), ("73065", "Chambéry", "73"), ("26362", "Valence", "26"), ("10387", "Troyes", "10"),
    ("68066", "Colmar", "68"), ("68224", "Mulhouse", "68"), ("97411", "Saint-Denis", "974"),
    ("97209", "Fort-de-France", "972"), ("97120", "Pointe-à-Pitre", "971"),
)

# INSEE country codes for people born abroad (birth_place is then empty).
COUNTRIES_ABROAD = ("99350", "99352", "99351", "99109", "99131", "99134", "99127", "99139", "99341", "99132",
                    "99140", "99122", "99114", "99208", "99243", "99326")
FRANCE = "99100"


class OffenceKind(NamedTuple):
    label: str
    offence_class: str
    points: int
    natinf: str | None = None
    since: dt.date = dt.date(1992, 7, 1)
    until: dt.date | None = None  # committed strictly before this date; None: still in force
    drugs_and_alcohol: bool = False
    weight: int = 10  # how common, relative
    suspension: bool = False  # often followed by a suspension


D = dt.date
OFFENCES = (
    OffenceKind("Excès de vitesse inférieur à 5 km/h (limite supérieure à 50 km/h)", "C3", 1, until=D(2024, 1, 1), weight=12),
    OffenceKind("Excès de vitesse inférieur à 5 km/h (limite supérieure à 50 km/h)", "C3", 0, since=D(2024, 1, 1), weight=12),
    OffenceKind("Excès de vitesse de 5 à moins de 20 km/h (limite supérieure à 50 km/h)", "C3", 1, weight=40),
    OffenceKind("Excès de vitesse de 5 à moins de 20 km/h (limite inférieure ou égale à 50 km/h)", "C4", 1, weight=20),
    OffenceKind("Excès de vitesse de 20 à moins de 30 km/h", "C4", 2, weight=12),
    OffenceKind("Excès de vitesse de 30 à moins de 40 km/h", "C4", 3, weight=5),
    OffenceKind("Excès de vitesse de 40 à moins de 50 km/h", "C4", 4, weight=2),
    OffenceKind("Excès de vitesse égal ou supérieur à 50 km/h", "C5", 6, until=D(2025, 12, 29), weight=1, suspension=True),
    OffenceKind("Excès de vitesse égal ou supérieur à 50 km/h", "DELIT", 6, since=D(2025, 12, 29), weight=1,
                suspension=True),
    OffenceKind("Usage d'un téléphone tenu en main en conduisant", "C2", 2, until=D(2012, 1, 5), weight=6),
    OffenceKind("Usage d'un téléphone tenu en main en conduisant", "C4", 3, since=D(2012, 1, 5), weight=8),
    OffenceKind("Port d'écouteurs ou d'un casque en conduisant", "C4", 3, since=D(2015, 7, 1), weight=1),
    OffenceKind("Franchissement d'un feu rouge", "C4", 4, weight=5),
    OffenceKind("Non-respect de l'arrêt imposé par un panneau « stop »", "C4", 4, natinf="203", weight=4),
    OffenceKind("Refus de priorité", "C4", 4, weight=3),
    OffenceKind("Refus de priorité à un piéton", "C4", 4, until=D(2018, 9, 19), weight=2),
    OffenceKind("Refus de priorité à un piéton", "C4", 6, since=D(2018, 9, 19), weight=2),
    OffenceKind("Circulation en sens interdit", "C4", 4, natinf="256", weight=2),
    OffenceKind("Défaut de port de la ceinture de sécurité par le conducteur", "C4", 3, natinf="12929", weight=4),
    OffenceKind("Non-respect des distances de sécurité", "C4", 3, weight=2),
    OffenceKind("Franchissement d'une ligne continue", "C4", 3, weight=3),
    OffenceKind("Vitesse excessive eu égard aux circonstances", "C4", 0, natinf="213", weight=1),
    OffenceKind("Conduite avec un taux d'alcool de 0,5 à 0,8 g/l de sang", "C4", 6, since=D(2004, 1, 1), weight=2,
                suspension=True),
    OffenceKind("Conduite sous l'empire d'un état alcoolique (taux égal ou supérieur à 0,8 g/l de sang)",
                "DELIT", 6, weight=2, suspension=True),
    OffenceKind("Conduite après usage de stupéfiants", "DELIT", 6, weight=1, suspension=True),
    OffenceKind("Conduite après usage de stupéfiants et sous l'empire d'un état alcoolique", "DELIT", 9,
                since=D(2025, 7, 11), drugs_and_alcohol=True, weight=1, suspension=True),
    OffenceKind("Refus d'obtempérer", "DELIT", 6, natinf="50", weight=1),
    OffenceKind("Délit de fuite", "DELIT", 6, weight=1),
    OffenceKind("Détention ou usage d'un détecteur de radar", "C5", 2, until=D(2012, 1, 5), weight=1),
    OffenceKind("Détention ou usage d'un détecteur de radar", "C5", 6, since=D(2012, 1, 5), weight=1),
    OffenceKind("Conduite d'un véhicule sans assurance", "DELIT", 0, weight=1),
)


def offences_on(committed_on: dt.date) -> tuple[list[OffenceKind], list[int]]:
    """The catalogue entries in force on that date, with their weights (for random.choices)."""
    kinds = [k for k in OFFENCES if k.since <= committed_on and (k.until is None or committed_on < k.until)]
    return kinds, [k.weight for k in kinds]


COURSE_ORGANISERS = ("Centre de sensibilisation à la sécurité routière", "Association Prévention Routière Formation",
                     "Auto-école agréée — stage de récupération de points")

EXTRA_CATEGORIES = ("A2", "A", "BE", "C1", "C", "D")

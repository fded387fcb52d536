"""Mail over SMTP (aiosmtplib): address verification, password reset, account notices.

Messages are plain text in French. Sending happens after the response is sent (a
background task), so a page answers in the same time whether or not a mail went out — the
timing does not reveal whether an address has an account. A failed send is logged without
the recipient or the link.
"""

from __future__ import annotations

import datetime as dt
import logging
from email.message import EmailMessage

import aiosmtplib

from backend.law.dates import PARIS
from backend.settings import Settings

log = logging.getLogger(__name__)
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SIGNATURE = "\n\n— pointspermis\nCe message est automatique : n'y répondez pas."


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username or None
        self.password = settings.smtp_password or None
        self.starttls = settings.smtp_starttls
        self.sender = settings.mail_from

    async def send(self, to: str, subject: str, body: str) -> bool:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body + SIGNATURE)
        try:
            await aiosmtplib.send(
                message, hostname=self.host, port=self.port, username=self.username,
                password=self.password, start_tls=self.starttls, timeout=15,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.error("envoi de courriel impossible (%s) : %s", subject, type(exc).__name__)
            return False
        return True


def verify_mail(link: str) -> tuple[str, str]:
    return (
        "Confirmez votre adresse électronique",
        "Bonjour,\n\nPour confirmer votre adresse, choisir votre mot de passe et activer votre compte "
        "pointspermis, ouvrez ce lien :\n\n"
        f"{link}\n\nCe lien ne sert qu'une fois et expire dans 12 heures. Si vous n'avez pas demandé "
        "à créer un compte, ignorez ce message : aucun compte ne sera activé.",
    )


def verify_change_mail(link: str) -> tuple[str, str]:
    return (
        "Confirmez la nouvelle adresse de votre compte",
        "Bonjour,\n\nCette adresse a été donnée comme nouvelle adresse d'un compte pointspermis existant. "
        "Si c'est le vôtre, connectez-vous à ce compte, puis ouvrez ce lien :\n\n"
        f"{link}\n\nCe lien ne sert qu'une fois et expire dans 12 heures. Si vous n'avez rien demandé, "
        "ignorez ce message : cette adresse ne sera reliée à aucun compte.",
    )


def already_registered_mail(sign_in_link: str, reset_link: str) -> tuple[str, str]:
    return (
        "Vous avez déjà un compte",
        "Bonjour,\n\nQuelqu'un (vous, sans doute) a demandé à créer un compte pointspermis avec cette "
        f"adresse, qui a déjà un compte.\n\nPour vous connecter : {sign_in_link}\n"
        f"Mot de passe oublié : {reset_link}\n\nSi ce n'était pas vous, ignorez ce message.",
    )


def reset_mail(link: str) -> tuple[str, str]:
    return (
        "Choisir un nouveau mot de passe",
        "Bonjour,\n\nPour choisir un nouveau mot de passe pour votre compte pointspermis, ouvrez ce lien :\n\n"
        f"{link}\n\nCe lien ne sert qu'une fois et expire dans 1 heure. Si vous n'avez rien demandé, "
        "ignorez ce message : votre mot de passe reste le même.",
    )


def email_changed_mail(new_email: str) -> tuple[str, str]:
    masked = new_email[:2] + "…@" + new_email.partition("@")[2]
    return (
        "Changement d'adresse demandé",
        "Bonjour,\n\nUn changement de l'adresse de votre compte pointspermis a été demandé vers "
        f"{masked}. Il prendra effet quand la nouvelle adresse sera confirmée.\n\nSi ce n'était pas "
        "vous, connectez-vous et changez votre mot de passe.",
    )


def password_changed_mail() -> tuple[str, str]:
    return (
        "Votre mot de passe a été changé",
        "Bonjour,\n\nLe mot de passe de votre compte pointspermis vient d'être changé ; vos autres "
        "sessions ont été fermées.\n\nSi ce n'était pas vous, utilisez « Mot de passe oublié » "
        "sur la page de connexion pour en choisir un nouveau.",
    )


def moment_fr(epoch: int) -> str:
    """A moment in Paris time, as a French sentence says it: "6 décembre 2026 à 12 h 05"."""
    moment = dt.datetime.fromtimestamp(epoch, PARIS)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {MONTHS[moment.month - 1]} {moment.year} à {moment.hour} h {moment.minute:02d}"


def new_link_mail(epoch: int, by: str, account_link: str) -> tuple[str, str]:
    how = ("par FranceConnect (son identité correspond à celle du dossier)" if by == "franceconnect"
           else "avec le numéro de dossier, la date de naissance, le nom et la date d'obtention du permis")
    return (
        "Un autre compte a été relié à votre dossier de permis",
        f"Bonjour,\n\nLe {moment_fr(epoch)}, un autre compte pointspermis a été relié à votre dossier de permis "
        f"de conduire, {how}. Ce compte peut voir votre solde de points et votre relevé.\n\n"
        "Si c'est vous (par exemple un second compte), vous n'avez rien à faire.\n\n"
        "Sinon : connectez-vous avec FranceConnect puis, sur la page « Mon compte », retirez ce lien "
        f"(rubrique « Comptes reliés à votre dossier ») : {account_link}",
    )


def link_removed_mail(epoch: int) -> tuple[str, str]:
    return (
        "Votre compte n'est plus relié à un dossier de permis",
        f"Bonjour,\n\nLe {moment_fr(epoch)}, le titulaire du dossier de permis auquel votre compte pointspermis "
        "était relié a retiré ce lien, après s'être identifié avec FranceConnect. Votre compte existe toujours, "
        "mais il ne donne plus accès à ce dossier.\n\nSi ce dossier est le vôtre, connectez-vous avec "
        "FranceConnect : votre identité le reliera de nouveau.",
    )

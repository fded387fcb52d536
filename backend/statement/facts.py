"""The facts of a licence file a third party may be shown, and the attestation's validity.

`rights_facts(file, kind, with_balance, issued_at, valid_until)` reads the records service's
`LicenceFile` through the licence page's own view (`records.views.licence_view`), so the
attestation, a share code and the licence page state the same validity for each category.

The attestation of driving rights follows the official "attestation de droits à conduire
sécurisée" (ADCS), which replaced the relevé d'information restreint on 4 December 2024
(décret n° 2024-1075 du 29 novembre 2024): identity, status of the licence, each category with
its dates, restrictions — no points, no offences — and it is **valid four months from issue**.
Sources: https://www.legipermis.com/legislation/releve-information-restreint-rir.html ("Sa validité
juridique est de 4 mois"), https://leocare.eu/fr/blog/attestation-adcs ("Elle est valable quatre
mois"); shared/reference/law-research.md §7.3 and services-research.md §1.2 (one source,
ornikar.com, says "no fixed validity"; we follow the service's own four months).
"""

from __future__ import annotations

import datetime as dt

from backend.law.dates import PARIS, add_months
from backend.records.service import LicenceFile
from backend.records.views import licence_view
from backend.statement.model import Facts, RightsCategory

ATTESTATION_MONTHS = 4  # ADCS: valid four months from issue (sources above)
STATEMENT_CODE_MONTHS = 12  # how long a statement's code shows its facts (then it says "expired")


def months_later(moment: dt.datetime, months: int) -> dt.datetime:
    """The same Paris clock time on the same Paris calendar day `months` later, as UTC.

    A validity is read by people in France: issued on 6 December at 23 h 06 (Paris), it ends on
    6 April at 23 h 06 (Paris). Counting in UTC would cross the change to summer time and
    print "7 avril". The month arithmetic (a missing day becomes the month's last day) is the
    law's own (`law.dates.add_months`).
    """
    local = moment.astimezone(PARIS)
    day = add_months(local.date(), months)
    return dt.datetime.combine(day, local.time(), tzinfo=PARIS).astimezone(dt.UTC)


def rights_facts(file: LicenceFile, *, kind: str, with_balance: bool, issued_at: dt.datetime | None,
                 valid_until: dt.datetime | None, content_digest: str | None = None) -> Facts:
    view = licence_view(file)
    result = file.result
    current = next((s for s in view.suspensions if s.current), None)
    suspension = None
    if current is not None:
        suspension = f"{current.kind.capitalize()} depuis le {current.starts_on:%d/%m/%Y}" + (
            f" jusqu'au {current.ends_on:%d/%m/%Y}" if current.ends_on else "")
    holder = file.holder
    return Facts(
        kind=kind,
        neph=file.neph,
        family_name=holder.family_name,
        given_names=holder.given_names,
        birth_date=holder.birth_date,
        status=view.status_label,
        balance=result.balance if with_balance and result is not None else None,
        maximum=result.maximum if with_balance and result is not None else None,
        licence_issued_on=view.issued_on,
        categories=[RightsCategory(category=c.name, obtained_on=c.obtained_on, valid_until=c.valid_until,
                                   validity=c.validity) for c in view.categories],
        restrictions=list(view.restrictions),
        current_suspension=suspension,
        as_of=file.as_of,
        extracted_at=file.extracted_at,
        issued_at=issued_at,
        valid_until=valid_until,
        content_digest=content_digest,
    )

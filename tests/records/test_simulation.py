"""records.simulation on files built in memory: the consequences it names are the engine's."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.law import compute
from backend.law.events import LicenceIssued
from backend.records.service import LicenceFile
from backend.records.simulation import MAX_EVENTS, simulate
from backend.register.lag import DataLag

D = dt.date
TODAY = D(2026, 3, 1)


def file_of(events, as_of=TODAY) -> LicenceFile:
    return LicenceFile(neph="123456789012", as_of=as_of, holder=None, events=events, result=compute(events, as_of))


def fine(i, key, committed, established):
    return {f"ev-{i}-type": "amende", f"ev-{i}-infraction": key, f"ev-{i}-commise": committed,
            f"ev-{i}-etablie": established, f"ev-{i}-mode": "fixed_fine_paid"}


NOVICE = [LicenceIssued(id="l", issued_on=D(2025, 6, 1))]  # probationary, no offence: increments to come


def test_an_offence_in_probation_costs_the_next_increment_and_obliges_a_course():
    sim = simulate(file_of(NOVICE), fine(0, "phone_handheld", "2026-02-01", "2026-02-20"), "calculer", TODAY)
    assert not sim.errors
    titles = [line.title for line in sim.outcome.consequences]
    assert "Majoration du permis probatoire perdue : +2 points le 1er juin 2026" in titles
    assert any(t.startswith("Stage obligatoire (lettre 48N) avant le 20 juin 2026") for t in titles), titles
    assert (sim.outcome.without.balance, sim.outcome.with_events.balance) == (6, 3)


def test_the_data_lag_sets_when_the_register_would_know_the_offence():
    lag = DataLag(computed_at=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc), window_from=D(2025, 2, 1),
                  window_until=D(2026, 2, 1), samples=200, median_days=45, p90_days=90)
    sim = simulate(file_of(NOVICE), fine(0, "phone_handheld", "2026-02-01", "2026-02-20"), "calculer", TODAY, lag)
    assert sim.outcome.as_of == D(2026, 4, 6)  # 2026-02-20 + 45 days: the day the simulated file is read
    assert "devrait apparaître vers le 6 avril 2026" in sim.outcome.added[0].body
    assert "avant le 21 mai 2026" in sim.outcome.added[0].body
    # the 48N letter follows the recording: 4 months after 2026-04-06
    assert any(line.title.startswith("Stage obligatoire (lettre 48N) avant le 6 août 2026")
               for line in sim.outcome.consequences)
    without = compute(NOVICE, sim.outcome.as_of)
    assert sim.outcome.without.balance == without.balance


def test_rows_beyond_ten_and_blank_rows():
    form = {}
    for i in range(MAX_EVENTS + 1):
        form |= fine(i, "seatbelt", "2026-01-05", "2026-01-20")
    assert simulate(file_of(NOVICE), form, "calculer", TODAY).errors[0][0] == ""
    blank = simulate(file_of(NOVICE), {}, "ajouter-amende", TODAY)
    assert len(blank.rows) == 1 and not blank.errors and blank.outcome is None


def test_a_refused_file_is_not_simulated():
    refused = msgspec.structs.replace(file_of(NOVICE), result=None, problem="Le solde ne peut pas être calculé")
    sim = simulate(refused, fine(0, "seatbelt", "2026-01-05", "2026-01-20"), "calculer", TODAY)
    assert sim.problem and sim.outcome is None

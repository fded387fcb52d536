"""The relevé d'information intégral (full information statement): content, seal, PDF, routes.

- `content.py` / `model.py`: what the statement says, built from the records service's
  `LicenceFile` (the same engine result and register data as every other page).
- `seal.py`: the cachet. An Ed25519 signature over (key id, issue time, NEPH, content digest),
  carried with them in a self-contained verification code; `keys.py` makes keys.
- `render.py`: issue a sealed statement (content + seal + QR code) and build the PDF document
  from the page template's own `statement` block; `pdf.py`: WeasyPrint, PDF/UA-1, no network.
- `routes.py`: `/releve`, `/releve.pdf` (the signed-in driver's own file only) and the public
  `/verifier`.

What a successful verification proves: the code was issued by this service (a key it holds)
for this NEPH, at this time, over content with this digest. It cannot prove that a paper copy
shows that content — the verifier page therefore prints the NEPH, issue time and digest for the
reader to compare with the statement in hand, and nothing that the statement does not print.
"""

"""Proof a third party can trust: the relevé d'information intégral, the attestation of driving
rights, the verifier, and consent share codes.

- `content.py` / `model.py`: what the statement says, built from the records service's
  `LicenceFile` (the same engine result and register data as every other page); `facts.py`: the
  facts a third party is shown (holder, NEPH, status, balance and ceiling, categories, dates).
- `seal.py`: the cachet, an Ed25519 signature; version 2 signs a document's kind, validity, short
  code and facts digest, carried whole in the QR code (an offline check needs only the public key).
- `codes.py`: short codes to type (16 characters, Crockford base 32 + mod-37 check symbol) and share
  codes (21 characters); `documents.py`: issued statements and attestations kept with their signed
  facts under their short code, revocation, and checking a code; `sharing.py`: share codes and
  their uses; `throttle.py`: the rate limit of the public pages that read codes.
- `render.py` / `attestation.py`: the page blocks and PDFs (`pdf.py`: WeasyPrint, PDF/UA-1, no network).
- `routes.py`: `/releve`, `/releve.pdf`, the public `/verifier`; `routes_proof.py`: `/attestation`,
  `/attestation.pdf`, `/partage` (the driver's codes and documents), the public `/consulter`.

What a successful verification proves: the document was issued by this service (a key it holds)
for this NEPH, at this time, with these facts — which the verifier shows, so a reader compares
them with the paper; an edited balance on a genuine PDF is contradicted by the verifier. A
revoked or expired document says so and shows nothing.
"""

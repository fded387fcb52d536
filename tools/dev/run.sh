#!/usr/bin/env bash
# `make run`: a complete local instance on loopback — demo register, local OpenID provider
# (FranceConnect stand-in), mail inbox, and the web service. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
OIDC_PORT=${OIDC_PORT:-9000}
SMTP_PORT=${SMTP_PORT:-8025}
MAIL_HTTP_PORT=${MAIL_HTTP_PORT:-8026}

export POINTSPERMIS_ENVIRONMENT=development
mkdir -p var
# DB=postgres (make run DB=postgres): a local PostgreSQL cluster in var/pg (Debian's server, run as an
# unprivileged user, kept between runs, stopped on exit); otherwise the embedded SQLite file.
if [ "${DB:-sqlite}" = postgres ]; then
  export POINTSPERMIS_DB=$(python3 tools/dev/pgcluster.py start var/pg)
  echo "PostgreSQL local : var/pg (journal : var/pg/server.log)"
elif [ "${DB:-sqlite}" = sqlite ]; then
  export POINTSPERMIS_DB=${POINTSPERMIS_DB:-var/pointspermis.sqlite3}
else
  echo "DB=$DB : choisissez DB=sqlite (par défaut) ou DB=postgres" >&2; exit 2
fi
export POINTSPERMIS_BASE_URL="http://$HOST:$PORT"
export POINTSPERMIS_SMTP_HOST=127.0.0.1 POINTSPERMIS_SMTP_PORT=$SMTP_PORT
export POINTSPERMIS_FC_DISCOVERY_URL="http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration"
export POINTSPERMIS_FC_CLIENT_ID=pointspermis-dev

"$PY" tools/dev/prepare.py
set -a; . var/dev.env; set +a

pids=()
stopping=
cleanup() {
  # Once (Ctrl-C runs it, then the exit). The services first, and waited for: the web service writes
  # its last access-log rows as it stops, into the database, which must still be running then.
  [ -n "$stopping" ] && return
  stopping=1
  trap - INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    alive=
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done  # still there after 20 s
  if [ "${DB:-sqlite}" = postgres ]; then python3 tools/dev/pgcluster.py stop var/pg || true; fi
}
trap cleanup EXIT INT TERM

OIDC_PORT=$OIDC_PORT OIDC_CLIENT_ID=$POINTSPERMIS_FC_CLIENT_ID OIDC_CLIENT_SECRET=$POINTSPERMIS_FC_CLIENT_SECRET \
OIDC_REDIRECT_URIS="$POINTSPERMIS_BASE_URL/auth/franceconnect/callback" \
OIDC_POST_LOGOUT_REDIRECT_URIS="$POINTSPERMIS_BASE_URL/auth/franceconnect/deconnexion" OIDC_IDENTITIES=var/oidc-identities.json \
  node tools/oidc/provider.mjs > var/oidc-provider.log 2>&1 &
pids+=($!)
"$PY" -m backend.accounts.devmail --smtp-port "$SMTP_PORT" --http-port "$MAIL_HTTP_PORT" > var/devmail.log 2>&1 &
pids+=($!)
# Wait until both answer before printing the welcome.
for _ in $(seq 50); do
  if "$PY" -c "import sys, urllib.request as u; [u.urlopen(x, timeout=1) for x in sys.argv[1:]]" \
       "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" "http://127.0.0.1:$MAIL_HTTP_PORT/" 2>/dev/null
  then break; fi
  sleep 0.2
done

cat <<MSG

  pointspermis — http://$HOST:$PORT
  Compte de démonstration : demo@pointspermis.localhost / demonstration-permis-2026
  FranceConnect (fournisseur local) : identifiant 100000000001 (ou …02, …03, …07, …08), tout mot de passe
  Courriels (vérification, réinitialisation) : http://127.0.0.1:$MAIL_HTTP_PORT/

MSG
# In the background too, so that Ctrl-C or a TERM stops the three services together.
.venv/bin/pointspermis serve --host "$HOST" --port "$PORT" --workers 1 --db "$POINTSPERMIS_DB" &
pids+=($!)
wait "${pids[-1]}"

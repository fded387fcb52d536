"""`/sante`: a public, fixed text with no database access — for monitoring that the process answers, and as
the benchmark's floor (the cheapest route the same server can answer). `/sante/pret`: whether this instance
can serve pages now, for a load balancer's readiness probe (database/readiness.py)."""

from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.response import Response


# A probe's answer is of the moment it is asked: no cache keeps it.
NO_STORE = CacheControlHeader(no_store=True)


@get("/sante", media_type=MediaType.TEXT, sync_to_thread=False, include_in_schema=False, cache_control=NO_STORE)
def health() -> str:
    return "ok"


@get("/sante/pret", media_type=MediaType.TEXT, include_in_schema=False, cache_control=NO_STORE)
async def ready(request: Request) -> Response[str]:
    if await request.app.state.readiness.ready():
        return Response("prêt", media_type=MediaType.TEXT)
    return Response("pas prêt : base de données injoignable", status_code=503, media_type=MediaType.TEXT)

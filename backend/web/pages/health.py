"""`/sante`: a public, fixed text with no database access — for monitoring and as the
benchmark's floor (the cheapest route the same server can answer)."""

from litestar import get
from litestar.enums import MediaType


@get("/sante", media_type=MediaType.TEXT, sync_to_thread=False, include_in_schema=False)
def health() -> str:
    return "ok"

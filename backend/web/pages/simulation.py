"""`/simulation` « Et si… ? »: the driver's own file plus hypothetical events (records/simulation.py).

GET shows the form with one empty fine; POST (CSRF-checked like every form) reads it, applies the button
pressed (add a fine, add a course, remove one, compute) and renders. With htmx, the form's buttons swap
the block `simulation` (form and result) and an edit swaps only `simulation_result`; both carry the real
balance card (block `balance_card` of /solde) out of band, refreshed from the same extract. Nothing is
stored: the hypothetical events live only in the form.
"""

from __future__ import annotations

from litestar import Request, Response, get, post

from backend.records import simulation as sim
from backend.records.service import LicenceFile, RegisterReader, data_lag
from backend.records.views import balance_view, lag_text
from backend.rendering.context import ProvidedRegister, ProvidedViewer, Viewer, driver_file
from backend.rendering.fragments import rendered_block
from backend.rendering.htmx import environment, render, wants_fragment
from backend.web.pages._common import PRIVATE, page_context

TEMPLATE = "pages/simulation.html"
BLOCKS = {"simulation": "simulation", "simulation-result": "simulation_result"}


async def _respond(request: Request, register: RegisterReader, viewer: Viewer, form: dict[str, str],
                   action: str) -> Response:
    file: LicenceFile = await driver_file(request, register, viewer)
    lag = await data_lag(register)
    today = request.app.state.today()
    result = sim.simulate(file, form, action, today, lag)
    focus = None
    if action.startswith("ajouter-") and result.rows:
        focus = f"row-{result.rows[-1].index}"
    elif action == "calculer" and not result.errors:
        focus = "result"
    env = environment(request)
    card_context = page_context(balance_view(file), viewer, "solde")
    context = page_context(balance_view(file), viewer, "", page_title="Et si… ? Simuler une amende ou un stage",
                           sim=result, has_errors=result.has_errors, today=today, focus=focus,
                           max_events=sim.MAX_EVENTS, offence_groups=sim.catalogue_groups(),
                           established_by=[{"value": k, "text": t} for k, t in sim.ESTABLISHED_BY],
                           lag_sentence=lag_text(lag),
                           today_card_html=rendered_block(env, "pages/balance.html", "balance_card", file, card_context))
    block = BLOCKS.get(request.headers.get("hx-target", ""))
    context["oob_card"] = block is not None and wants_fragment(request)
    return render(request, TEMPLATE, context, block=block, headers=PRIVATE)


@get("/simulation", include_in_schema=False)
async def simulation_page(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    return await _respond(request, register, viewer, {}, "ajouter-amende")


@post("/simulation", include_in_schema=False, status_code=200)
async def simulation_post(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    data = await request.form()
    form = {key: str(data.get(key, "")) for key in data.keys() if key != "_csrf_token"}
    return await _respond(request, register, viewer, form, form.get("action", "calculer") or "calculer")


ROUTES = [simulation_page, simulation_post]

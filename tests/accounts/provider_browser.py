"""Drive the test OpenID provider's screens with plain HTTP, as a browser would (no JavaScript)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import httpx

FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.S)


async def authorize(authorize_url: str, login: str, stop_at: str) -> str:
    """Follow the provider from `authorize_url`, signing in as `login` and consenting, until a
    redirect goes to a URL starting with `stop_at` (our callback); return that URL."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        url, method, data = authorize_url, "GET", None
        for _ in range(20):
            response = await browser.request(method, url, data=data)
            if response.is_redirect:
                url, method, data = urljoin(url, response.headers["location"]), "GET", None
                if url.startswith(stop_at):
                    return url
                continue
            assert response.status_code == 200, f"provider said {response.status_code}: {response.text[:500]}"
            match = FORM.search(response.text)
            assert match, f"no form on the provider page: {response.text[:500]}"
            action, body = html.unescape(match.group(1)), match.group(2)
            data = {name: html.unescape(value) for name, value in HIDDEN.findall(body)}
            if 'name="login"' in body:
                data.update(login=login, password="peu importe")
            url, method = urljoin(url, action), "POST"
        raise AssertionError("the provider never redirected back")


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")

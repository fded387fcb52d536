"""Development mail server: an SMTP server on loopback that keeps mails and lists them on a page.

    .venv/bin/python -m backend.accounts.devmail [--smtp-port 8025] [--http-port 8026]

Mails sent by `make run` (verification and reset links) arrive here instead of anywhere
real: open http://127.0.0.1:8026/ to read them and follow their links. Binds 127.0.0.1 only.
The tests use `Inbox` with a real aiosmtpd server on a free loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import html
import re
from typing import Any

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


class Inbox:
    """aiosmtpd handler keeping every message received: (to, subject, text body)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        self.messages.append({
            "to": ", ".join(envelope.rcpt_tos),
            "subject": str(message["Subject"]),
            "body": body.get_content() if body is not None else "",
        })
        return "250 Message accepted for delivery"

    def links(self, to: str) -> list[str]:
        """Every link in the mails sent to `to`, oldest first."""
        return [link for m in self.messages if to.lower() in m["to"].lower() for link in LINK.findall(m["body"])]

    def to(self, address: str) -> list[dict[str, str]]:
        return [m for m in self.messages if address.lower() in m["to"].lower()]


def start_smtp(inbox: Inbox, port: int, host: str = "127.0.0.1") -> Controller:
    controller = Controller(inbox, hostname=host, port=port)
    controller.start()
    return controller


def page(inbox: Inbox) -> bytes:
    items = []
    for message in reversed(inbox.messages):
        body = html.escape(message["body"])
        body = LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', body)
        items.append(f"<article><h2>{html.escape(message['subject'])}</h2><p>À : {html.escape(message['to'])}</p>"
                     f"<pre>{body}</pre></article>")
    content = "".join(items) or "<p>Aucun courriel pour l'instant.</p>"
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Courriels de développement</title>'
            f'</head><body><main><h1>Courriels de développement</h1>{content}</main></body></html>').encode()


async def serve_http(inbox: Inbox, port: int, host: str = "127.0.0.1") -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = page(inbox)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, host, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="serveur de courriel de développement (boucle locale)")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8026)
    args = parser.parse_args()
    inbox = Inbox()
    controller = start_smtp(inbox, args.smtp_port)
    print(f"SMTP sur 127.0.0.1:{args.smtp_port} ; courriels lisibles sur http://127.0.0.1:{args.http_port}/", flush=True)
    try:
        asyncio.run(serve_http(inbox, args.http_port))
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

"""The HTTP layer: parse, call one service, render (see app.py for the wiring)."""

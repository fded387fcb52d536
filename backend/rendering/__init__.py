"""Rendering shared by every area that answers with HTML: the Jinja environment, `render`, cached blocks."""

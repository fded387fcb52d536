"""pointspermis: a driving-licence points service (rules-as-code engine, register, web)."""

__version__ = "0.1.0"

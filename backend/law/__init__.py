"""The points engine: the dated French points law applied to a licence file's dated events.

Pure and synchronous: no I/O, no framework or database imports (tests/law enforce it).
"""

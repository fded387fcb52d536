"""A driver's licence file as the pages show it: load it from the register, compute it with
the engine, and shape view models (msgspec Structs) for each page. No HTTP here."""

"""The one command-line entry point, `pointspermis`, dispatching to each area's commands.

Each subcommand lives next to the code it drives (``backend/<area>/commands.py``) and is
imported lazily, so that ``pointspermis compute`` does not pay for importing the web stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help). Each module exposes `add_arguments(parser)` and
# `run(args) -> int`.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "compute": ("backend.law.commands_compute", "calcule le solde d'un dossier (JSON) à une date"),
    "law": ("backend.law.commands_law", "affiche les tables datées de la loi"),
    "migrate": ("backend.database.commands_migrate", "applique les migrations de la base"),
    "import": ("backend.register.commands_import", "importe des fichiers d'extraction du registre"),
    "demo": ("backend.demo.commands_demo", "écrit un fichier d'extraction de démonstration"),
    "serve": ("backend.web.commands_serve", "sert l'application web"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pointspermis", description="Service des points du permis de conduire")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Import only the requested subcommand's module when we can tell which one it is.
    if argv and argv[0] in SUBCOMMANDS:
        module_name, help_text = SUBCOMMANDS[argv[0]]
        module = importlib.import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"pointspermis {argv[0]}", description=help_text)
        module.add_arguments(parser)
        return int(module.run(parser.parse_args(argv[1:])) or 0)
    args = build_parser().parse_args(argv)
    return int(args._module.run(args) or 0)

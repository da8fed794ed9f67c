"""``streamkit plugins``: what is loaded, which hooks each implements, and where it came from."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ._app import _guard, _setup_logging, app, err, out


@app.command("plugins")
def plugins_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the loaded plugins: built-ins, entry points (group **streamkit**) and configured sinks.

    **STREAMKIT_LOAD_PLUGINS**=name,name limits which entry-point plugins load (empty: none).
    """

    _setup_logging(0, quiet=True)  # load failures are listed below, not logged twice

    def body() -> None:
        from ..plugins import ENV_LOAD_PLUGINS, failures, list_plugins

        plugins = list_plugins()
        broken = [f for f in failures() if f.hook == "load"]
        allow = os.environ.get(ENV_LOAD_PLUGINS)
        if as_json:
            print(json.dumps({
                "plugins": [p.to_dict() for p in plugins],
                "not_loaded": [{"plugin": f.plugin, "error": f.error} for f in broken],
                "load_plugins": allow,
            }, indent=2))
            return
        table = Table(title="streamkit plugins", title_justify="left", show_edge=False)
        table.add_column("name", overflow="fold")
        table.add_column("hooks", no_wrap=True)
        table.add_column("source", overflow="fold")
        for p in plugins:
            hooks = "\n".join(f"[yellow]{h}?[/]" if h in p.unknown_hooks else h for h in p.hooks)
            where = f"entry point\n{p.distribution} {p.version}" if p.source == "entry point" else p.source
            table.add_row(escape(p.name), hooks, escape(where))
        out.print(table)
        if any(p.unknown_hooks for p in plugins):
            out.print("[yellow]?[/] implements a hook streamkit does not have (misspelt, or for another version)")
        if allow is not None:
            out.print(f"{ENV_LOAD_PLUGINS}={escape(repr(allow))}: only the entry-point plugins it names are loaded",
                      highlight=False, soft_wrap=True)
        for f in broken:
            err.print(f"[bold yellow]not loaded:[/] {escape(f.plugin)}: {escape(f.error)}", highlight=False,
                      soft_wrap=True)

    _guard(body)

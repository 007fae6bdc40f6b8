"""``tocsin search``: query the index and rebuild it."""

from __future__ import annotations

import typer

from tocsin.cli.common import Table, acting_as, console, err_console, transaction
from tocsin.errors import ConfigurationError
from tocsin.i18n import _, ngettext
from tocsin.search import SearchFilters, reindex, search
from tocsin.search.semantic import Embedder, load_embedder
from tocsin.settings import get_settings

app = typer.Typer(name="search", help="Search every record type; rebuild the search index.",
                  no_args_is_help=True)


def _embedder() -> Embedder | None:
    if not get_settings().semantic_search:
        return None
    try:
        return load_embedder()
    except ConfigurationError as exc:
        label = _("Warning:")
        err_console.print(f"[yellow]{label}[/] " + _("%(problem)s; using full-text ranking only.",
                                                     problem=str(exc)), highlight=False)
        return None


@app.command()
def query(
    text: str = typer.Argument(..., help='Words, "exact phrases", prefix* and -excluded words.'),
    type_: list[str] = typer.Option([], "--type", help="Record type, e.g. activity (repeatable)."),
    crime_area: list[str] = typer.Option([], help="Crime area code (repeatable)."),
    stage: list[str] = typer.Option([], help="Justice-chain stage code (repeatable)."),
    country: list[str] = typer.Option([], help="ISO country code (repeatable)."),
    year: list[str] = typer.Option([], help="Year (repeatable)."),
    user: str | None = typer.Option(None, help="Search as this user (sees what they may read)."),
    page: int = typer.Option(1, help="Result page."),
    size: int = typer.Option(20, help="Results per page."),
) -> None:
    """Search every record type the user may read.

    Example: tocsin search query "asset recovery" --type activity --user analyst1
    """
    filters = SearchFilters.from_lists(types=type_, crime_areas=crime_area, stages=stage,
                                       countries=country, years=year)
    with transaction() as session:
        results = search(session, acting_as(session, user), text, filters, page=page,
                         size=size, semantic=_embedder())
        table = Table("type", "id", "TLP", "title", "link")
        for hit in results.hits:
            table.add_row(hit.record_type, hit.record_id, hit.handling, hit.title, hit.url)
    console.print(ngettext("%(count)s result for %(query)s, page %(page)s of %(pages)s, "
                           "ranked %(ranking)s", "%(count)s results for %(query)s, page "
                           "%(page)s of %(pages)s, ranked %(ranking)s", results.total,
                           count=results.total, query=results.understood or _("(everything)"),
                           page=results.page, pages=results.pages, ranking=results.ranking),
                  highlight=False)
    console.print(table)


@app.command("reindex")
def reindex_command(
    type_: list[str] = typer.Option([], "--type", help="Only these record types (repeatable)."),
) -> None:
    """Rebuild the search index from the records (and embeddings when semantic search is on).

    Example: tocsin search reindex
    """
    embedder = _embedder()
    with console.status(_("Reindexing…")), transaction() as session:
        report = reindex(session, type_ or None)
        embedded = 0
        if embedder is not None:
            from tocsin.search.semantic import embed_missing

            embedded = embed_missing(session, embedder)
    for record_type, count in sorted(report.documents.items()):
        console.print(f"{record_type:>14}  {count}")
    if embedder is not None:
        console.print(ngettext("Indexed %(count)s document, embedded %(embedded)s.",
                               "Indexed %(count)s documents, embedded %(embedded)s.",
                               report.total, count=report.total, embedded=embedded))
    else:
        console.print(ngettext("Indexed %(count)s document.", "Indexed %(count)s documents.",
                               report.total, count=report.total))

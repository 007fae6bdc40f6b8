"""Write the seed corpus of every target from the test fixtures (run once; the result is committed).

    python -m fuzz.seeds
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from fuzz.targets import FIXTURES, SEPARATOR, TARGETS, backup_seed

MONEY = FIXTURES / "money"


def _seeds() -> dict[str, list[bytes]]:
    def files(*names: str) -> list[bytes]:
        return [(MONEY / n).read_bytes() for n in names]

    return {
        "goaml": files("goaml/str_smurfing.xml", "goaml/ctr_bad.xml"),
        "camt053": [*files("camt053/statement_v02.xml", "camt053/statement_v08.xml",
                           "camt053/statement_bad.xml"),
                    *(p.read_bytes() for p in sorted((MONEY / "camt053" / "published")
                                                      .glob("*.xml")))],
        "amlworld": files("amlworld/Tiny_Trans.csv", "amlworld/Bad_Trans.csv"),
        "amlworld-patterns": files("amlworld/Tiny_Patterns.txt"),
        "amlsim": [(MONEY / d / "nodes.csv").read_bytes() + SEPARATOR
                   + (MONEY / d / "transactions.csv").read_bytes()
                   for d in ("amlsim_tiny", "amlsim_bad")],
        "amlsim-outputs": [*map(_fixture_folder, (
                               "amlsim_converted", "amlsim_converted_bad",
                               "amlsim_converted_old", "amlsim_converted_upper",
                               "amlsim_exports", "amlsim_log", "amlsim_sample_2018")),
                           b"paysim.csv\n" + (MONEY / "fraud_benchmark/paysim_sample.csv")
                           .read_bytes()],
        "csv-mapping": files("tabular/bank_export.csv", "tabular/bank_export_bad.csv"),
        "excel-mapping": files("tabular/ledger.xlsx"),
        "mapping-file": files("tabular/bank_export.yaml"),
        "iati": [*[(FIXTURES / "iati" / name).read_bytes()
                   for name in ("partner_activities.xml", "portal_download.xml",
                                "datastore_answer.xml", "rich_2.01.xml", "rich_2.02.xml",
                                "rich_2.03.xml")], *_datastore_search()],
        "iati-organisations": [
            (FIXTURES / "iati" / name).read_bytes()
            for name in ("organisation_2.03.xml", "portal_organisations.xml",
                         *(f"published/organisation-standard-example-annotated-2.0{v}.xml"
                           for v in (1, 2, 3)),
                         "published/bmz-localised-org-names.xml",
                         "published/pwyf-budget-lines-org.xml")],
        "indicators": [b"crime_area,country,year,kind,value,unit,source,reliability,"
                       b"credibility\ndrug_trafficking,AL,2024,seizures,3,seizures,"
                       b"Customs,B,2\nmoney_laundering,RS,2023,cases,12,cases,Courts,A,1\n"],
        "programmes-csv": [_programme_table("csv")],
        "programmes-xlsx": [_programme_table("xlsx")],
        "backup-restore": [backup_seed()],
        "bitcoin-blk": [_blk(), (FIXTURES / "crypto" / "blk86756-testnet.dat").read_bytes()],
        "bitcoin-json": [(FIXTURES / "crypto" / "getblock-genesis-v2.json").read_bytes()],
        "bitcoin-etl": [(FIXTURES / "crypto" / n).read_bytes()
                        for n in ("etl-transactions.json", "etl-transactions.csv")],
        "ethereum-tokens": [(FIXTURES / "crypto" / n).read_bytes()
                            for n in ("eth-token-transfers.csv",
                                      "eth-token-transfers-483920.csv")],
        "tagpack": [(FIXTURES / "crypto" / "tagpack-case.yaml").read_bytes()],
        "ethereum-csv": [(FIXTURES / "crypto" / "eth-transactions.csv").read_bytes()],
        "ftm-set": files("ftm/mixed.jsonl", "ftm/exchange_bank.jsonl", "ftm/ftmstore-entities"),
        **_screening_seeds(),
    }


def _fixture_folder(name: str) -> bytes:
    """A fixture folder's CSV files as one input of ``amlsim-outputs``."""
    return _joined(sorted((MONEY / name).glob("*.csv")))


def _joined(paths: list[Path]) -> bytes:
    """Files as one input of a target that reads a folder (``targets._named_files``)."""
    return SEPARATOR.join(f"{f.name}\n".encode() + f.read_bytes() for f in paths)


def _screening_seeds() -> dict[str, list[bytes]]:
    """The list fixtures, ours and the published ones (``published/SOURCES.md``)."""
    here = FIXTURES / "screening"
    out = here / "published"

    def read(*paths: Path) -> list[bytes]:
        return [p.read_bytes() for p in paths]

    return {
        "screening-un": read(here / "un_v1.xml", here / "un_v2.xml", here / "un_entities.xml",
                             here / "un_truncated.xml", out / "un_consolidated.xml"),
        "screening-ofac-xml": read(here / "sdn_advanced.xml", *(out / n for n in (
            "cons_enhanced_9640.xml", "consolidated_classic.xml",
            "consolidated_classic_2018.xml", "sdn_classic_shapes.xml",
            "sdn_enhanced_shapes.xml"))),
        "screening-ofac-csv": [_joined([here / "sdn.csv", here / "add.csv", here / "alt.csv"]),
                               _joined([out / "cons_prim.csv", out / "cons_add.csv",
                                        out / "cons_alt.csv"])],
        "screening-eu": read(here / "eu.xml", out / "eu_1_1.xml", out / "eu_no_namespace.xml"),
        "screening-uk": read(out / "uk_sanctions_list_afg.xml",
                             out / "uk_sanctions_list_shapes.xml"),
        "screening-ofsi": read(out / "ofsi_conlist_shapes.xml"),
        "screening-ftm": read(here / "opensanctions.ftm.json",
                              out / "opensanctions_nested.json"),
    }


def _datastore_search() -> list[bytes]:
    """The IATI Datastore's search answer in JSON and CSV (iati_xml, dataset_iati_version)
    around the activities of a fixture."""
    import csv
    import json

    from lxml import etree

    root = etree.parse(str(FIXTURES / "iati" / "partner_activities.xml")).getroot()
    docs = [{"iati_identifier": a.findtext("iati-identifier"), "dataset_iati_version": "2.03",
             "iati_xml": etree.tostring(a, encoding="unicode")}
            for a in root.iter("iati-activity")]
    answer = json.dumps({"response": {"numFound": len(docs) + 1, "start": 0, "docs": docs}})
    table = io.StringIO()
    writer = csv.DictWriter(table, list(docs[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(docs)
    return [answer.encode(), table.getvalue().encode()]


def _blk() -> bytes:
    """Two real mainnet blocks framed as in a blk*.dat file, with the zero padding."""
    framed = b""
    for name in ("genesis.hex", "block-99960.hex"):
        block = bytes.fromhex((FIXTURES / "crypto" / name).read_text().strip())
        framed += bytes.fromhex("f9beb4d9") + len(block).to_bytes(4, "little") + block
    return framed + bytes(32)


def _programme_table(fmt: str) -> bytes:
    from datetime import date

    from fuzz.targets import _platform
    from tocsin.taskforce.programmes.spec import ActivitySpec
    from tocsin.taskforce.tabular.columns import spec_to_row
    from tocsin.taskforce.tabular.files import write_csv, write_xlsx

    row = spec_to_row(ActivitySpec(
        identifier="XM-FUZZ-1", title="Border liaison", reporting_org_ref="XM-OSCE",
        planned_start=date(2026, 1, 1), crime_areas=[{"code": "drug_trafficking",
                                                      "percentage": 100}],
        countries=[{"code": "RS", "percentage": 60}, {"code": "ME", "percentage": 40}]))
    out = io.BytesIO()
    if fmt == "csv":
        write_csv([row], out)
    else:
        write_xlsx([row], out, _platform()[1])
    return out.getvalue()


def main() -> None:
    for name, inputs in _seeds().items():
        folder = TARGETS[name].corpus
        folder.mkdir(parents=True, exist_ok=True)
        for data in inputs:
            # named like libFuzzer names the inputs it keeps
            name_of = hashlib.sha1(data, usedforsecurity=False).hexdigest()
            (folder / name_of).write_bytes(data)
        print(f"{name}: {len(inputs)} seed(s) in {folder}")


if __name__ == "__main__":
    main()

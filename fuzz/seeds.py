"""Write the seed corpus of every target from the test fixtures (run once; the result is committed).

    python -m fuzz.seeds
"""

from __future__ import annotations

import hashlib
import io

from fuzz.targets import FIXTURES, SEPARATOR, TARGETS, backup_seed

MONEY = FIXTURES / "money"


def _seeds() -> dict[str, list[bytes]]:
    def files(*names: str) -> list[bytes]:
        return [(MONEY / n).read_bytes() for n in names]

    return {
        "goaml": files("goaml/str_smurfing.xml", "goaml/ctr_bad.xml"),
        "camt053": files("camt053/statement_v02.xml", "camt053/statement_v08.xml",
                         "camt053/statement_bad.xml"),
        "amlworld": files("amlworld/Tiny_Trans.csv", "amlworld/Bad_Trans.csv"),
        "amlworld-patterns": files("amlworld/Tiny_Patterns.txt"),
        "amlsim": [(MONEY / d / "nodes.csv").read_bytes() + SEPARATOR
                   + (MONEY / d / "transactions.csv").read_bytes()
                   for d in ("amlsim_tiny", "amlsim_bad")],
        "amlsim-outputs": [*map(_folder, ("amlsim_converted", "amlsim_converted_bad",
                                          "amlsim_converted_old", "amlsim_converted_upper",
                                          "amlsim_exports", "amlsim_log",
                                          "amlsim_sample_2018")),
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
        "ftm-set": files("ftm/mixed.jsonl"),
    }


def _folder(name: str) -> bytes:
    """A fixture folder's CSV files as one input of ``amlsim-outputs``."""
    return SEPARATOR.join(f"{f.name}\n".encode() + f.read_bytes()
                          for f in sorted((MONEY / name).glob("*.csv")))


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

"""Who may change the audit log on PostgreSQL: a separate owner role, an application role.

The tables belong to an owner role that runs the migrations (``tocsin init``); the
server runs as an application role that may add audit rows and read them, but not
change, delete or truncate them, nor drop the table or switch its triggers off (only
a table's owner or a superuser may). :func:`grant_statements` gives the grants, run by
the owner after every upgrade; :func:`check` reports what the connected role can do.
On SQLite there are no roles: the hash chain (``tocsin audit verify``) is the guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from tocsin.errors import InputError
from tocsin.i18n import N_

AUDIT_LOG = "audit_log"
CHAIN_HEAD = "audit_chain_head"
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(app_role: str) -> list[str]:
    """SQL the owner runs so that ``app_role`` can run the platform but not rewrite history."""
    if not _ROLE.match(app_role):
        raise InputError.single("role", N_("use a plain lower-case PostgreSQL role name"))
    return [
        f"GRANT USAGE ON SCHEMA public TO {app_role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
        f"TO {app_role}",
        # UPDATE: a restore resets the sequences after loading rows
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app_role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {app_role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_LOG} FROM {app_role}",
        # moving the head is how a row is appended; its MAC guards it
        f"REVOKE INSERT, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {CHAIN_HEAD} FROM {app_role}",
    ]


@dataclass
class GrantReport:
    role: str
    owner: str
    findings: list[str] = field(default_factory=list)  # what the role could do to the log
    facts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def check(conn: Connection) -> GrantReport:
    """What the connected role can do to the audit log (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        raise InputError.single("database", N_("roles exist on PostgreSQL only; on SQLite the "
                                               "hash chain is the guard (tocsin audit verify)"))
    role, superuser = conn.execute(text(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")).one()
    owner = conn.execute(text("SELECT tableowner FROM pg_tables "
                              "WHERE schemaname = current_schema() AND tablename = :t"),
                         {"t": AUDIT_LOG}).scalar() or "?"
    report = GrantReport(role=role, owner=owner)
    if superuser:
        report.findings.append(N_("%(role)s is a superuser: it can do anything to the audit "
                                  "log", role=role))
    if owner == role or conn.execute(text("SELECT pg_has_role(current_user, :o, 'USAGE')"),
                                     {"o": owner}).scalar():
        report.findings.append(N_("%(role)s owns the audit log (or acts as its owner "
                                  "%(owner)s): it can alter or drop the table and disable its "
                                  "triggers", role=role, owner=owner))
    for table, privileges in ((AUDIT_LOG, ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")),
                              (CHAIN_HEAD, ("DELETE", "TRUNCATE"))):
        for privilege in privileges:
            if conn.execute(text("SELECT has_table_privilege(current_user, :t, :p)"),
                            {"t": table, "p": privilege}).scalar():
                report.findings.append(N_("%(role)s has %(privilege)s on %(table)s", role=role,
                                          privilege=privilege, table=table))
    for table in (AUDIT_LOG, CHAIN_HEAD):
        triggers = conn.execute(text(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"), {"t": table}).all()
        if not triggers:
            report.findings.append(N_("%(table)s has no trigger refusing changes",
                                      table=table))
        for name, enabled in triggers:
            if enabled == "D":
                report.findings.append(N_("trigger %(name)s on %(table)s is disabled",
                                          name=name, table=table))
            else:
                report.facts.append(N_("trigger %(name)s on %(table)s is enabled", name=name,
                                       table=table))
    for privilege in ("SELECT", "INSERT"):
        allowed = conn.execute(text("SELECT has_table_privilege(current_user, :t, :p)"),
                               {"t": AUDIT_LOG, "p": privilege}).scalar()
        report.facts.append(
            N_("%(role)s has %(privilege)s on %(table)s", role=role, privilege=privilege,
               table=AUDIT_LOG) if allowed else
            N_("%(role)s lacks %(privilege)s on %(table)s", role=role, privilege=privilege,
               table=AUDIT_LOG))
    report.facts.append(N_("%(table)s is owned by %(owner)s", table=AUDIT_LOG, owner=owner))
    return report

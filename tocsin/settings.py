"""The one typed settings object, read from ``TOCSIN_*`` environment variables.

Every field has a description; ``docs/settings.md`` is generated from them
(``tocsin docs settings``) and a test fails when the two disagree.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tocsin.errors import ConfigurationError

#: Values people paste from examples; the platform refuses to run with them.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secretkey",
        "your-secret-key",
        "please-change-me",
        "placeholder",
        "insecure",
        "dev",
        "development",
        "test",
        "xxx",
        "todo",
    }
)
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Tocsin's configuration. Environment variables use the ``TOCSIN_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="TOCSIN_", extra="ignore")

    data_dir: Path = Field(
        default=Path("tocsin-data"),
        description="Folder for the embedded database, uploaded documents, Parquet "
        "transaction sets, reports and the generated demo secret.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy database URL. Empty means the embedded SQLite file "
        "`<data_dir>/tocsin.db`; use `postgresql+psycopg://user@host/db` for a server.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies and CSRF tokens. At least 32 "
        "characters; required outside demo mode (placeholders are refused).",
    )
    demo: bool = Field(
        default=False,
        description="Demo mode: generates a secret key in the data folder if none is "
        "set and allows the fictional demo workspace.",
    )
    session_lifetime_minutes: int = Field(
        default=480, ge=5, le=7 * 24 * 60,
        description="Minutes a login session stays valid.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie only over HTTPS (browsers also accept it "
        "on http://localhost and http://127.0.0.1).",
    )
    login_max_failures: int = Field(
        default=5, ge=1,
        description="Failed logins allowed per account and per address within the "
        "login window before further attempts are refused.",
    )
    login_window_minutes: int = Field(
        default=15, ge=1,
        description="Failures older than this many minutes are forgotten; also the "
        "longest back-off after repeated failures.",
    )
    login_backoff_seconds: int = Field(
        default=30, ge=1,
        description="Wait imposed after the allowed failures for one username from one "
        "client address; it doubles with every further failure, up to the login window.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or CIDR networks of reverse proxies whose "
        "`X-Forwarded-For` and `X-Forwarded-Proto` headers are believed, e.g. "
        "`127.0.0.1/32,10.0.0.0/24`. Empty: the peer address is the client address.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60,
        description="A login session unused for this many minutes ends (idle timeout).",
    )
    allowed_origins: str = Field(
        default="",
        description="Comma-separated origins (`https://tocsin.example.org`) besides the "
        "platform's own from which state-changing requests are accepted.",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="Key of the audit log's hash chain (HMAC-SHA256), at least 32 "
        "characters. Empty: derived from the secret key. Keep it when the secret key is "
        "rotated, or older audit rows no longer verify.",
    )
    money_engine: Literal["embedded", "spark"] = Field(
        default="embedded",
        description="Engine for follow-the-money analytics: `embedded` (DuckDB/Arrow) "
        "or `spark` (pyspark).",
    )
    money_weigh_max_transactions: int = Field(
        default=0, ge=0,
        description="Detection runs from the web and the API weigh the ranked accounts by "
        "the shipped model's account scores (an account below the model's threshold keeps "
        "that share of its score; see docs/money-analytics.md) when the set has at most "
        "this many transactions. The model's features cost about 5 s per 100,000 "
        "transactions on two busy cores. 0: never (the default: on the AMLSim sample the "
        "weighing halved flagged precision).",
    )
    money_train_rehearsal_worlds: int = Field(
        default=8, ge=0,
        description="`tocsin money train` grows new trees on the shipped model's; they are "
        "fitted on the labelled sets given and on this many of the generated worlds the "
        "shipped model learned from, generated again from their seeds (together weighing as "
        "much as the sets), so that they do not unlearn what the shipped model finds "
        "elsewhere. About a minute of generation on two cores, once per installation "
        "(`TOCSIN_MONEY_TRAIN_WORLD_CACHE`); 0: the sets alone (see docs/benchmarks.md, "
        "\"Rehearsal\").",
    )
    money_train_world_cache: bool = Field(
        default=True,
        description="Keep the generated worlds `tocsin money train` guards and rehearses on "
        "(the imported set and its features) in `<data_dir>/cache/worlds`, so that each is "
        "generated once per installation and version of Tocsin (about 190 MB for the "
        "default eight rehearsal worlds; not backed up; delete the folder to free it). "
        "`false`: generated again in a temporary folder on every training.",
    )
    spark_master: str = Field(
        default="local[*]",
        description="Spark master URL used when the money engine is `spark`.",
    )
    semantic_search: bool = Field(
        default=False,
        description="Combine full-text rank with sentence-embedding similarity "
        "(needs the `semantic` extra).",
    )
    access_log: str = Field(
        default="-",
        description="Where the access log (one line per request: time, user id, method, "
        "path, status, duration) goes: `-` for standard error, a file path for a file "
        "rotated by size, or `off`.",
    )
    access_log_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024,
        description="Size at which the access log file is rotated, in bytes.",
    )
    access_log_backups: int = Field(
        default=5, ge=0,
        description="Rotated access log files kept beside the current one.",
    )
    trash_retention_days: int = Field(
        default=30, ge=1, le=3650,
        description="Days a deleted record stays in the trash, where an administrator can "
        "restore it, before it is purged for good (the purge is audited).",
    )
    upload_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024,
        description="Largest file accepted by an upload or import, in bytes.",
    )
    screening_threshold: float = Field(
        default=0.70, gt=0.0, le=1.0,
        description="Screening: a list entry scoring at or above this is reported as a match.",
    )
    screening_review: float = Field(
        default=0.50, gt=0.0, le=1.0,
        description="Screening: entries scoring from this up to the threshold are shown for "
        "review (the review band).",
    )

    database_pool_size: int = Field(
        default=20, ge=1, le=500,
        description="Pooled database connections kept open; also the number of requests "
        "that may use the database at the same time (others wait, see "
        "`TOCSIN_DATABASE_WAIT_SECONDS`).",
    )
    database_max_overflow: int = Field(
        default=10, ge=0, le=500,
        description="Extra connections opened beyond the pool when it is busy; kept for "
        "background jobs, health checks and backups, not for page requests.",
    )
    database_pool_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300,
        description="Seconds a caller waits for a free pooled connection before giving up "
        "(a page request then answers 503 with `Retry-After`).",
    )
    database_wait_seconds: float = Field(
        default=10.0, gt=0, le=300,
        description="Seconds a request waits for its turn at the database when every "
        "pooled connection is in use before it answers 503 with `Retry-After`.",
    )
    database_busy_timeout_seconds: float = Field(
        default=20.0, gt=0, le=300,
        description="Embedded SQLite only: seconds a write waits for another write to "
        "finish before giving up with \"database is locked\".",
    )
    import_max_rows: int = Field(
        default=2_000_000, ge=1,
        description="Most rows or elements read from one imported file (transactions, "
        "IATI activities, goAML reports, indicators, programme tables); a larger file "
        "is refused with a clear error.",
    )
    import_max_transactions: int = Field(
        default=200_000_000, ge=1,
        description="Most transactions streamed into one money set from its files "
        "(CSV, Excel, AMLworld, AMLSim, camt.053, goAML); they are written block by "
        "block, so memory does not grow with them. A larger import is refused with a "
        "clear error and writes nothing.",
    )
    import_workers: int = Field(
        default=0, ge=0, le=64,
        description="Processes that read the activities of a large IATI file beside the "
        "one that parses and writes it (mapping, code lists, rulesets): 0 for one per "
        "processor core (at most 4), 1 to read everything in the importing process. "
        "Files of up to 500 activities are always read in that process.",
    )
    archive_max_unpacked_bytes: int = Field(
        default=512 * 1024 * 1024, ge=1024,
        description="Largest total unpacked size of a zip-based upload (xlsx, docx, "
        "backup archives), in bytes; refused before it is decompressed.",
    )
    archive_max_entries: int = Field(
        default=10_000, ge=1,
        description="Most entries allowed in a zip-based upload (xlsx, docx, backup "
        "archives other than their stored files).",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tocsin.db').resolve()}"

    def secret(self) -> str:
        """Return the secret key, refusing missing or placeholder values.

        In demo mode a random key is generated once and kept in the data folder
        so sessions survive a restart.
        """
        value = self.secret_key.get_secret_value() if self.secret_key else ""
        if not value and self.demo:
            return _demo_secret(self.data_dir)
        if value.strip().lower() in PLACEHOLDER_SECRETS:
            raise ConfigurationError(
                "TOCSIN_SECRET_KEY is missing or a placeholder; set it to a random "
                "value of at least 32 characters (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`), or run in demo mode."
            )
        if len(value) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"TOCSIN_SECRET_KEY is {len(value)} characters long; at least "
                f"{MIN_SECRET_LENGTH} are required."
            )
        return value

    def audit_hmac_key(self) -> bytes:
        """The key that signs audit rows; refuses to give one when none is configured.

        ``TOCSIN_AUDIT_KEY`` when set, else a key derived from the secret key (in demo
        mode the generated one), so the two uses of the secret never share a key.
        """
        value = self.audit_key.get_secret_value() if self.audit_key else ""
        if value:
            if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
                raise ConfigurationError(
                    f"TOCSIN_AUDIT_KEY must be a random value of at least {MIN_SECRET_LENGTH} "
                    "characters (not a placeholder)."
                )
            return value.encode()
        try:
            secret = self.secret()
        except ConfigurationError as exc:
            raise ConfigurationError(
                "the audit log needs a key: set TOCSIN_AUDIT_KEY (or TOCSIN_SECRET_KEY); "
                f"no audit row is written without one ({exc})"
            ) from None
        return hmac.new(secret.encode(), b"tocsin audit log chain", hashlib.sha256).digest()

    def audit_hmac_key_or_none(self) -> bytes | None:
        try:
            return self.audit_hmac_key()
        except ConfigurationError:
            return None


def _demo_secret(data_dir: Path) -> str:
    path = data_dir / "demo-secret-key"
    if path.exists():
        return path.read_text().strip()
    from tocsin.store.private import private_file, private_folder

    private_folder(data_dir)
    value = secrets.token_urlsafe(48)
    private_file(path).write_text(value)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()


def settings_reference() -> str:
    """Markdown table of every setting, used for ``docs/settings.md``."""
    lines = [
        "# Settings",
        "",
        "Generated by `tocsin docs settings` from `tocsin/settings.py`; a test keeps "
        "it in step with the code.",
        "",
        "| variable | default | description |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(empty)" if default is None else f"`{default}`"
        lines.append(f"| `TOCSIN_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"

"""The office's one database schema (SQLAlchemy Core tables), the same on SQLite and PostgreSQL.

Times are ISO 8601 UTC text (sortable, identical on both engines); JSON documents are text.
Migrations under `office/migrations` create and evolve it; `office.db.migrate` runs them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ROLES = ("operator", "approver", "supervisor", "auditor", "admin")

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("pw_hash", String(200), nullable=False),
    Column("failed", Integer, nullable=False, default=0),
    Column("locked_until", Float, nullable=False, default=0.0),
    Column("created_at", String(40), nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("lang", String(8), nullable=False, default="zh"),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(80), nullable=False),
    Column("target", String(120), nullable=False, default=""),
    Column("ok", Boolean, nullable=False, default=True),
    Column("detail", Text, nullable=False, default="{}"),
)
Index("ix_audit_action", audit.c.action)

stations = Table(
    "stations", metadata,
    Column("id", String(40), primary_key=True),
    Column("state", String(16), nullable=False, default="unknown"),
    Column("online", Boolean, nullable=False, default=False),
    Column("last_seen", String(40), nullable=True),
    Column("boot_id", String(64), nullable=False, default=""),
    Column("sw", String(64), nullable=False, default=""),
    Column("health", Text, nullable=False, default="{}"),
    Column("acked_upto", Integer, nullable=False, default=0),
    Column("events_lost", Integer, nullable=False, default=0),
    # from the last health message, for the station list (migration 0002)
    Column("paper", String(16), nullable=True),
    Column("boards", String(16), nullable=True),
    Column("reader", String(16), nullable=True),  # the ID reader's and camera's status (migration 0008)
    Column("camera", String(16), nullable=True),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("ts", String(40), nullable=False),
    Column("boot_id", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    # the station's event stream (a random id made with its store; '' from a station that names none)
    Column("stream", String(32), nullable=False, server_default=""),
    UniqueConstraint("station", "event_id", name="uq_events_station_event_id"),
)
Index("ix_events_station_seq", events.c.station, events.c.seq)
Index("ix_events_station_stream_seq", events.c.station, events.c.stream, events.c.seq)

# the acknowledged mark per (station, stream): a reinstalled or restored store starts a new stream,
# and an old stream's mark never releases its events (migration 0006)
event_streams = Table(
    "event_streams", metadata,
    Column("station", String(40), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("acked_upto", Integer, nullable=False, default=0),
    Column("started_at", String(40), nullable=False),
)

alarms = Table(
    "alarms", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False, default="open"),
    Column("compartment", String(8), nullable=True),
    Column("detail", Text, nullable=False, default=""),
    Column("source", String(120), nullable=False, unique=True),
    Column("raised_at", String(40), nullable=False),
    Column("acked_by", String(64), nullable=True),
    Column("acked_at", String(40), nullable=True),
    Column("escalated_at", String(40), nullable=True),  # nobody acknowledged in time (migration 0003)
    Column("assigned_to", String(64), nullable=True),  # the operator account dealing with it (migration 0008)
    Column("assigned_at", String(40), nullable=True),
)
Index("ix_alarms_state", alarms.c.state)
Index("ix_alarms_station", alarms.c.station)

compartments = Table(  # the cabinet grid per station, from its compartment events (migration 0004)
    "compartments", metadata,
    Column("station", String(40), primary_key=True),
    Column("id", String(8), primary_key=True),
    Column("state", String(16), nullable=False),  # empty | reserved | loaded | out_of_service
    Column("size", String(1), nullable=True),
    Column("case_no", String(64), nullable=True),
    Column("door", String(8), nullable=True),
    Column("attention", Text, nullable=True),
    Column("since", String(40), nullable=False),  # when the state last changed (station time)
    Column("seq", Integer, nullable=False),  # the event that set the state: older events never overwrite
    Column("door_seq", Integer, nullable=False),  # the same for the door column
)

cases = Table(
    "cases", metadata,
    Column("case_no", String(64), primary_key=True),
    Column("station", String(40), nullable=False),
    Column("matter_code", String(64), nullable=False),
    Column("applicant_masked", String(40), nullable=False, default=""),
    Column("phone_masked", String(20), nullable=False, default=""),
    Column("status", String(32), nullable=False),  # 32 since migration 0007 (material_requested)
    Column("ref", String(40), nullable=False),
    Column("via_cabinet", Boolean, nullable=False, default=False),
    Column("result_size", String(1), nullable=True),
    Column("prints", Boolean, nullable=False, default=False),
    Column("promised_date", String(10), nullable=True),
    Column("statutory_date", String(10), nullable=True),  # the legal time limit, working days (migration 0007)
    Column("reason", Text, nullable=False, default=""),
    Column("form", Text, nullable=False, default="{}"),
    Column("document", Text, nullable=True),
    Column("submitted_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    # migration 0011: the applicant's keyed fingerprint (office.applicant_key; never shown) and the
    # verification code of an issued electronic result (/verify/{code} looks it up by equality)
    Column("applicant_fp", String(64), nullable=True),
    Column("verify_code", String(12), nullable=True),
    Column("approved_at", String(40), nullable=True),
)
Index("ix_cases_status", cases.c.status)
Index("ix_cases_applicant_fp", cases.c.applicant_fp)
Index("ix_cases_verify_code", cases.c.verify_code)

case_timeline = Table(
    "case_timeline", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_no", String(64), ForeignKey("cases.case_no"), nullable=False),
    Column("at", String(40), nullable=False),
    Column("status", String(32), nullable=False),
    Column("note_zh", Text, nullable=False, default=""),
    Column("note_en", Text, nullable=False, default=""),
    Column("actor", String(80), nullable=False, default=""),
)
Index("ix_case_timeline_case_no", case_timeline.c.case_no)

case_files = Table(
    "case_files", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_no", String(64), ForeignKey("cases.case_no"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("media_type", String(80), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("pages", Integer, nullable=False, default=1),
    Column("content", LargeBinary, nullable=False),
)
Index("ix_case_files_case_no", case_files.c.case_no)

station_messages = Table(  # what a station learns through poll_events (case_status, result_ready, ...)
    "station_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Column("delivered", Boolean, nullable=False, default=False),
)
Index("ix_station_messages_station_delivered", station_messages.c.station, station_messages.c.delivered)

payments = Table(
    "payments", metadata,
    Column("order_id", String(40), primary_key=True),
    Column("case_no", String(64), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("description", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("pay_url", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_mono", Float, nullable=False),
    Column("paid_at", String(40), nullable=True),
    # migration 0007: the station that opened it, refunds, the provider's own reference
    Column("station", String(40), nullable=True),
    Column("refunded_at", String(40), nullable=True),
    Column("refund_reason", Text, nullable=True),
    Column("provider_ref", String(80), nullable=True),
    # migration 0010: the fingerprint of the payment code that charged it (one order per code)
    Column("paycode_fp", String(64), nullable=True),
)
Index("ix_payments_status", payments.c.status)
Index("ux_payments_paycode_fp", payments.c.paycode_fp, unique=True)

notifications = Table(
    "notifications", metadata,
    Column("id", String(40), primary_key=True),
    Column("case_no", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("to_masked", String(20), nullable=False),
    Column("text_zh", Text, nullable=False),
    Column("text_en", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("at", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # queued | sent | failed (migration 0005)
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("provider_id", String(80), nullable=True),
    Column("sent_at", String(40), nullable=True),
)
Index("ix_notifications_status", notifications.c.status)

consents = Table(
    "consents", metadata,
    Column("token", String(64), primary_key=True),
    Column("id_hash", String(64), nullable=False),
    Column("ecert_types", Text, nullable=False),
    Column("given_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
)

ecertificates = Table(  # e-certificates the authority holds per person (migration 0007)
    "ecertificates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("id_hash", String(64), nullable=False),  # the same fingerprint as consents.id_hash
    Column("type", String(40), nullable=False),
    Column("name_zh", String(60), nullable=False),
    Column("name_en", String(120), nullable=False),
    Column("number_masked", String(40), nullable=False),
    Column("issuer_zh", String(60), nullable=False),
    Column("valid_until", String(10), nullable=True),
    Column("media_type", String(80), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("added_at", String(40), nullable=False),
    UniqueConstraint("id_hash", "type", name="uq_ecertificates_id_hash_type"),
)

case_queries = Table(  # status queries answered to stations, for the supervision figures (migration 0007)
    "case_queries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("kind", String(8), nullable=False),  # query (a citizen asked) | sync (the station's own refresh)
)
Index("ix_case_queries_at", case_queries.c.at)

ratings = Table(
    "ratings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("score", Integer, nullable=False),
    Column("tags", Text, nullable=False, default="[]"),
    Column("comment", Text, nullable=False, default=""),
    Column("at", String(40), nullable=False),
    Column("service", String(16), nullable=False, default="", server_default=""),  # apply/print/query/collect
)

commands = Table(
    "commands", metadata,
    Column("cmd_id", String(36), primary_key=True),
    Column("station", String(40), nullable=False),
    Column("name", String(32), nullable=False),
    Column("args", Text, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("approver", String(64), nullable=True),
    Column("state", String(24), nullable=False),
    Column("document", Text, nullable=True),
    Column("result", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
Index("ix_commands_state", commands.c.state)

office_settings = Table(  # operator-changeable settings, e.g. the overdue-pickup period (migration 0008)
    "office_settings", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

pickups = Table(  # results collected from a compartment, from the station's events (migration 0008)
    "pickups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("compartment", String(8), nullable=False),
    Column("case_no", String(64), nullable=True),
    Column("at", String(40), nullable=False),  # station time of the pickup
    UniqueConstraint("station", "event_id", name="uq_pickups_station_event_id"),
)
Index("ix_pickups_at", pickups.c.at)

pickup_actions = Table(  # reminders and recalls for overdue pickups (migration 0008)
    "pickup_actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station", String(40), nullable=False),
    Column("compartment", String(8), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # reminder | recall
    Column("ref", String(40), nullable=False),  # the notification id or the command id
    Column("actor", String(80), nullable=False),
    Column("at", String(40), nullable=False),
)
Index("ix_pickup_actions_case_no", pickup_actions.c.case_no)

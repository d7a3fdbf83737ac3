"""Column presets of common helpdesk exports: field -> candidate columns, first found wins.

For `text` and `error_codes` every column found is used (subject and description are joined).
A dotted name reaches into nested JSON (`fields.summary` of a Jira issue). Column names match
exactly first, then ignoring case and surrounding spaces.
"""

from __future__ import annotations

Preset = dict[str, tuple[str, ...]]

DEFAULT: Preset = {
    "id": ("id", "ticket_id", "ticket id", "key", "number"),
    "text": ("subject", "text", "description", "body"),
    "error_codes": ("error_codes", "error_code", "error code", "codes"),
    "symptoms": ("symptoms",),
    "metrics": ("metrics",),
    "scope": ("scope",),
    "affected_users": ("affected_users", "affected users"),
    "reported_at": ("reported_at", "created_at", "created"),
    "system": ("system",),
    "site": ("site", "store", "merchant"),
    "region": ("region", "district", "city"),
    "label": ("expected", "label", "root_cause", "root cause"),
}

PRESETS: dict[str, Preset] = {
    # Zendesk: the JSON API / incremental export ({"tickets": [...]}) and CSV views.
    "zendesk": {
        "id": ("id", "Id", "Ticket ID"),
        "text": ("subject", "Subject", "description", "Description"),
        "error_codes": ("Error code", "Error Code", "custom_fields.error_code"),
        "scope": ("Scope", "custom_fields.scope"),
        "affected_users": ("Affected users", "custom_fields.affected_users"),
        "reported_at": ("created_at", "Created at", "Requested", "Ticket created - Timestamp"),
        "system": ("System", "custom_fields.system"),
        "label": ("Root cause", "custom_fields.root_cause"),
    },
    # Freshdesk: API tickets (description is HTML, description_text plain) and CSV exports.
    "freshdesk": {
        "id": ("id", "Ticket ID", "Ticket Id"),
        "text": ("subject", "Subject", "description_text", "Description"),
        "error_codes": ("custom_fields.cf_error_code", "Error Code", "Error code"),
        "scope": ("custom_fields.cf_scope", "Scope"),
        "affected_users": ("custom_fields.cf_affected_users", "Affected Users"),
        "reported_at": ("created_at", "Created time", "Created Time"),
        "system": ("custom_fields.cf_system", "System"),
        "label": ("custom_fields.cf_root_cause", "Root Cause"),
    },
    # Jira: the REST search result ({"issues": [...]}) and the CSV export, whose repeated
    # columns (Comment, Labels, Component/s) are kept as lists.
    "jira": {
        "id": ("key", "Issue key"),
        "text": ("fields.summary", "Summary", "fields.description", "Description"),
        "error_codes": ("fields.customfield_error_code", "Custom field (Error Code)"),
        "scope": ("Custom field (Scope)",),
        "affected_users": ("Custom field (Affected Users)",),
        "reported_at": ("fields.created", "Created"),
        "system": ("Custom field (System)",),
        "label": ("Custom field (Root Cause)",),
    },
    # ServiceNow: Table API ({"result": [...]}) and list exports.
    "servicenow": {
        "id": ("number", "Number"),
        "text": ("short_description", "Short description", "description", "Description"),
        "error_codes": ("u_error_code", "Error code"),
        "scope": ("u_scope", "Scope"),
        "affected_users": ("u_affected_users", "Affected users"),
        "reported_at": ("opened_at", "Opened", "sys_created_on", "Created"),
        "system": ("u_system", "cmdb_ci", "Configuration item"),
        "label": ("u_root_cause", "Root cause"),
    },
    # osTicket: the ticket list export (CSV) and API-shaped JSON.
    "osticket": {
        "id": ("Ticket Number", "number", "ticket_number"),
        "text": ("Subject", "subject", "Summary", "body", "message"),
        "error_codes": ("Error Code", "error_code"),
        "scope": ("Scope",),
        "affected_users": ("Affected Users",),
        "reported_at": ("Date Created", "Create Date", "created"),
        "system": ("System",),
        "label": ("Root Cause",),
    },
}

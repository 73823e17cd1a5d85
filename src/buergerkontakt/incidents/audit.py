"""Audit log (django-auditlog) of changes to the register: status, level, measures, review and
expiry dates, approvals, access grants. Encrypted columns and keyed hashes are excluded – the audit
log must not become a second, unencrypted copy of the register. The register's own log
(``LogEntry``) records lookups, hints, deletions and exports.
"""

from auditlog.registry import auditlog

from .models import AccessGrant, Entry, Report

ENCRYPTED = [
    "name",
    "birth_date_value",
    "case_number",
    "complaint_file_number",
    "reason",
    "narrative",
    "staff_involved_text",
    "witnesses",
    "injuries",
    "person_name",
    "person_birth_date",
    "person_case_number",
    "aftercare_note",
    "person_hash",
    "name_hash",
    "case_hash",
]

auditlog.register(Entry, exclude_fields=ENCRYPTED)
auditlog.register(Report, exclude_fields=ENCRYPTED)
auditlog.register(AccessGrant)

"""The repository: what the web app and the command line do to stored records, one module a resource.

    access         who may act on a patient's record (every function below checks it)
    users, patients, assessments, programs, session_logs, check_ins, invitations, web_sessions, logins,
                   video_jobs (uploaded clips and their analysis)
    overview       a clinician's patients with what their alerts need, a page at a time
    audit_log      the audit log, read (admins)

Every function takes a :class:`~sqlalchemy.orm.Session` and, where a user acts, the acting user's id;
it checks that the user may act, records an audit event for every read or change of a patient's record
(a read of a collection — a patient list, a date range of logs — is one event naming the collection),
flushes, and never commits: the caller's unit of work does, so a change and its audit event are stored
together or not at all. Refusals are ``NotFoundError``, ``PermissionDeniedError``, ``ConflictError``
(:mod:`rebalance.errors`).
"""

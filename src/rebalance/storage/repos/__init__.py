"""The repository: what the web app and the command line do to stored records, one module a resource.

    access         who may act on a patient's record (every function below checks it)
    users          users; the admin's clinicians; credentials and passwords
    patients       a clinician's patients
    overview       a clinician's patients with what their alerts need, a page at a time
    assessments    assessments and their analyses
    programs       program versions: drafts, approval, publishing
    session_logs   the patient's logged sessions
    check_ins      the weekly red-flag check-ins
    invitations    the links that let a patient activate their account
    web_sessions   signed-in browsers
    logins         login attempts, for rate limits
    audit_log      the audit log, read

Every function takes a :class:`~sqlalchemy.orm.Session` and, where a user acts, the acting user's id;
it checks that the user may act, records an audit event for every read or change of a patient's record
(a read of a collection — a patient list, a date range of logs — is one event naming the collection),
flushes, and never commits: the caller's unit of work does, so a change and its audit event are stored
together or not at all.

Errors (:mod:`rebalance.errors`): ``NotFoundError`` for a record that must exist and does not,
``PermissionDeniedError`` for an unknown, inactive or unauthorised user, ``ConflictError`` for a change
that breaks a rule of the stored data.
"""

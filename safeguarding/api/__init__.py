"""The integration API (/api/v1): other agencies' systems (the council's case system, a police records system)
read and write through API clients that administrators create, with the same rules, row scopes and audit trail as
the people who use the pages.

An API client acts through a service account of its own (`ApiClient.service_user`): a user of the client's agency
with the manager role, never active for sign-in, so it is nobody's picker choice, owner or reminder recipient. A
manager's row scope is what that agency may see (their agency's records and everything linked to its staff), so a
police system sees what that force may see: no more (not MASH's view of every case) and no less (not one officer's
own cases). Restricted children are never visible through the API: nobody names a service account on an access
list.
"""

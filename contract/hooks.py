"""Schemathesis hooks for contract/fuzz.sh: who is signed in for which operation.

Admin operations (/api/v1/admin/...) carry the admin's access token and the signed-in
member's operations (/api/v1/me...) the member's; every other operation is sent without
credentials. fuzz.sh signs both in before the run and exports ADMIN_TOKEN and MEMBER_TOKEN.

This is an auth provider rather than per-operation `headers` in schemathesis.toml:
Schemathesis 4.32 builds one HTTP session per worker thread from the headers of the first
operation that thread runs, so per-operation headers leak into the public operations that
the same thread runs later. An auth provider sets the header on each test case instead,
and Schemathesis counts it as explicit auth (the `ignored_auth` check then also probes
each protected operation without and with a wrong token).
"""

import os
import re

import schemathesis

ADMIN = re.compile(r"^/api/v1/admin/")
MEMBER = re.compile(r"^/api/v1/me(/|$)")


# Tokens are fixed for the run: no refresh, and no re-fetch on a 401 (a 401 is a finding).
@schemathesis.auth(refresh_interval=None, retry_on=[]).apply_to(
    path_regex=r"^/api/v1/(admin/|me(/|$))"
)
class HubTokens:
    def get(self, case, context):
        path = context.operation.path
        if ADMIN.match(path):
            return os.environ["ADMIN_TOKEN"]
        if MEMBER.match(path):
            return os.environ["MEMBER_TOKEN"]
        return None

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"

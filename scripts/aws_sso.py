"""The IAM Identity Center portal API (portal.sso.<region>.amazonaws.com),
which moto does not have, answered for flightdeck's discovery tests.

The shapes follow the AWS documentation of the portal API (ListAccounts,
ListAccountRoles, GetRoleCredentials): GET requests with the access token
of `aws sso login` in the x-amz-sso_bearer_token header, JSON answers,
UnauthorizedException (401) for a token the portal does not know.

A test sets the directory with POST /__flightdeck/sso
{"token": "...", "accounts": [{"id": "...", "name": "...", "roles": [...]}]}.
The credentials GetRoleCredentials hands out carry an access key id
`FDT<account id>...`, which the proxy maps to that moto account: each
discovered account is its own moto account.
"""

import json
import time
import urllib.parse

PATHS = ("/assignment/accounts", "/assignment/roles", "/federation/credentials")
PAGE = 2


class Portal:
    def __init__(self):
        self.token = None
        self.accounts = []

    def configure(self, body):
        request = json.loads(body or b"{}")
        self.token = request.get("token")
        self.accounts = request.get("accounts", [])

    def handles(self, path):
        return urllib.parse.urlparse(path).path in PATHS

    def answer(self, path, headers):
        """(status, JSON body) for one portal request."""
        parsed = urllib.parse.urlparse(path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if self.token is None or headers.get("x-amz-sso_bearer_token") != self.token:
            return 401, {"message": "Session token not found or invalid", "__type": "UnauthorizedException"}
        if parsed.path == "/assignment/accounts":
            start = int(query.get("next_token") or 0)
            page = self.accounts[start : start + PAGE]
            following = start + PAGE if start + PAGE < len(self.accounts) else None
            return 200, {
                "accountList": [
                    {"accountId": a["id"], "accountName": a["name"], "emailAddress": f"aws+{a['name']}@example.com"}
                    for a in page
                ],
                "nextToken": None if following is None else str(following),
            }
        account = next((a for a in self.accounts if a["id"] == query.get("account_id")), None)
        if account is None:
            return 403, {"message": "No access", "__type": "ForbiddenException"}
        if parsed.path == "/assignment/roles":
            return 200, {
                "roleList": [{"roleName": r, "accountId": account["id"]} for r in account["roles"]],
                "nextToken": None,
            }
        if query.get("role_name") not in account["roles"]:
            return 403, {"message": "No access", "__type": "ForbiddenException"}
        return 200, {
            "roleCredentials": {
                "accessKeyId": f"FDT{account['id']}SSO",
                "secretAccessKey": "secret",
                "sessionToken": "session",
                "expiration": int((time.time() + 3600) * 1000),
            }
        }

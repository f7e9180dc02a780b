#!/usr/bin/env python3
"""A resource server that lets Keyward decide who may do what.

Callers sign their requests with SigV4 for the service name `photos`, with any AWS SDK and
their Keyward credentials (long-term keys or STS sessions). The server does not know their
secrets: for each request it asks Keyward's authorization endpoint, signing that call with its
own credentials (allowed `keyward:Authorize`), and serves the request only on "Allow".

    python3 docs/examples/resource_server.py KEYWARD_URL     # credentials from the environment
    # then, from a caller:  python3 - <<'PY'
    # import boto3, botocore.auth, botocore.awsrequest, urllib.request
    # creds = boto3.Session(profile_name="keyward").get_credentials()
    # r = botocore.awsrequest.AWSRequest("GET", "http://127.0.0.1:8099/albums/1/photos")
    # botocore.auth.SigV4Auth(creds, "photos", "us-east-1").add_auth(r)
    # print(urllib.request.urlopen(urllib.request.Request(r.url, headers=dict(r.headers))).read())
    # PY

Only the standard library and botocore are needed; `ask_keyward` is the whole integration.
"""
import hashlib
import http.server
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.session


def ask_keyward(keyward_url, credentials, method, path, query, headers, body, action, resource,
                context=(), resource_policy=None, resource_account=None, region="us-east-1"):
    """Asks Keyward whether the request received (method, raw path and query, headers, body) may
    do `action` on `resource`. `context` holds (key, type, [values]) entries as
    SimulatePrincipalPolicy takes them. Returns Keyward's answer (a dict with "decision")."""
    question = {
        "request": {
            "method": method,
            "path": path,
            "query": query,
            "headers": [[name, value] for name, value in headers],
            "payloadHash": hashlib.sha256(body).hexdigest(),
        },
        "action": action,
        "resource": resource,
        "context": [{"key": k, "type": t, "values": list(v)} for k, t, v in context],
    }
    if resource_policy is not None:
        question["resourcePolicy"] = json.dumps(resource_policy)
    if resource_account is not None:  # without it, the resource is the asking service's account's
        question["resourceAccount"] = resource_account
    url = keyward_url.rstrip("/") + "/keyward/authorize"
    request = botocore.awsrequest.AWSRequest(method="POST", url=url, data=json.dumps(question).encode(),
                                             headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(credentials, "keyward", region).add_auth(request)
    prepared = request.prepare()
    call = urllib.request.Request(prepared.url, data=prepared.body, method="POST",
                                  headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(call, timeout=10) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"Keyward refused the question: {e.code} {e.read().decode()}") from e


def serve(keyward_url, credentials, port=8099):
    """Serves GET /albums/<id>/photos, allowed by `photos:ListPhotos` on the album's ARN."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path, _, query = self.path.partition("?")
            album = path.strip("/").split("/")[1] if path.startswith("/albums/") else "-"
            answer = ask_keyward(
                keyward_url, credentials, "GET", path, query, list(self.headers.items()), b"",
                "photos:ListPhotos", f"arn:aws:photos:::album/{album}",
                context=[("aws:SourceIp", "ip", [self.client_address[0]])])
            status = 200 if answer["decision"] == "Allow" else 403
            body = json.dumps({"album": album, "photos": ["1.jpg"]} if status == 200
                              else {"error": answer.get("message") or answer.get("error")})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], botocore.session.get_session().get_credentials())

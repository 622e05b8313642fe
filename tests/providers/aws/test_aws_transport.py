"""posture.providers.aws.facts.transport: the TLS-in-transit readings shared by the live and Terraform AWS sources."""

from __future__ import annotations

import json

from posture.model import UNKNOWN
from posture.providers.aws.facts.transport import origin_tls, policies_deny_http, viewer_http_redirect


def test_origin_tls_match_viewer_follows_the_viewer_side():
    assert origin_tls(["match-viewer"], http_redirect=False) is False  # viewers may use plain HTTP
    assert origin_tls(["match-viewer"], http_redirect=True) is True
    assert origin_tls(["match-viewer"], http_redirect=None) is True  # every behaviour https-only
    assert origin_tls(["match-viewer"], http_redirect=UNKNOWN) is UNKNOWN
    assert origin_tls(["https-only", "http-only"], http_redirect=True) is False
    assert origin_tls(["https-only", UNKNOWN], http_redirect=True) is UNKNOWN
    assert origin_tls([], http_redirect=True) is None  # no custom origin: not judged


def test_policies_deny_http_reads_json_text_and_never_guesses():
    deny = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                                      "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}]})
    allow = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"}]})
    assert policies_deny_http([allow, deny]) is True
    assert policies_deny_http([allow, None]) is False
    assert policies_deny_http([]) is False
    assert policies_deny_http(["{not json"]) is UNKNOWN  # unparsable is undecided, not "allows HTTP"


def test_viewer_http_redirect_from_the_behaviours():
    assert viewer_http_redirect(["https-only", "https-only"]) is None  # no plain-HTTP side
    assert viewer_http_redirect(["redirect-to-https", "https-only"]) is True
    assert viewer_http_redirect(["redirect-to-https", "allow-all"]) is False
    assert viewer_http_redirect(["allow-all", UNKNOWN]) is UNKNOWN

"""A real OpenID Connect provider for the single sign-on tests: panva's `oidc-provider` (npm,
a devDependency) run by tests/oidc/provider.mjs on a free loopback port. Without Node.js or the
package the test using it fails, never skips."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
CLIENT_ID = "heat"
CLIENT_SECRET = "a-test-client-secret-that-is-long-enough"


@contextmanager
def running(heat: str, accounts: dict[str, dict]) -> Iterator[str]:
    """The provider, with HEAT (served at `heat`) registered as its client and these accounts
    (id -> claims, with `amr` and `acr` for how each signs in); yields its issuer address."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the OpenID provider for the single sign-on tests")
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{heat}/sign-in/organisation/callback"],
        "post_logout_redirect_uris": [f"{heat}/sign-in"],
    }
    with tempfile.TemporaryDirectory() as folder:
        settings = Path(folder) / "provider.json"
        settings.write_text(json.dumps({"clients": [client], "accounts": accounts}))
        process = subprocess.Popen(
            [node, str(ROOT / "tests" / "oidc" / "provider.mjs"), str(settings)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stdout.readline() if process.stdout else ""  # it says where it listens
            if not line:
                process.wait()
                pytest.fail(f"The OpenID provider did not start: {process.stderr.read() if process.stderr else ''}")
            yield json.loads(line)["issuer"]
        finally:
            process.terminate()
            process.communicate()


def settings(issuer: str, **more) -> dict:
    """HEAT's settings for single sign-on through this provider."""
    return {
        "HEAT_OIDC_ISSUER": issuer,
        "HEAT_OIDC_CLIENT_ID": CLIENT_ID,
        "HEAT_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        **more,
    }
